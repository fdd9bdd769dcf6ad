"""Use case: enforcement cases in the caller's scope: open cases by stage, closed cases, statutory fines
proposed, decided and paid, fiscal deductions (000§五(二)) proposed, notified and settled, orders to correct and
how many are overdue, by total, jurisdiction or month."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.transitions import OPEN_STAGES
from app.localtime import today_local
from app.stats.case_queries import ALL_MEASURES, case_rollup_rows, jurisdiction_names
from app.stats.envelope import StatsRequest, build_filter, numbers_meta, with_money
from app.stats.figures import MONTH
from app.stats.paging import FIRST_PAGE, RowPage, page_meta, page_of, sort_choices
from app.stats.rollup import MAX_STALENESS_SECONDS, pending_groups

CASE_DIMENSIONS = ("total", "jurisdiction", "month")
CASE_SORTS = sort_choices(ALL_MEASURES)
_REMAINDER = ("（未细分到该级）", "(not subdivided to this level)")


def _figures(key: str, values: dict[str, int], names: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    row: dict[str, Any] = {"key": key, **with_money(values)}
    row["open_by_stage"] = {s: values[f"open_{s}"] for s in OPEN_STAGES}
    if names:
        row["name_zh"], row["name_en"] = names.get(key, _REMAINDER)
    return row


def case_statistics(
    session: Session,
    principal: Principal,
    req: StatsRequest,
    *,
    by: str,
    level: str,
    today: date | None = None,
    page: RowPage = FIRST_PAGE,
) -> dict[str, Any]:
    """Case figures per ``by`` key; a row holds the cases opened in the period (Asia/Shanghai dates), as they
    stand ``today`` (from the rollups: as of the last refresh, at most about a minute ago). The range follows the statistics' rule (whole months or ISO weeks) so that the case figures
    line up with the inspection figures of the same request."""
    today = today or today_local()
    flt = build_filter(session, principal, req, by="month" if by == "month" else None)
    found = case_rollup_rows(session, principal.jurisdiction_paths, flt, by=by, level=level, today=today)
    totals = {m: sum(v[m] for v in found.values()) for m in ALL_MEASURES}
    shown, total_rows = page_of([{"key": k, **values} for k, values in found.items()], page)
    names = jurisdiction_names(session, [r["key"] for r in shown if r["key"]]) if by == "jurisdiction" else {}
    return {
        **numbers_meta(principal, req.jurisdiction),
        "period": {
            "grain": "month" if flt.window.grain == MONTH else "week",
            "date_from": flt.window.date_from,
            "date_to": flt.window.date_to,
        },
        "freshness": {
            "source": "rollup",
            "max_staleness_seconds": MAX_STALENESS_SECONDS,
            "pending_groups": pending_groups(session),
        },
        "as_of": today,
        "page": page_meta(page, total_rows),
        "by": by,
        "level": level if by == "jurisdiction" else None,
        "rows": [_figures(r["key"], found[r["key"]], names) for r in shown],
        "totals": _figures("all", totals, {}),
    }
