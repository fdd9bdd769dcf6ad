"""Declaring an alert, and changing (upgrade, downgrade, lift) one: always a new record, never an edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.current import visible
from app.alerts.models import Alert
from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import get_jurisdiction_in_scope


@dataclass(frozen=True)
class Declaration:
    jurisdiction_code: str
    level: str  # blue | yellow | orange | red; "none" only to lift (with supersedes_id)
    starts_at: datetime
    issuer: str
    doc_ref: str
    ends_at: datetime | None = None
    batch_code: str | None = None
    supersedes_id: int | None = None
    note: str | None = None


def alert_not_found() -> NotFound:
    return NotFound("预警不存在或不在您的辖区内。", "Alert not found in your jurisdictions.", code="alert_not_found")


def _to_minute(moment: datetime) -> datetime:
    # Notices give the hour or minute ("3月12日19时"): store to the minute.
    return moment.replace(second=0, microsecond=0)


def _snapshot(alert: Alert) -> dict[str, object]:
    return {
        "jurisdiction": alert.jurisdiction.code if alert.jurisdiction else None,
        "level": alert.level,
        "starts_at": alert.starts_at.isoformat(),
        "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
        "issuer": alert.issuer,
        "doc_ref": alert.doc_ref,
        "batch_code": alert.batch_code,
        "supersedes_id": alert.supersedes_id,
    }


def _check(session: Session, d: Declaration, jurisdiction: Jurisdiction) -> Alert | None:
    errors: list[FieldError] = []
    starts_at = _to_minute(d.starts_at)
    if d.ends_at is not None and _to_minute(d.ends_at) <= starts_at:
        errors.append(
            FieldError("ends_at", "invalid_period", "结束时间须晚于开始时间", "ends_at must be after starts_at")
        )
    if d.level == "none" and d.supersedes_id is None:
        errors.append(
            FieldError(
                "level",
                "lift_needs_alert",
                "解除预警须指明被解除的预警",
                "a lift names the alert it ends (supersedes_id)",
            )
        )
    previous = None
    if d.supersedes_id is not None:
        previous = session.get(Alert, d.supersedes_id)
        if previous is None or previous.jurisdiction_id != jurisdiction.id:
            errors.append(
                FieldError(
                    "supersedes_id",
                    "alert_not_found",
                    "被调整的预警不存在或不属于同一辖区",
                    "no such alert in this jurisdiction",
                )
            )
            previous = None
        elif previous.starts_at >= starts_at:
            errors.append(
                FieldError(
                    "starts_at",
                    "before_superseded",
                    "调整时间须晚于原预警开始时间",
                    "a change starts after the alert it changes",
                )
            )
    if errors:
        raise ValidationFailed("预警信息有误。", "The alert is invalid.", errors=errors)
    if previous is not None:
        taken = session.scalar(select(Alert.id).where(Alert.supersedes_id == previous.id))
        if taken is not None:
            raise Conflict(
                f"该预警已被第 {taken} 号记录调整，请在最新记录上调整。",
                f"Alert already changed by record {taken}; change the latest record.",
                code="alert_already_superseded",
                extra={"superseded_by": taken},
            )
    return previous


def declare_alert(session: Session, principal: Principal, d: Declaration) -> tuple[Alert, bool]:
    """Record a declaration or a change of level (audited). A retry of the same declaration returns the
    record already made (``created`` false) instead of a second one."""
    jurisdiction = get_jurisdiction_in_scope(session, d.jurisdiction_code, principal)
    starts_at = _to_minute(d.starts_at)
    same = session.scalar(
        select(Alert).where(
            Alert.jurisdiction_id == jurisdiction.id,
            Alert.level == d.level,
            Alert.starts_at == starts_at,
            Alert.doc_ref == d.doc_ref,
            Alert.supersedes_id.is_(None) if d.supersedes_id is None else Alert.supersedes_id == d.supersedes_id,
        )
    )
    if same is not None:
        return same, False
    # Two admins changing the same alert take turns (the runtime role may lock jurisdictions, not alerts);
    # the unique index on supersedes_id backs this.
    session.execute(select(Jurisdiction.id).where(Jurisdiction.id == jurisdiction.id).with_for_update())
    _check(session, d, jurisdiction)
    alert = Alert(
        jurisdiction=jurisdiction,
        level=d.level,
        starts_at=starts_at,
        ends_at=_to_minute(d.ends_at) if d.ends_at else None,
        issuer=d.issuer,
        doc_ref=d.doc_ref,
        batch_code=d.batch_code,
        supersedes_id=d.supersedes_id,
        note=d.note,
        created_by_id=principal.user_id,
    )
    session.add(alert)
    session.flush()
    action = "alert.declare" if d.supersedes_id is None else ("alert.lift" if d.level == "none" else "alert.change")
    record_audit(session, action, "alert", alert.id, before=None, after=_snapshot(alert))
    return alert, True


def list_alerts(session: Session, principal: Principal, jurisdiction_code: str | None = None) -> list[Alert]:
    """Declarations visible to the caller: for a jurisdiction above, at or below one of theirs."""
    rows = session.scalars(select(Alert).order_by(Alert.starts_at.desc(), Alert.id.desc()).limit(500)).all()
    out = []
    for a in rows:
        path = a.jurisdiction.path
        if jurisdiction_code is not None and a.jurisdiction.code != jurisdiction_code:
            continue
        if visible(principal, path):
            out.append(a)
    return out
