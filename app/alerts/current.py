"""``GET /alerts/current``: the declarations in force at a moment that reach the caller's jurisdictions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.levels import AlertRecord, intervals
from app.alerts.models import Alert
from app.auth.principal import Principal
from app.vocabulary import ALERT_RANK


@dataclass(frozen=True)
class CurrentAlert:
    alert: Alert
    ends_at: datetime | None  # the effective end known so far (own end or the start of a change)


def visible(principal: Principal, path: str) -> bool:
    """An alert concerns the caller when declared at, below or above one of their jurisdictions
    (a city's alert applies to its districts)."""
    return principal.covers(path) or any(p.startswith(path) for p in principal.jurisdiction_paths)


def current_alerts(session: Session, principal: Principal, at: datetime) -> list[CurrentAlert]:
    """Declarations (not lifts) in force at ``at`` that concern the caller, highest level first."""
    rows = [a for a in session.scalars(select(Alert).order_by(Alert.id)) if visible(principal, a.jurisdiction.path)]
    by_id = {a.id: a for a in rows}
    records = [AlertRecord(a.id, a.jurisdiction.code, a.level, a.starts_at, a.ends_at, a.supersedes_id) for a in rows]
    live = [iv for iv in intervals(records) if iv.record.level != "none" and iv.contains(at)]
    live.sort(key=lambda iv: (-ALERT_RANK.get(iv.record.level, 0), iv.record.jurisdiction_code))
    return [CurrentAlert(by_id[iv.record.id], iv.end) for iv in live]
