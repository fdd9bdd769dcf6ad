"""Use case: inspections, pass rate, findings and money in the caller's scope, grouped by one dimension."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.stats.envelope import StatsRequest, build_filter, envelope, with_money
from app.stats.paging import FIRST_PAGE, RowPage, page_meta, page_of, sort_choices
from app.stats.queries import inspection_rows

DIMENSIONS = ("total", "jurisdiction", "checklist", "site_kind", "month", "week")
INSPECTION_SORTS = sort_choices(
    (
        "inspections",
        "passed",
        "pass_rate",
        "approved",
        "rejected",
        "findings",
        "failed_findings",
        "blocked_lines",
        "fiscal_deduction_fen",
        "statutory_fine_fen",
    )
)


def inspection_statistics(
    session: Session, principal: Principal, req: StatsRequest, *, by: str, level: str, page: RowPage = FIRST_PAGE
) -> dict[str, Any]:
    """Figures per ``by`` key, a page of them; ``by=jurisdiction`` rolls the tree up to ``level`` (province …
    township). The totals are those of every row."""
    flt = build_filter(session, principal, req, by=by)
    rows, total = inspection_rows(session, principal.jurisdiction_paths, flt, by=by, level=level)
    shown, total_rows = page_of(rows, page)
    result = envelope(session, principal, req, flt.window, [with_money(r) for r in shown])
    result["page"] = page_meta(page, total_rows)
    result["by"] = by
    result["level"] = level if by == "jurisdiction" else None
    result["totals"] = with_money(total) if total else None
    return result
