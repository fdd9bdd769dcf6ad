"""What every statistic says about its numbers: time zone, currency unit, scope and freshness (shared by the
statistics, exports and map layers)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.errors import FieldError, ValidationFailed
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.stats.figures import CURRENCY, TIME_ZONE, UnalignedRange, Window, choose_window, rate, yuan
from app.stats.queries import StatsFilter
from app.stats.rollup import MAX_STALENESS_SECONDS, pending_groups


@dataclass(frozen=True)
class StatsRequest:
    date_from: date | None = None
    date_to: date | None = None
    jurisdiction: str | None = None
    checklist: str | None = None
    site_kind: str | None = None


def scope_of(principal: Principal, subtree: str | None) -> dict[str, Any]:
    return {
        "jurisdictions": sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in principal.jurisdiction_paths),
        "subtree": subtree,
        "role": principal.role,
    }


def numbers_meta(principal: Principal, subtree: str | None) -> dict[str, Any]:
    """Time zone, currency and scope: said by every list and statistic."""
    return {"time_zone": TIME_ZONE, "currency": dict(CURRENCY), "scope": scope_of(principal, subtree)}


def build_filter(session: Session, principal: Principal, req: StatsRequest, *, by: str | None = None) -> StatsFilter:
    """Validated filter: the grain that answers the range exactly; a subtree checked against the caller's scope."""
    try:
        window = choose_window(req.date_from, req.date_to, by=by)
    except UnalignedRange as exc:
        raise ValidationFailed(
            "统计按整月或整周（周一至周日）汇总：起止日期须为月初/月末或周一/周日",
            "Statistics are kept per whole month or ISO week: date_from/date_to must start/end a month or a week",
            errors=[FieldError("date_from", "unaligned_range", "日期范围未按月或周对齐", f"not aligned ({exc})")],
            code="unaligned_range",
        ) from None
    flt = StatsFilter(window=window, checklist=req.checklist, site_kind=req.site_kind)
    if req.jurisdiction is not None:
        flt = replace(flt, jurisdiction_path=get_jurisdiction_in_scope(session, req.jurisdiction, principal).path)
    return flt


def envelope(
    session: Session, principal: Principal, req: StatsRequest, window: Window, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        **numbers_meta(principal, req.jurisdiction),
        "period": {
            "grain": "month" if window.grain == "m" else "week",
            "date_from": window.date_from,
            "date_to": window.date_to,
        },
        "freshness": {
            "source": "rollup",
            "max_staleness_seconds": MAX_STALENESS_SECONDS,
            "pending_groups": pending_groups(session),
        },
        "rows": rows,
    }


def with_money(row: dict[str, Any]) -> dict[str, Any]:
    """Add yuan strings beside every ``*_fen`` figure and the pass rate."""
    out = dict(row)
    for name, value in row.items():
        if name.endswith("_fen"):
            out[name] = int(value)
            out[name[: -len("_fen")] + "_yuan"] = yuan(int(value))
    if "passed" in row and "inspections" in row:
        out["pass_rate"] = rate(int(row["passed"]), int(row["inspections"]))
    return out
