"""Use case: inspections, pass rate, findings and money in the caller's scope, grouped by one dimension."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.stats.envelope import StatsRequest, build_filter, envelope, with_money
from app.stats.queries import inspection_rows, jurisdiction_names

DIMENSIONS = ("total", "jurisdiction", "checklist", "site_kind", "month", "week")


def inspection_statistics(
    session: Session, principal: Principal, req: StatsRequest, *, by: str, level: str
) -> dict[str, Any]:
    """Figures per ``by`` key; ``by=jurisdiction`` rolls the tree up to ``level`` (province … township)."""
    flt = build_filter(session, principal, req, by=by)
    rows = [with_money(r) for r in inspection_rows(session, principal.jurisdiction_paths, flt, by=by, level=level)]
    if by == "jurisdiction":
        names = jurisdiction_names(session, [r["key"] for r in rows if r["key"]])
        for r in rows:
            # '' : sites attached directly to a jurisdiction above the level asked for
            r["name_zh"], r["name_en"] = names.get(r["key"], ("（未细分）", "(not subdivided)"))
    totals: dict[str, Any] = {}
    for r in rows:
        for name, value in r.items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals[name] = totals.get(name, 0) + value
    result = envelope(session, principal, req, flt.window, rows)
    result["by"] = by
    result["level"] = level if by == "jurisdiction" else None
    result["totals"] = with_money(totals) if rows else None
    return result
