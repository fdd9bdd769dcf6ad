"""Use case: findings per checklist item in the caller's scope (most failures first)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.stats.envelope import StatsRequest, build_filter, envelope
from app.stats.figures import rate
from app.stats.queries import item_rows


def item_statistics(session: Session, principal: Principal, req: StatsRequest, *, limit: int) -> dict[str, Any]:
    """Findings, failures and n/a per item, with the failure rate among applicable findings."""
    flt = build_filter(session, principal, req)
    rows = item_rows(session, principal.jurisdiction_paths, flt, limit=limit)
    for r in rows:
        r["fail_rate"] = rate(int(r["failed"]), int(r["findings"]) - int(r["na"]))
    return envelope(session, principal, req, flt.window, rows)
