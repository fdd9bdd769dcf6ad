"""Use case: figures per inspector (the inspection's creator) in the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.stats.envelope import StatsRequest, build_filter, envelope, with_money
from app.stats.queries import inspector_rows


def inspector_statistics(session: Session, principal: Principal, req: StatsRequest, *, limit: int) -> dict[str, Any]:
    """Inspections, passes, failed findings and money per inspector, most inspections first."""
    flt = build_filter(session, principal, req)
    rows = [with_money(r) for r in inspector_rows(session, principal.jurisdiction_paths, flt, limit=limit)]
    return envelope(session, principal, req, flt.window, rows)
