"""Which audit entries an admin may read (scoped to the admin's jurisdictions)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, and_, cast, exists, or_, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.auth.models import User, user_jurisdictions
from app.auth.principal import Principal
from app.inspections.models import Inspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.sites.models import Site


def visible_entries(session: Session, principal: Principal) -> ColumnElement[bool] | None:
    """Which entries an admin may read (None: all of them).

    An admin whose scope covers every root jurisdiction reads the whole log (system and CLI entries too).
    Other admins read what was done by users they manage (every jurisdiction of the actor in scope, as for
    /users) and what was done to users, sites, inspections and jurisdiction settings in their scope — not
    the before/after of another district's records.
    """
    roots = session.scalars(select(Jurisdiction.path).where(Jurisdiction.parent_id.is_(None))).all()
    if roots and all(principal.covers(r) for r in roots):
        return None
    uj = user_jurisdictions
    outside = (
        select(uj.c.user_id)
        .join(Jurisdiction, Jurisdiction.id == uj.c.jurisdiction_id)
        .where(uj.c.user_id == User.id, ~scope_clause(principal.jurisdiction_paths))
    )
    managed = and_(exists(select(uj.c.user_id).where(uj.c.user_id == User.id)), ~exists(outside))
    sites = (
        select(cast(Site.id, String))
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(scope_clause(principal.jurisdiction_paths))
    )
    inspections = (
        select(cast(Inspection.id, String))
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(scope_clause(principal.jurisdiction_paths))
    )
    codes = select(Jurisdiction.code).where(scope_clause(principal.jurisdiction_paths))
    return or_(
        AuditEntry.actor_id.in_(select(User.id).where(managed)),
        and_(AuditEntry.entity_type == "user", AuditEntry.entity_id.in_(select(cast(User.id, String)).where(managed))),
        and_(AuditEntry.entity_type == "site", AuditEntry.entity_id.in_(sites)),
        and_(AuditEntry.entity_type == "inspection", AuditEntry.entity_id.in_(inspections)),
        and_(AuditEntry.entity_type == "jurisdiction_penalty_settings", AuditEntry.entity_id.in_(codes)),
    )


def list_audit_entries(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    entity_type: str | None = None,
    entity_id: str | None = None,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Newest entries first, within what ``principal`` may read; page with ``before_id``."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    visible = visible_entries(session, principal)
    if visible is not None:
        query = query.where(visible)
    if entity_type is not None:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))
