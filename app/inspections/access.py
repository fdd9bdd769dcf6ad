"""Who may see and change an inspection: its participants, and supervisors covering its site."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.errors import NotFound
from app.inspections.models import Inspection
from app.vocabulary import SUPERVISING_ROLES


def can_see(principal: Principal, inspection: Inspection) -> bool:
    """Inspectors: inspections they created or took part in as an officer. Supervisors/admins: inspections
    at sites in their jurisdictions."""
    if principal.role in SUPERVISING_ROLES:
        return principal.covers(inspection.site.jurisdiction.path)
    return is_participant(principal, inspection)


def took_part(inspection: Inspection, user_id: int) -> bool:
    """The user created the inspection or is one of its officers."""
    return inspection.created_by_id == user_id or any(o.user_id == user_id for o in inspection.officers)


def is_participant(principal: Principal, inspection: Inspection) -> bool:
    return took_part(inspection, principal.user_id)


def inspection_not_found() -> NotFound:
    return NotFound(
        "检查记录不存在或不在您的权限范围内。", "Inspection not found in your scope.", code="inspection_not_found"
    )


def load_for_update(session: Session, inspection_id: uuid.UUID) -> Inspection | None:
    return session.scalars(
        select(Inspection)
        .where(Inspection.id == inspection_id)
        .with_for_update(of=Inspection)
        .execution_options(populate_existing=True)
    ).first()


def get_inspection(session: Session, principal: Principal, inspection_id: uuid.UUID) -> Inspection:
    """The inspection if the caller may see it; otherwise NotFound (404, never 403)."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None or not can_see(principal, inspection):
        raise inspection_not_found()
    return inspection
