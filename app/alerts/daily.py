"""The day's list for planning 应急管控督导检查: which listed sites are under which measures today in the
caller's jurisdictions, and which were inspected since the alert (or staggered period) began."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.alerts.in_force import alert_records, day_bounds, entry_spec
from app.alerts.levels import AlertRecord, changes_during, episode_start, highest_during
from app.alerts.measures import alert_items, measures_in_force
from app.alerts.models import ReductionEntry, ReductionList
from app.auth.principal import Principal
from app.inspections.models import Inspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.jurisdictions.services import chain_codes
from app.sites.models import Site


@dataclass(frozen=True)
class DailySite:
    site_id: int
    site_name: str
    site_code: str | None
    jurisdiction_code: str
    grade: str
    industry: str
    level: str
    since: datetime | date | None
    items: list[dict[str, Any]]
    last_inspection_id: str | None
    last_inspection_started_at: datetime | None
    last_inspection_state: str | None

    @property
    def inspected(self) -> bool:
        return self.last_inspection_id is not None


@dataclass(frozen=True)
class DailyList:
    day: date
    sites: list[DailySite] = field(default_factory=list)


def _entries_in_force(session: Session, principal: Principal, day: date) -> list[ReductionEntry]:
    lists = session.scalars(
        select(ReductionList)
        .where(
            ReductionList.effective_from <= day,
            or_(ReductionList.effective_to.is_(None), ReductionList.effective_to >= day),
        )
        .order_by(ReductionList.jurisdiction_id, ReductionList.effective_from.desc(), ReductionList.id.desc())
    ).all()
    newest: dict[int, int] = {}
    for lst in lists:
        newest.setdefault(lst.jurisdiction_id, lst.id)
    if not newest:
        return []
    return list(
        session.scalars(
            select(ReductionEntry)
            .join(Site, Site.id == ReductionEntry.site_id)
            .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
            .where(ReductionEntry.list_id.in_(list(newest.values())), scope_clause(principal.jurisdiction_paths))
            .order_by(Jurisdiction.path, Site.name, ReductionEntry.id)
        )
    )


def daily_list(session: Session, principal: Principal, day: date) -> DailyList:
    """Listed sites in scope with measures in force on ``day`` (the day's highest alert level, any staggered
    period), each with its items and the latest inspection started since the episode began."""
    start, end = day_bounds(day)
    records_by_path: dict[str, list[AlertRecord]] = {}
    out: list[DailySite] = []
    for entry in _entries_in_force(session, principal, day):
        site = entry.site
        path = site.jurisdiction.path
        chain = chain_codes(path)
        records = records_by_path.setdefault(path, alert_records(session, chain))
        level = highest_during(records, chain, start, end)
        spec = entry_spec(entry)
        active = measures_in_force(spec, level, day)
        if not active:
            continue
        moments = [start] + [c.at for c in changes_during(records, chain, start, end)]
        alert_since = next((s for t in moments if (s := episode_start(records, chain, t)) is not None), None)
        stagger_since = min((m.starts_on for m in active if m.starts_on is not None), default=None)
        since_moment = alert_since or (datetime.combine(stagger_since, start.timetz()) if stagger_since else start)
        last = session.execute(
            select(Inspection.id, Inspection.started_at, Inspection.state)
            .where(
                Inspection.site_id == site.id,
                func.coalesce(Inspection.started_at, Inspection.created_at) >= since_moment,
            )
            .order_by(Inspection.started_at.desc().nulls_last())
            .limit(1)
        ).first()
        out.append(
            DailySite(
                site_id=site.id,
                site_name=site.name,
                site_code=site.code,
                jurisdiction_code=site.jurisdiction.code,
                grade=entry.grade,
                industry=entry.industry,
                level=level,
                since=alert_since or stagger_since,
                items=alert_items(spec, level, day),
                last_inspection_id=str(last.id) if last else None,
                last_inspection_started_at=last.started_at if last else None,
                last_inspection_state=last.state if last else None,
            )
        )
    # Not yet inspected first: the basis for the day's plan.
    out.sort(key=lambda s: (s.inspected, s.jurisdiction_code, s.site_name))
    return DailyList(day, out)
