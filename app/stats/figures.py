"""Pure rules of the statistics: which rollup grain answers a date range, money and rate formatting.

Money is stored and summed in integer fen; yuan are strings for display ("1234.50"), never floats. Dates are
Asia/Shanghai dates (app/localtime.py). Pure: imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

MONTH: Final = "m"
WEEK: Final = "w"
TIME_ZONE: Final = "Asia/Shanghai"
CURRENCY: Final = {"unit": "fen", "display_unit": "yuan", "currency": "CNY", "fen_per_yuan": 100}


class UnalignedRange(ValueError):
    """A date range the rollups cannot answer exactly (neither whole months nor whole ISO weeks)."""


@dataclass(frozen=True)
class Window:
    grain: str
    date_from: date | None
    date_to: date | None  # inclusive


def _month_aligned(date_from: date | None, date_to: date | None) -> bool:
    return (date_from is None or date_from.day == 1) and (date_to is None or (date_to + timedelta(days=1)).day == 1)


def _week_aligned(date_from: date | None, date_to: date | None) -> bool:
    return (date_from is None or date_from.weekday() == 0) and (date_to is None or date_to.weekday() == 6)


def choose_window(date_from: date | None, date_to: date | None, *, by: str | None = None) -> Window:
    """The grain that answers ``[date_from, date_to]`` exactly: whole months (preferred), else whole ISO weeks.
    ``by`` 'month' or 'week' forces that grain. Raises ``UnalignedRange`` when the range fits neither."""
    if by == "week":
        if not _week_aligned(date_from, date_to):
            raise UnalignedRange("week")
        return Window(WEEK, date_from, date_to)
    if _month_aligned(date_from, date_to):
        return Window(MONTH, date_from, date_to)
    if by != "month" and _week_aligned(date_from, date_to):
        return Window(WEEK, date_from, date_to)
    raise UnalignedRange("month" if by == "month" else "month_or_week")


def yuan(fen: int) -> str:
    """Integer fen as a yuan string with two decimals (exact: no float on the way)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def rate(part: int, whole: int) -> str | None:
    """``part / whole`` as a decimal string with four places (half up), or None when there is nothing to divide."""
    if whole <= 0:
        return None
    scaled = (part * 10000 * 2 + whole) // (2 * whole)
    return f"{scaled // 10000}.{scaled % 10000:04d}"
