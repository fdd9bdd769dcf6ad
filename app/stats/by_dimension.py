"""Use case: inspections, pass rate, findings and money in the caller's scope, grouped by one dimension."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.stats.envelope import StatsRequest, build_filter, envelope, with_money
from app.stats.queries import inspection_rows

DIMENSIONS = ("total", "jurisdiction", "checklist", "site_kind", "month", "week")


def inspection_statistics(
    session: Session, principal: Principal, req: StatsRequest, *, by: str, level: str
) -> dict[str, Any]:
    """Figures per ``by`` key; ``by=jurisdiction`` rolls the tree up to ``level`` (province … township)."""
    flt = build_filter(session, principal, req, by=by)
    rows, total = inspection_rows(session, principal.jurisdiction_paths, flt, by=by, level=level)
    result = envelope(session, principal, req, flt.window, [with_money(r) for r in rows])
    result["by"] = by
    result["level"] = level if by == "jurisdiction" else None
    result["totals"] = with_money(total) if total else None
    return result
