"""China's working-day calendar (pure): public holidays and adjusted working days (调休) from a data file.

行政处罚法第八十五条: "本法中“二日”“三日”“五日”“七日”的规定是指工作日，不含法定节假日。" The days off and the
weekend working days come from the State Council General Office's yearly notice, shipped in
``checklists/calendar/cn_workdays_2024_2026.yaml`` with each notice cited. A year the file does not cover is
never guessed: counting into it raises ``CalendarNotCovered``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CALENDAR = Path(__file__).resolve().parents[2] / "checklists" / "calendar" / "cn_workdays_2024_2026.yaml"

# A period of N working days never needs more than this many calendar days (the longest run of days off is
# 9 days, 2026's Spring Festival); a bound keeps a corrupt file from looping forever.
_MAX_SCAN_DAYS = 400


class CalendarNotCovered(ValueError):
    """The date lies in a year whose holidays the calendar file does not list."""

    def __init__(self, day: date) -> None:
        super().__init__(f"the working-day calendar does not cover {day.year} ({day.isoformat()})")
        self.day = day


@dataclass(frozen=True)
class WorkCalendar:
    """Days off and weekend working days of the years listed, and the notice each year comes from."""

    years: Mapping[int, str]  # year -> the notice it comes from
    days_off: frozenset[date]
    working_weekends: frozenset[date]

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a day off, or a weekend day the notice makes a working day (调休)."""
        if not self.covers(day):
            raise CalendarNotCovered(day)
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (the start day itself is not counted)."""
        if days < 1:
            raise ValueError("days must be positive")
        day, counted = start, 0
        for _ in range(_MAX_SCAN_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return day
        raise ValueError("no working day found within the scan bound")

    def first_working_day_from(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day."""
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day found within the scan bound")


def _day(value: Any, where: str) -> date:
    if not isinstance(value, date):
        raise ValueError(f"{where}: not a date: {value!r}")
    return value


def parse_calendar(doc: Mapping[str, Any]) -> WorkCalendar:
    """A calendar from the file's parsed YAML; each date must lie in the year it is listed under."""
    years: dict[int, str] = {}
    off: set[date] = set()
    working: set[date] = set()
    for year, spec in (doc.get("years") or {}).items():
        year = int(year)
        years[year] = str(spec["notice"])
        for first, last in spec.get("days_off") or []:
            start, end = _day(first, f"{year} days_off"), _day(last, f"{year} days_off")
            if start > end or start.year != year or end.year != year:
                raise ValueError(f"{year}: bad days_off period {start}..{end}")
            while start <= end:
                off.add(start)
                start += timedelta(days=1)
        for value in spec.get("working_weekends") or []:
            day = _day(value, f"{year} working_weekends")
            if day.year != year or day.weekday() < 5:
                raise ValueError(f"{year}: {day} is not a weekend day of that year")
            working.add(day)
    if off & working:
        raise ValueError(f"days both off and working: {sorted(off & working)}")
    return WorkCalendar(years, frozenset(off), frozenset(working))


@lru_cache(maxsize=4)
def load_calendar(path: Path = DEFAULT_CALENDAR) -> WorkCalendar:
    """The shipped calendar (read once per process)."""
    with path.open(encoding="utf-8") as handle:
        return parse_calendar(yaml.safe_load(handle))
