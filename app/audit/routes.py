"""Reading the audit log (admins only, scoped to the admin's jurisdictions)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import ColumnElement, String, and_, cast, exists, false, or_, select

from app.api import Blueprint
from app.audit.models import AuditEntry
from app.audit.schemas import AuditEntrySchema, AuditQueryArgsSchema
from app.auth.authz import current_principal
from app.auth.models import User, user_jurisdictions
from app.auth.principal import Principal
from app.extensions import db
from app.jurisdictions.models import Jurisdiction

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计日志 / Audit log")


def _in_scope(principal: Principal, path: Any) -> ColumnElement[bool]:
    return or_(*[path.startswith(p) for p in principal.jurisdiction_paths]) if principal.jurisdiction_paths \
        else false()


def _visible(principal: Principal) -> ColumnElement[bool] | None:
    """Which entries an admin may read (None: all of them).

    An admin whose scope covers every root jurisdiction reads the whole log (system and CLI entries too).
    Other admins read what was done by users they manage (every jurisdiction of the actor in scope, as for
    /users) and what was done to users, sites, inspections and jurisdiction settings in their scope — not
    the before/after of another district's records.
    """
    roots = db.session.scalars(select(Jurisdiction.path).where(Jurisdiction.parent_id.is_(None))).all()
    if roots and all(principal.covers(r) for r in roots):
        return None
    uj = user_jurisdictions
    outside = (select(uj.c.user_id).join(Jurisdiction, Jurisdiction.id == uj.c.jurisdiction_id)
               .where(uj.c.user_id == User.id, ~_in_scope(principal, Jurisdiction.path)))
    managed = and_(exists(select(uj.c.user_id).where(uj.c.user_id == User.id)), ~exists(outside))
    from app.inspections.models import Inspection
    from app.sites.models import Site

    sites = (select(cast(Site.id, String)).join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
             .where(_in_scope(principal, Jurisdiction.path)))
    inspections = (select(cast(Inspection.id, String)).join(Site, Site.id == Inspection.site_id)
                   .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
                   .where(_in_scope(principal, Jurisdiction.path)))
    codes = select(Jurisdiction.code).where(_in_scope(principal, Jurisdiction.path))
    return or_(
        AuditEntry.actor_id.in_(select(User.id).where(managed)),
        and_(AuditEntry.entity_type == "user", AuditEntry.entity_id.in_(select(cast(User.id, String)).where(managed))),
        and_(AuditEntry.entity_type == "site", AuditEntry.entity_id.in_(sites)),
        and_(AuditEntry.entity_type == "inspection", AuditEntry.entity_id.in_(inspections)),
        and_(AuditEntry.entity_type == "jurisdiction_penalty_settings", AuditEntry.entity_id.in_(codes)),
    )


@blp.route("")
class AuditLog(MethodView):
    @blp.auth("admin")
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, args: dict[str, Any]) -> list[AuditEntry]:
        """Newest audit entries first (in the admin's scope); page with ``before_id``."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(args["limit"])
        visible = _visible(current_principal())
        if visible is not None:
            query = query.where(visible)
        if "entity_type" in args:
            query = query.where(AuditEntry.entity_type == args["entity_type"])
        if "entity_id" in args:
            query = query.where(AuditEntry.entity_id == args["entity_id"])
        if "before_id" in args:
            query = query.where(AuditEntry.id < args["before_id"])
        return list(db.session.scalars(query))
