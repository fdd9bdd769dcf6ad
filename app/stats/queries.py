"""Reading the rollups: sums over the caller's scope, grouped by one dimension.

A rollup row holds a jurisdiction's whole subtree (app/stats/rollup.py). A figure for the caller reads the rows
of the caller's own jurisdictions (or of the subtree asked for, checked against them), so it never includes a
site outside them, and rolling up the tree costs nothing at query time: a few rows per jurisdiction and period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, and_, any_, bindparam, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.auth.models import User
from app.jurisdictions.models import Jurisdiction
from app.stats.figures import MONTH, YEAR, Window, year_split
from app.stats.models import StatsInspections, StatsInspectors, StatsItems

LEVEL_RANK = {"province": 0, "city": 1, "county": 2, "township": 3}
ALL = "*"  # stats_inspections rows that total every checklist and kind


@dataclass(frozen=True)
class StatsFilter:
    window: Window
    jurisdiction_path: str | None = None
    checklist: str | None = None
    site_kind: str | None = None


@dataclass(frozen=True)
class Anchor:
    id: int
    code: str
    path: str
    level: str


def anchors(session: Session, paths: Sequence[str] | None, flt: StatsFilter) -> list[Anchor]:
    """The jurisdictions whose subtree rows answer: the subtree asked for, else the caller's own (nested ones
    dropped, so nothing counts twice; '/' or None: every root)."""
    wanted = [flt.jurisdiction_path] if flt.jurisdiction_path is not None else sorted(paths or ["/"])
    tops = [p for p in wanted if not any(p != q and p.startswith(q) for q in wanted)]
    cond = Jurisdiction.parent_id.is_(None) if "/" in tops else Jurisdiction.path.in_(tops)
    rows = session.execute(
        select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.path, Jurisdiction.level).where(cond)
    )
    return [Anchor(*r) for r in rows]


def period_conds(table: Any, flt: StatsFilter) -> list[Any]:
    conds: list[Any] = [table.grain == flt.window.grain]
    if flt.window.date_from is not None:
        conds.append(table.period >= flt.window.date_from)
    if flt.window.date_to is not None:
        conds.append(table.period <= flt.window.date_to)
    return conds


def period_conds_with_years(t: Any, flt: StatsFilter) -> list[Any]:
    """``_period`` over stats_inspections for a month window read as whole years (year rows) plus the months
    of the partial years at either end: the same sums from a twelfth of the rows."""
    split = year_split(flt.window)
    lo = flt.window.date_from
    hi = None if flt.window.date_to is None else flt.window.date_to + timedelta(days=1)

    def between(grain: str, start: date | None, end: date | None) -> Any:
        conds = [t.grain == grain]
        if start is not None:
            conds.append(t.period >= start)
        if end is not None:
            conds.append(t.period < end)
        return and_(*conds)

    parts = [between(YEAR, split.years_from, split.years_to)]
    if split.years_from is not None:
        parts.append(between(MONTH, lo, split.years_from))
    if split.years_to is not None:
        parts.append(between(MONTH, split.years_to, hi))
    return [or_(*parts)]


def _sum(column: Any) -> ColumnElement[int]:
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _inspection_measures(t: Any) -> list[Any]:
    return [
        _sum(t.inspections).label("inspections"),
        _sum(t.passed).label("passed"),
        _sum(t.approved).label("approved"),
        _sum(t.rejected).label("rejected"),
        _sum(t.findings).label("findings"),
        _sum(t.failed_findings).label("failed_findings"),
        _sum(t.fiscal_deduction_fen).label("fiscal_deduction_fen"),
        _sum(t.statutory_fine_fen).label("statutory_fine_fen"),
        _sum(t.blocked_lines).label("blocked_lines"),
    ]


def inspection_rows(
    session: Session, paths: Sequence[str] | None, flt: StatsFilter, *, by: str, level: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(rows per ``by`` key, the total) from the subtree rows of the anchors (or of the jurisdictions at
    ``level`` below them). A remainder row keyed '' holds sites attached above ``level``."""
    t = StatsInspections
    found = anchors(session, paths, flt)
    if not found:
        return [], {}
    detailed = by in ("checklist", "site_kind") or flt.checklist is not None or flt.site_kind is not None
    if flt.window.grain == MONTH and by not in ("month", "week"):
        conds = period_conds_with_years(t, flt)
    else:
        conds = period_conds(t, flt)
    if detailed:
        conds += [t.checklist_key != ALL]
        if flt.checklist is not None:
            conds.append(t.checklist_key == flt.checklist)
        if flt.site_kind is not None:
            conds.append(t.site_kind == flt.site_kind)
    else:
        conds += [t.checklist_key == ALL, t.site_kind == ALL]
    measures = _inspection_measures(t)
    on_anchor = t.jurisdiction_id.in_([a.id for a in found])
    total_row = session.execute(select(*measures).where(*conds, on_anchor)).one()
    total = dict(total_row._mapping)
    if by == "jurisdiction":
        deep = [a for a in found if LEVEL_RANK[a.level] >= LEVEL_RANK[level]]
        shallow = [a for a in found if LEVEL_RANK[a.level] < LEVEL_RANK[level]]
        # The jurisdictions at ``level`` are found first, so the rollup is read by its jurisdiction index.
        node_ids = [a.id for a in deep]
        if shallow:
            node_ids += session.scalars(
                select(Jurisdiction.id).where(
                    Jurisdiction.level == level, or_(*[Jurisdiction.path.startswith(a.path) for a in shallow])
                )
            )
        # One array parameter (2,512 townships in a province), an index condition of ix_stats_inspections_totals.
        node_cond: list[ColumnElement[bool]] = [
            t.jurisdiction_id == any_(bindparam("node_ids", node_ids, type_=ARRAY(Integer)))
        ]
        key = Jurisdiction.code.label("key")
        stmt = (
            select(key, Jurisdiction.name_zh.label("name_zh"), Jurisdiction.name_en.label("name_en"), *measures)
            .select_from(t)
            .join(Jurisdiction, Jurisdiction.id == t.jurisdiction_id)
            .where(*conds, or_(*node_cond))
            .group_by(Jurisdiction.code, Jurisdiction.name_zh, Jurisdiction.name_en)
            .order_by(Jurisdiction.code)
        )
        rows = [dict(r._mapping) for r in session.execute(stmt)]
        rest = {k: int(v) - sum(int(r[k]) for r in rows) for k, v in total.items()}
        if any(rest.values()):
            rows.append({"key": "", "name_zh": "（未细分到该级）", "name_en": "(not subdivided to this level)", **rest})
        return rows, total
    if by in ("month", "week"):
        group: Any = func.to_char(t.period, "YYYY-MM-DD")
    elif by == "checklist":
        group = t.checklist_key
    elif by == "site_kind":
        group = t.site_kind
    else:
        group = literal("all")
    key = group.label("key")
    stmt = select(key, *measures).where(*conds, on_anchor).group_by(group).order_by(group)
    return [dict(r._mapping) for r in session.execute(stmt)], total


