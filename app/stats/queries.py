"""Reading the rollups: sums over the caller's scope, grouped by one dimension.

Every query joins the rollup to ``jurisdictions`` and applies ``scope_clause`` to the path, so a figure never
includes a site outside the caller's jurisdictions; a jurisdiction at any level is a prefix of the path, so
rolling up the tree is a GROUP BY on a path segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, literal, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.stats.figures import Window
from app.stats.models import StatsInspections, StatsInspectors, StatsItems

# Segment of the materialised path ("/410000/410800/410821/410821100000/") holding each level's code.
LEVEL_SEGMENT = {"province": 2, "city": 3, "county": 4, "township": 5}


@dataclass(frozen=True)
class StatsFilter:
    window: Window
    jurisdiction_path: str | None = None
    checklist: str | None = None
    site_kind: str | None = None


def _where(table: Any, paths: Sequence[str] | None, flt: StatsFilter, *, dims: bool = True) -> list[Any]:
    conds: list[Any] = [table.grain == flt.window.grain, scope_clause(paths, Jurisdiction.path)]
    if flt.window.date_from is not None:
        conds.append(table.period >= flt.window.date_from)
    if flt.window.date_to is not None:
        conds.append(table.period <= flt.window.date_to)
    if flt.jurisdiction_path is not None:
        conds.append(Jurisdiction.path.startswith(flt.jurisdiction_path))
    if dims and flt.checklist is not None:
        conds.append(table.checklist_key == flt.checklist)
    if dims and flt.site_kind is not None and hasattr(table, "site_kind"):
        conds.append(table.site_kind == flt.site_kind)
    return conds


def _key(by: str, level: str, table: Any) -> ColumnElement[Any]:
    if by == "jurisdiction":
        return func.split_part(Jurisdiction.path, "/", LEVEL_SEGMENT[level])
    if by in ("month", "week"):
        return func.to_char(table.period, "YYYY-MM-DD")
    if by == "checklist":
        return table.checklist_key
    if by == "site_kind":
        return table.site_kind
    return literal("all")


def _sum(column: Any) -> ColumnElement[int]:
    return cast(func.coalesce(func.sum(column), 0), Integer)


def inspection_rows(
    session: Session, paths: Sequence[str] | None, flt: StatsFilter, *, by: str, level: str
) -> list[dict[str, Any]]:
    """Inspections, passes, decisions, findings and money per ``by`` key (key '' = above ``level``)."""
    t = StatsInspections
    key = _key(by, level, t).label("key")
    stmt = (
        select(
            key,
            _sum(t.inspections).label("inspections"),
            _sum(t.passed).label("passed"),
            _sum(t.approved).label("approved"),
            _sum(t.rejected).label("rejected"),
            _sum(t.findings).label("findings"),
            _sum(t.failed_findings).label("failed_findings"),
            func.coalesce(func.sum(t.fiscal_deduction_fen), 0).label("fiscal_deduction_fen"),
            func.coalesce(func.sum(t.statutory_fine_fen), 0).label("statutory_fine_fen"),
            _sum(t.blocked_lines).label("blocked_lines"),
        )
        .select_from(t)
        .join(Jurisdiction, Jurisdiction.id == t.jurisdiction_id)
        .where(*_where(t, paths, flt))
        .group_by(key)
        .order_by(key)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def item_rows(session: Session, paths: Sequence[str] | None, flt: StatsFilter, *, limit: int) -> list[dict[str, Any]]:
    """Findings per checklist item (most failures first)."""
    t = StatsItems
    failed = _sum(t.failed).label("failed")
    stmt = (
        select(
            t.checklist_key.label("checklist_key"),
            t.item_key.label("item_key"),
            _sum(t.findings).label("findings"),
            failed,
            _sum(t.na).label("na"),
        )
        .select_from(t)
        .join(Jurisdiction, Jurisdiction.id == t.jurisdiction_id)
        .where(*_where(t, paths, flt))
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
            func.coalesce(func.sum(t.fiscal_deduction_fen), 0).label("fiscal_deduction_fen"),
            func.coalesce(func.sum(t.statutory_fine_fen), 0).label("statutory_fine_fen"),
        )
        .select_from(t)
        .join(Jurisdiction, Jurisdiction.id == t.jurisdiction_id)
        .where(*_where(t, paths, flt, dims=False))
        .group_by(t.inspector_id)
        .order_by(counted.desc(), t.inspector_id)
        .limit(limit)
        .subquery()
    )
    stmt = select(sums, User.username, User.display_name).join(User, User.id == sums.c.inspector_id)
    stmt = stmt.order_by(sums.c.inspections.desc(), sums.c.inspector_id)
    return [dict(r._mapping) for r in session.execute(stmt)]


def jurisdiction_names(session: Session, codes: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    rows = session.execute(
        select(Jurisdiction.code, Jurisdiction.name_zh, Jurisdiction.name_en).where(Jurisdiction.code.in_(codes))
    )
    return {code: (zh, en) for code, zh, en in rows}
