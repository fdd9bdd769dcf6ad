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
YEAR: Final = "y"  # stats_inspections only: the sum of a calendar year's month rows
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


@dataclass(frozen=True)
class YearSplit:
    """A month window as whole calendar years [years_from, years_to) read from year rows, and the months
    before (``[date_from, years_from)``) and after (``[years_to, end)``) read from month rows. A bound of
    None is open; ``years_from == years_to`` (both set) means no whole year: everything from month rows."""

    years_from: date | None
    years_to: date | None


def year_split(window: Window) -> YearSplit:
    """Where the whole years of a month window start and end (both None: every year, nothing else)."""
    lo = window.date_from
    hi = None if window.date_to is None else window.date_to + timedelta(days=1)  # exclusive; a month start
    y_from = lo if lo is None or lo.month == 1 else date(lo.year + 1, 1, 1)
    y_to = hi if hi is None or hi.month == 1 else date(hi.year, 1, 1)
    if y_from is not None and y_to is not None and y_from >= y_to:
        return YearSplit(lo or y_to, lo or y_to)
    return YearSplit(y_from, y_to)


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
