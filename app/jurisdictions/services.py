"""Creating and looking up jurisdictions."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import NotFound, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.vocabulary import JURISDICTION_LEVELS


def get_jurisdiction_by_code(session: Session, code: str) -> Jurisdiction:
    """The jurisdiction with this division code, or NotFound."""
    found = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if found is None:
        raise NotFound(
            f"行政区划代码 {code} 不存在。", f"No jurisdiction with code {code}.", code="jurisdiction_not_found"
        )
    return found


def get_jurisdiction_in_scope(session: Session, code: str, principal: Principal | None) -> Jurisdiction:
    """The jurisdiction with this code if ``principal`` covers it (None: internal use); otherwise NotFound —
    a jurisdiction outside the caller's scope does not exist for the caller."""
    jurisdiction = get_jurisdiction_by_code(session, code)
    if principal is not None and not principal.covers(jurisdiction.path):
        raise NotFound(
            "辖区不存在或不在您的辖区内。",
            "Jurisdiction not found in your jurisdictions.",
            code="jurisdiction_not_found",
        )
    return jurisdiction


def upsert_jurisdiction(
    session: Session, *, code: str, name_zh: str, level: str, parent_code: str | None = None, name_en: str | None = None
) -> Jurisdiction:
    """Create a jurisdiction, or update its names/parent if the code exists (audited)."""
    if level not in JURISDICTION_LEVELS:
        raise ValidationFailed(f"未知的行政级别：{level}", f"Unknown level: {level}", code="invalid_level")
    parent = get_jurisdiction_by_code(session, parent_code) if parent_code else None
    path = (parent.path if parent else "/") + code + "/"
    existing = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if existing is None:
        existing = Jurisdiction(
            code=code, name_zh=name_zh, name_en=name_en, level=level, path=path, parent_id=parent.id if parent else None
        )
        session.add(existing)
        session.flush()
        record_audit(session, "jurisdiction.create", "jurisdiction", code, after=jurisdiction_summary(existing))
        return existing
    before = jurisdiction_summary(existing)
    old_path = existing.path
    existing.name_zh, existing.name_en, existing.level = name_zh, name_en, level
    existing.parent_id = parent.id if parent else None
    existing.path = path
    session.flush()
    if old_path != path:
        # Moving a jurisdiction moves its whole subtree: rewrite the descendants' paths too.
        session.execute(
            update(Jurisdiction)
            .where(Jurisdiction.path.startswith(old_path), Jurisdiction.id != existing.id)
            .values(path=path + func.substr(Jurisdiction.path, len(old_path) + 1))
            .execution_options(synchronize_session=False)
        )
        session.expire_all()
    after = jurisdiction_summary(existing)
    if after != before:
        record_audit(session, "jurisdiction.update", "jurisdiction", code, before=before, after=after)
    return existing


def jurisdiction_summary(j: Jurisdiction) -> dict[str, object]:
    return {"code": j.code, "name_zh": j.name_zh, "name_en": j.name_en, "level": j.level, "path": j.path}


def chain_codes(path: str) -> list[str]:
    """Codes from the root down to the jurisdiction itself, from its materialised path."""
    return [c for c in path.split("/") if c]
