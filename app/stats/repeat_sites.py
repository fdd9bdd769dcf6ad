"""Use case: the sites found failing most often (repeat offenders) in the caller's scope.

Whole months of the date range are read from ``stats_sites`` (per site and month: inspections with a failed
current finding, kept by the statistics refresh); the days of a partial month at either end from the base
tables, on the inspection's date as the rollups count it. Without dates: every month, all from the rollup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.inspections.models import Finding, Inspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.localtime import LOCAL_TZ
from app.sites.models import Site
from app.stats.envelope import numbers_meta
from app.stats.models import StatsSites
from app.stats.rollup import MAX_STALENESS_SECONDS, next_month, pending_groups


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)


def whole_months(date_from: date | None, date_to: date | None) -> tuple[date | None, date | None]:
    """[start, end) of the whole months inside the inclusive range (None: open); start >= end: none."""
    start = date_from if date_from is None or date_from.day == 1 else next_month(date_from.replace(day=1))
    end_excl = None if date_to is None else date_to + timedelta(days=1)
    end = end_excl if end_excl is None or end_excl.day == 1 else end_excl.replace(day=1)
    return start, end


def rollup_only(date_from: date | None, date_to: date | None) -> bool:
    """Whether the range is answered from ``stats_sites`` alone (whole months or no dates: no day read live),
    so the answer changes only with the rollups (app/stats/answer_cache.py may keep it)."""
    start, end = whole_months(date_from, date_to)
    if start is not None and end is not None and start >= end:
        return False
    return (date_from is None or date_from == start) and (date_to is None or date_to + timedelta(days=1) == end)


def _live_counts(paths: Sequence[str] | None, subtree: str | None, ranges: list[tuple[date, date]]) -> Any:
    """Per site, from the base tables: failed inspections whose date lies in one of the [from, to) ``ranges``."""
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
    conds: list[Any] = [Inspection.state != "draft", failed, scope_clause(paths)]
    if subtree is not None:
        conds.append(Jurisdiction.path.startswith(subtree))
    conds.append(or_(*[and_(moment >= _midnight(a), moment < _midnight(b)) for a, b in ranges]))
    return (
        select(Inspection.site_id.label("site_id"), func.count().label("n"), func.max(moment).label("last"))
        .select_from(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(*conds)
        .group_by(Inspection.site_id)
    )


def _rollup_counts(paths: Sequence[str] | None, subtree: str | None, start: date | None, end: date | None) -> Any:
    t = StatsSites
    in_scope: list[ColumnElement[bool]] = [scope_clause(paths)]
    if subtree is not None:
        in_scope.append(Jurisdiction.path.startswith(subtree))
    conds: list[Any] = [t.jurisdiction_id.in_(select(Jurisdiction.id).where(*in_scope))]
    if start is not None:
        conds.append(t.period >= start)
    if end is not None:
        conds.append(t.period < end)
    return (
        select(
            t.site_id.label("site_id"),
            func.sum(t.failed_inspections).label("n"),
            func.max(t.last_failed_at).label("last"),
        )
        .where(*conds)
        .group_by(t.site_id)
    )


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
    paths = principal.jurisdiction_paths
    subtree = get_jurisdiction_in_scope(session, jurisdiction, principal).path if jurisdiction is not None else None
    start, end = whole_months(date_from, date_to)
    parts = []
    edges: list[tuple[date, date]] = []
    if start is not None and end is not None and start >= end:  # no whole month: every day live
        assert date_from is not None and date_to is not None
        edges.append((date_from, date_to + timedelta(days=1)))
    else:
        parts.append(_rollup_counts(paths, subtree, start, end))
        if date_from is not None and start is not None and date_from < start:
            edges.append((date_from, start))
        if date_to is not None and end is not None and end <= date_to:
            edges.append((end, date_to + timedelta(days=1)))
    if edges:
        parts.append(_live_counts(paths, subtree, edges))
    if len(parts) == 1:  # one source: rank its per-site sums directly (one aggregation, not two)
        single = parts[0].subquery("counts")
        n = single.c.n
        top = (
            select(single.c.site_id, n.label("failed_inspections"), single.c.last.label("last_failed_at"))
            .where(n >= literal(min_failed))
            .order_by(n.desc(), single.c.site_id)
            .limit(limit)
            .subquery("top")
        )
    else:
        counts = union_all(*parts).subquery("counts")
        total = func.sum(counts.c.n).label("failed_inspections")
        top = (
            select(counts.c.site_id, total, func.max(counts.c.last).label("last_failed_at"))
            .group_by(counts.c.site_id)
            .having(func.sum(counts.c.n) >= literal(min_failed))
            .order_by(total.desc(), counts.c.site_id)
            .limit(limit)
            .subquery("top")
        )
    stmt = (
        select(
            Site.id.label("site_id"),
            Site.name.label("site_name"),
            Site.kind.label("site_kind"),
            Jurisdiction.code.label("jurisdiction_code"),
            Jurisdiction.name_zh.label("jurisdiction_name"),
            top.c.failed_inspections,
            top.c.last_failed_at,
        )
        .select_from(top)
        .join(Site, Site.id == top.c.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .order_by(top.c.failed_inspections.desc(), Site.id)
    )
    rows = [dict(r._mapping) for r in session.execute(stmt)]
    for row in rows:
        row["failed_inspections"] = int(row["failed_inspections"])
    return {
        **numbers_meta(principal, jurisdiction),
        "period": {"grain": "day", "date_from": date_from, "date_to": date_to},
        "freshness": {
            "source": "rollup" if not edges else "rollup+live",
            "max_staleness_seconds": MAX_STALENESS_SECONDS,
            "pending_groups": pending_groups(session),
        },
        "rows": rows,
    }
