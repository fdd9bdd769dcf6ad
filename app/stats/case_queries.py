"""Reading enforcement cases for the statistics: open cases by stage, closed cases, fines proposed, decided and
paid, orders to correct (overdue ones among them) and fiscal deductions, grouped by one dimension.

A row is a cohort: the cases (orders, fiscal deductions) opened in the period, as they stand now. Summing the
rows gives the total, and every amount is the sum of the cases' own amounts.

``case_rollup_rows`` answers from the rollups (stats_cases, stats_case_deadlines: app/stats/case_rollup.py, kept
by the refresh job, at most about a minute old): a few rows per jurisdiction and period. ``case_rows`` is the
same computation over the base tables (cases, correction_orders, fiscal_deductions), the definition the rollup
must equal: at 1 M inspections (40,000 cases, 142,000 deductions) it took 0.7-3.9 s for the province, so the
endpoint reads the rollup and a test compares both on generated data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Date, Integer, any_, bindparam, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.cases.models import Case, CorrectionOrder, FiscalDeduction
from app.cases.overdue import overdue_order_clause
from app.cases.transitions import OPEN_STAGES
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.stats.figures import MONTH, TIME_ZONE, Window
from app.stats.models import CASE_MEASURES as ROLLUP_MEASURES
from app.stats.models import StatsCaseDeadlines, StatsCases
from app.stats.queries import LEVEL_RANK, StatsFilter, anchors, period_conds, period_conds_with_years

CASE_MEASURES = ("cases", "open_cases", "closed_cases", *(f"open_{s}" for s in OPEN_STAGES))
MONEY_CASES = ("statutory_fine_proposed_fen", "statutory_fine_decided_fen", "statutory_fine_paid_fen")
ORDER_MEASURES = ("orders", "overdue_orders")
FISCAL_MEASURES = (
    "fiscal_deductions",
    "fiscal_deduction_proposed_fen",
    "fiscal_deduction_notified_fen",
    "fiscal_deduction_settled_fen",
)
ALL_MEASURES = (*CASE_MEASURES, *MONEY_CASES, *ORDER_MEASURES, *FISCAL_MEASURES)


def _count(cond: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    counted = func.count() if cond is None else func.count().filter(cond)
    return cast(counted, BigInteger)


def _sum(column: Any, cond: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    summed = func.sum(column) if cond is None else func.sum(column).filter(cond)
    return cast(func.coalesce(summed, 0), BigInteger)


def _local_day(column: Any) -> ColumnElement[date]:
    return cast(func.timezone(TIME_ZONE, column), Date)


def _key(by: str, level: str, opened_at: Any) -> ColumnElement[str]:
    if by == "jurisdiction":
        # path '/410000/410800/410822/410822001/': part 2 is the province, 3 the city, 4 the county, 5 the
        # township; '' when the row's jurisdiction lies above ``level``.
        return func.split_part(Jurisdiction.path, "/", LEVEL_RANK[level] + 2)
    if by == "month":
        return func.to_char(func.date_trunc("month", func.timezone(TIME_ZONE, opened_at)), "YYYY-MM-DD")
    return literal("all")


def _where(
    paths: Sequence[str] | None, subtree: str | None, window: Window, opened_at: Any
) -> list[ColumnElement[bool]]:
    conds = [scope_clause(paths)]
    if subtree is not None:
        conds.append(Jurisdiction.path.startswith(subtree))
    if window.date_from is not None:
        conds.append(_local_day(opened_at) >= window.date_from)
    if window.date_to is not None:
        conds.append(_local_day(opened_at) <= window.date_to)
    return conds


def case_rows(
    session: Session,
    paths: Sequence[str] | None,
    subtree: str | None,
    window: Window,
    *,
    by: str,
    level: str,
    today: date,
) -> dict[str, dict[str, int]]:
    """Figures per key (jurisdiction code at ``level``, month start 'YYYY-MM-DD', or 'all')."""
    out: dict[str, dict[str, int]] = {}

    def merge(rows: Any) -> None:
        for row in rows:
            data = dict(row._mapping)
            key = data.pop("key")
            out.setdefault(key, dict.fromkeys(ALL_MEASURES, 0)).update({k: int(v) for k, v in data.items()})

    key = _key(by, level, Case.created_at).label("key")
    is_open = Case.stage.in_(OPEN_STAGES)
    merge(
        session.execute(
            select(
                key,
                _count().label("cases"),
                _count(is_open).label("open_cases"),
                _count(Case.stage == "closed").label("closed_cases"),
                *[_count(Case.stage == s).label(f"open_{s}") for s in OPEN_STAGES],
                _sum(Case.proposed_fine_fen).label("statutory_fine_proposed_fen"),
                _sum(Case.decided_fine_fen).label("statutory_fine_decided_fen"),
                _sum(Case.paid_fen).label("statutory_fine_paid_fen"),
            )
            .join(Jurisdiction, Jurisdiction.id == Case.jurisdiction_id)
            .where(*_where(paths, subtree, window, Case.created_at))
            .group_by(key)
        )
    )
    key = _key(by, level, Case.created_at).label("key")
    merge(
        session.execute(
            select(key, _count().label("orders"), _count(overdue_order_clause(today)).label("overdue_orders"))
            .select_from(CorrectionOrder)
            .join(Case, Case.id == CorrectionOrder.case_id)
            .join(Jurisdiction, Jurisdiction.id == Case.jurisdiction_id)
            .where(*_where(paths, subtree, window, Case.created_at))
            .group_by(key)
        )
    )
    # 000§五(二): a fiscal deduction is charged to the sub-district, so it is placed and scoped by that one.
    key = _key(by, level, FiscalDeduction.created_at).label("key")
    notified = FiscalDeduction.status.in_(("notified", "settled"))
    merge(
        session.execute(
            select(
                key,
                _count().label("fiscal_deductions"),
                _sum(FiscalDeduction.amount_fen).label("fiscal_deduction_proposed_fen"),
                _sum(FiscalDeduction.amount_fen, notified).label("fiscal_deduction_notified_fen"),
                _sum(FiscalDeduction.amount_fen, FiscalDeduction.status == "settled").label(
                    "fiscal_deduction_settled_fen"
                ),
            )
            .join(Jurisdiction, Jurisdiction.id == FiscalDeduction.subdistrict_id)
            .where(*_where(paths, subtree, window, FiscalDeduction.created_at))
            .group_by(key)
        )
    )
    return out


def jurisdiction_names(session: Session, codes: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    rows = session.execute(
        select(Jurisdiction.code, Jurisdiction.name_zh, Jurisdiction.name_en).where(Jurisdiction.code.in_(codes))
    )
    return {code: (zh, en) for code, zh, en in rows}


def case_rollup_rows(
    session: Session, paths: Sequence[str] | None, flt: StatsFilter, *, by: str, level: str, today: date
) -> dict[str, dict[str, int]]:
    """``case_rows`` from the rollups: figures per key (jurisdiction code at ``level``, '' for the cases of
    jurisdictions above it; month start 'YYYY-MM-DD'; or 'all')."""
    found = anchors(session, paths, flt)
    if not found:
        return {}
    # The rows of each anchor's subtree, or of the jurisdictions at ``level`` below it, named by their code at
    # ``level`` (an anchor below ``level`` counts under its ancestor there, as ``case_rows`` groups the path).
    # The jurisdictions at ``level`` below a shallow anchor (2,512 townships in a province) are joined, not
    # listed: an index-only range over the period's rows (ix_stats_cases_grain, migration 0035) and a hash join.
    key_of: dict[int, str] = {}
    shallow: list[str] = []
    if by == "jurisdiction":
        part = LEVEL_RANK[level] + 1
        for a in found:
            if LEVEL_RANK[a.level] >= LEVEL_RANK[level]:
                key_of[a.id] = a.path.strip("/").split("/")[part - 1]
            else:
                shallow.append(a.path)
    anchor_ids = [a.id for a in found]

    def read(t: Any, measures: list[Any], extra: list[ColumnElement[bool]]) -> dict[str, dict[str, int]]:
        if by != "month" and flt.window.grain == MONTH:
            conds = [*period_conds_with_years(t, flt), *extra]
        else:
            conds = [*period_conds(t, flt), *extra]
        stmts: list[Any] = []
        if by == "jurisdiction":
            if key_of:
                ids = bindparam("ids", list(key_of), type_=ARRAY(Integer))
                stmts.append(
                    select(t.jurisdiction_id.label("g"), *measures)
                    .where(*conds, t.jurisdiction_id == any_(ids))
                    .group_by(t.jurisdiction_id)
                )
            if shallow:
                j = Jurisdiction
                stmts.append(
                    select(j.code.label("g"), *measures)
                    .select_from(t)
                    .join(j, j.id == t.jurisdiction_id)
                    .where(*conds, j.level == level, or_(*[j.path.startswith(p) for p in shallow]))
                    .group_by(j.code)
                )
        else:
            ids = bindparam("ids", anchor_ids, type_=ARRAY(Integer))
            stmt = select(*measures).where(*conds, t.jurisdiction_id == any_(ids))
            if by == "month":
                stmt = stmt.add_columns(t.period.label("g")).group_by(t.period)
            else:
                stmt = stmt.add_columns(literal("all").label("g"))
            stmts.append(stmt)
        out: dict[str, dict[str, int]] = {}
        for stmt in stmts:
            for row in session.execute(stmt):
                data = row._mapping
                g = data["g"]
                key = g.isoformat() if by == "month" else key_of[g] if isinstance(g, int) else str(g)
                acc = out.setdefault(key, {})
                for name, value in data.items():
                    if name != "g":
                        acc[name] = acc.get(name, 0) + int(value)
        return out

    s = StatsCases
    main = read(s, [_sum(getattr(s, m)).label(m) for m in ROLLUP_MEASURES], [])
    d = StatsCaseDeadlines
    overdue = read(d, [_sum(d.open_orders).label("overdue_orders")], [d.deadline < today])
    out: dict[str, dict[str, int]] = {}
    for key in {*main, *overdue}:
        out[key] = {**dict.fromkeys(ALL_MEASURES, 0), **main.get(key, {}), **overdue.get(key, {})}
    if by == "jurisdiction":
        # Cases of jurisdictions above ``level`` (a county's own cases when asked by township): the anchors'
        # totals less what their jurisdictions at ``level`` hold.
        by_total = case_rollup_rows(session, paths, flt, by="total", level=level, today=today).get("all")
        if by_total:
            rest = {m: v - sum(r[m] for r in out.values()) for m, v in by_total.items()}
            if any(rest.values()):
                out[""] = rest
    return out