def item_rows(session: Session, paths: Sequence[str] | None, flt: StatsFilter, *, limit: int) -> list[dict[str, Any]]:
    """Findings per checklist item (most failures first)."""
    t = StatsItems
    failed = _sum(t.failed).label("failed")
    checklist = [t.checklist_key == flt.checklist] if flt.checklist is not None else []
    stmt = (
        select(
            t.checklist_key.label("checklist_key"),
            t.item_key.label("item_key"),
            _sum(t.findings).label("findings"),
            failed,
            _sum(t.na).label("na"),
        )
        .where(*period_conds(t, flt), t.jurisdiction_id.in_([a.id for a in anchors(session, paths, flt)]), *checklist)
        .group_by(t.checklist_key, t.item_key)
        .order_by(failed.desc(), t.checklist_key, t.item_key)
        .limit(limit)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def inspector_rows(
    session: Session, paths: Sequence[str] | None, flt: StatsFilter, *, limit: int
) -> list[dict[str, Any]]:
    """Inspections, passes, failures and money per inspector (the inspection's creator), most inspections first."""
    t = StatsInspectors
    counted = _sum(t.inspections).label("inspections")
    sums = (
        select(
            t.inspector_id.label("inspector_id"),
            counted,
            _sum(t.passed).label("passed"),
            _sum(t.failed_findings).label("failed_findings"),
            _sum(t.fiscal_deduction_fen).label("fiscal_deduction_fen"),
            _sum(t.statutory_fine_fen).label("statutory_fine_fen"),
        )
        .where(*period_conds(t, flt), t.jurisdiction_id.in_([a.id for a in anchors(session, paths, flt)]))
        .group_by(t.inspector_id)
        .order_by(counted.desc(), t.inspector_id)
        .limit(limit)
        .subquery()
    )
    stmt = select(sums, User.username, User.display_name).join(User, User.id == sums.c.inspector_id)
    stmt = stmt.order_by(sums.c.inspections.desc(), sums.c.inspector_id)
    return [dict(r._mapping) for r in session.execute(stmt)]
