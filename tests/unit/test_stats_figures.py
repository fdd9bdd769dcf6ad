"""Statistics rules: which rollup grain answers a range exactly, exact yuan strings, rates; tile arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from app.maplayers.tiles import tile_bounds_wgs84, tile_etag, valid_tile
from app.stats.figures import MONTH, WEEK, UnalignedRange, Window, YearSplit, choose_window, rate, year_split, yuan


def test_whole_months_are_answered_by_the_monthly_rollup() -> None:
    assert choose_window(date(2025, 1, 1), date(2025, 3, 31)).grain == MONTH
    assert choose_window(None, None).grain == MONTH
    assert choose_window(date(2024, 2, 1), date(2024, 2, 29)).grain == MONTH  # leap year


def test_whole_iso_weeks_are_answered_by_the_weekly_rollup() -> None:
    assert choose_window(date(2025, 1, 6), date(2025, 1, 19)).grain == WEEK
    assert choose_window(date(2025, 1, 6), date(2025, 2, 2), by="week").grain == WEEK


def test_a_range_fitting_neither_is_refused_rather_than_approximated() -> None:
    with pytest.raises(UnalignedRange):
        choose_window(date(2025, 1, 3), date(2025, 1, 20))
    with pytest.raises(UnalignedRange):
        choose_window(date(2025, 1, 1), date(2025, 1, 31), by="week")  # a Wednesday to a Friday
    with pytest.raises(UnalignedRange):
        choose_window(date(2025, 1, 6), date(2025, 1, 12), by="month")


def test_yuan_strings_are_exact() -> None:
    assert yuan(0) == "0.00"
    assert yuan(5) == "0.05"
    assert yuan(123456789) == "1234567.89"
    assert yuan(-150) == "-1.50"
    assert yuan(10**17 + 1) == "1000000000000000.01"


def test_rates_have_four_places_rounded_half_up() -> None:
    assert rate(1, 3) == "0.3333"
    assert rate(2, 3) == "0.6667"
    assert rate(1, 1) == "1.0000"
    assert rate(1, 8) == "0.1250"
    assert rate(0, 0) is None


def test_tile_bounds_and_validity() -> None:
    assert tile_bounds_wgs84(0, 0, 0)[0] == -180 and tile_bounds_wgs84(0, 0, 0)[2] == 180
    x1, y1, x2, y2 = tile_bounds_wgs84(10, 834, 404)  # 焦作 (113.25 E, 35.22 N)
    assert 113.0 < x1 < 113.25 < x2 < 113.6 and 35.1 < y1 < 35.22 < y2 < 35.5
    assert valid_tile(3, 7, 7) and not valid_tile(3, 8, 0) and not valid_tile(23, 0, 0) and not valid_tile(1, -1, 0)
    assert tile_etag("a", 1) == tile_etag("a", 1) != tile_etag("a", 2)


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (None, None, YearSplit(None, None)),  # every year from year rows
        (date(2024, 1, 1), date(2025, 12, 31), YearSplit(date(2024, 1, 1), date(2026, 1, 1))),
        (date(2024, 3, 1), date(2026, 10, 31), YearSplit(date(2025, 1, 1), date(2026, 1, 1))),
        (date(2024, 3, 1), None, YearSplit(date(2025, 1, 1), None)),
        (None, date(2025, 6, 30), YearSplit(None, date(2025, 1, 1))),
        # no whole year: an empty year range at date_from, every month after it
        (date(2025, 2, 1), date(2025, 11, 30), YearSplit(date(2025, 2, 1), date(2025, 2, 1))),
        (date(2025, 2, 1), date(2026, 3, 31), YearSplit(date(2025, 2, 1), date(2025, 2, 1))),
    ],
)
def test_a_month_window_splits_into_whole_years_and_the_months_around_them(date_from, date_to, expected) -> None:
    assert year_split(Window(MONTH, date_from, date_to)) == expected
