"""Working days (行政处罚法第八十五条) from the shipped State Council calendar, and case deadlines."""

from __future__ import annotations

from datetime import date

import pytest

from app.cases.deadlines import (
    CALENDAR,
    WORKING,
    StatementPeriod,
    hearing_request_deadline,
    payment_deadline,
    rights_periods_over,
    statement_deadline,
)
from app.cases.workdays import CalendarNotCovered, load_calendar, parse_calendar


@pytest.fixture(scope="module")
def cal():  # noqa: ANN201
    return load_calendar()


def test_the_shipped_file_covers_2024_to_2026_and_cites_each_notice(cal) -> None:  # noqa: ANN001
    assert sorted(cal.years) == [2024, 2025, 2026]
    assert cal.years[2024] == "国办发明电〔2023〕7号"
    assert cal.years[2025] == "国办发明电〔2024〕12号"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 10, 1), False),  # 国庆节
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday made a working day (调休)
        (date(2026, 9, 20), True),  # Sunday made a working day
        (date(2026, 9, 19), False),  # an ordinary Saturday
        (date(2026, 2, 23), False),  # last day of the 9-day Spring Festival
        (date(2026, 2, 14), True),
        (date(2025, 10, 8), False),  # 2025's 8-day National Day and Mid-Autumn holiday
        (date(2025, 10, 9), True),
        (date(2024, 9, 14), True),
        (date(2024, 12, 31), True),
    ],
)
def test_days_off_and_adjusted_working_days(cal, day: date, working: bool) -> None:  # noqa: ANN001
    assert cal.is_working_day(day) is working


def test_a_hearing_request_deadline_across_the_national_day_week(cal) -> None:  # noqa: ANN001
    # Notice served Tuesday 2026-09-29: 9-30 (Wed) is day 1, 10-01..10-07 are off, 10-08 (Thu) day 2,
    # 10-09 (Fri) day 3, 10-10 (Sat, 调休) day 4, 10-12 (Mon) day 5. Calendar days would give 10-04.
    deadline = hearing_request_deadline(cal, date(2026, 9, 29))
    assert deadline.due_on == date(2026, 10, 12)
    assert deadline.rule == WORKING and "第六十四条" in deadline.basis and "第八十五条" in deadline.basis
    assert not deadline.passed(date(2026, 10, 12)) and deadline.passed(date(2026, 10, 13))


def test_a_five_working_day_period_over_an_ordinary_weekend(cal) -> None:  # noqa: ANN001
    assert hearing_request_deadline(cal, date(2026, 11, 20)).due_on == date(2026, 11, 27)  # Fri → next Fri


def test_payment_is_fifteen_calendar_days_moved_past_a_last_day_off(cal) -> None:  # noqa: ANN001
    ordinary = payment_deadline(cal, date(2026, 11, 2))
    assert (ordinary.due_on, ordinary.rule) == (date(2026, 11, 17), CALENDAR)
    assert "第六十七条" in ordinary.basis
    # Served 2026-09-16: day 15 is 10-01, a holiday → the first working day after it, 10-08.
    assert payment_deadline(cal, date(2026, 9, 16)).due_on == date(2026, 10, 8)


def test_the_statement_period_follows_the_jurisdiction_setting_and_is_not_invented(cal) -> None:  # noqa: ANN001
    unset = statement_deadline(cal, date(2026, 9, 29), None)
    assert unset.due_on is None and "not set" in unset.note_en
    working = statement_deadline(cal, date(2026, 9, 29), StatementPeriod(3, WORKING))
    assert working.due_on == date(2026, 10, 9)
    calendar = statement_deadline(cal, date(2026, 11, 2), StatementPeriod(7, CALENDAR))
    assert calendar.due_on == date(2026, 11, 9)


def test_a_year_the_file_does_not_cover_is_not_guessed(cal) -> None:  # noqa: ANN001
    with pytest.raises(CalendarNotCovered):
        cal.is_working_day(date(2027, 1, 4))
    late = hearing_request_deadline(cal, date(2026, 12, 28))
    assert late.due_on is None and "2027" in late.note_en


def test_rights_periods_wait_for_unknown_or_running_deadlines(cal) -> None:  # noqa: ANN001
    deadlines = [
        hearing_request_deadline(cal, date(2026, 11, 2)),
        statement_deadline(cal, date(2026, 11, 2), None),
    ]
    over, waiting = rights_periods_over(deadlines, date(2026, 12, 1))
    assert not over and waiting == ["statement"]
    over, waiting = rights_periods_over(deadlines[:1], date(2026, 11, 10))
    assert over and waiting == []


def test_a_malformed_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="weekend"):
        parse_calendar({"years": {2026: {"notice": "x", "working_weekends": [date(2026, 10, 12)]}}})
    with pytest.raises(ValueError, match="days_off"):
        parse_calendar({"years": {2026: {"notice": "x", "days_off": [[date(2026, 10, 7), date(2026, 10, 1)]]}}})
