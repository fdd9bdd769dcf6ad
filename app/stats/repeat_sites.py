"""Use case: the sites found failing most often (repeat offenders) in the caller's scope.

Read from the base tables (no rollup: a site's count is not a sum of jurisdiction figures); the date range is
any Asia/Shanghai dates, on the inspection's date as the rollups count it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.inspections.models import Finding, Inspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.localtime import LOCAL_TZ
from app.sites.models import Site
from app.stats.envelope import numbers_meta


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)


def repeat_sites(
    session: Session,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    jurisdiction: str | None,
    min_failed: int,
    limit: int,
) -> dict[str, Any]:
    """Top ``limit`` sites by inspections with a failed current finding (at least ``min_failed`` of them)."""
    moment = func.coalesce(Inspection.started_at, Inspection.submitted_at, Inspection.created_at)
    failed = (
        select(Finding.id)
        .where(
            Finding.inspection_id == Inspection.id,
            Finding.submission_no == Inspection.submission_count,
            Finding.verdict == "fail",
        )
        .exists()
    )
    conds: list[Any] = [Inspection.state != "draft", failed, scope_clause(principal.jurisdiction_paths)]
    if jurisdiction is not None:
        conds.append(Jurisdiction.path.startswith(get_jurisdiction_in_scope(session, jurisdiction, principal).path))
    if date_from is not None:
        conds.append(moment >= _midnight(date_from))
    if date_to is not None:
        conds.append(moment < _midnight(date_to + timedelta(days=1)))
    count = func.count().label("failed_inspections")
    stmt = (
        select(
            Site.id.label("site_id"),
            Site.name.label("site_name"),
            Site.kind.label("site_kind"),
            Jurisdiction.code.label("jurisdiction_code"),
            Jurisdiction.name_zh.label("jurisdiction_name"),
            count,
            func.max(moment).label("last_failed_at"),
        )
        .select_from(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(*conds)
        .group_by(Site.id, Jurisdiction.id)
        .having(func.count() >= min_failed)
        .order_by(count.desc(), Site.id)
        .limit(limit)
    )
    rows = [dict(r._mapping) for r in session.execute(stmt)]
    return {
        **numbers_meta(principal, jurisdiction),
        "period": {"grain": "day", "date_from": date_from, "date_to": date_to},
        "freshness": {"source": "live", "max_staleness_seconds": 0, "pending_groups": 0},
        "rows": rows,
    }
