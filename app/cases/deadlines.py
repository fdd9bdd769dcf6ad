"""A case's deadlines (pure): which rule each follows, and the date it falls on.

- 听证 request: within 5 days of the notice (行政处罚法第六十四条第一项), working days (第八十五条).
- 陈述申辩: the Law fixes no period; it is a jurisdiction setting (``StatementPeriod``: days and whether they
  are working or calendar days). Unset: the deadline is not computable and the decision waits for it.
- Payment: within 15 days of receiving the decision (第六十七条), calendar days (not one of 第八十五条's
  "二日、三日、五日、七日").
- Counting (民事诉讼法第八十五条, applied to administrative periods by analogy, an inference): the day the
  period starts is not counted; a calendar-day period whose last day is a day off ends on the next working day.
- An order to correct carries its own deadline as the bureau wrote it (no computation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.cases.workdays import CalendarNotCovered, WorkCalendar

WORKING = "working_days"
CALENDAR = "calendar_days"
AS_ORDERED = "as_ordered"

HEARING_REQUEST_DAYS = 5  # 行政处罚法第六十四条第一项 "应当在行政机关告知后五日内提出"
PAYMENT_DAYS = 15  # 行政处罚法第六十七条 "自收到行政处罚决定书之日起十五日内"


@dataclass(frozen=True)
class StatementPeriod:
    """A jurisdiction's 陈述申辩 period: ``days`` counted as working or calendar days."""

    days: int
    unit: str  # WORKING | CALENDAR


@dataclass(frozen=True)
class Deadline:
    key: str  # hearing_request | statement | payment | correction
    label_zh: str
    label_en: str
    counted_from: date
    days: int | None
    rule: str  # WORKING | CALENDAR | AS_ORDERED
    basis: str  # the article (or setting) that sets the period
    due_on: date | None  # None: not computable (calendar not covering the year, or setting missing)
    note_en: str = ""

    def passed(self, today: date) -> bool:
        """The last day is over (a step on the last day itself is still in time)."""
        return self.due_on is not None and today > self.due_on


def _calendar_period(cal: WorkCalendar, start: date, days: int) -> date:
    last = start + timedelta(days=days)
    return cal.first_working_day_from(last)


def _compute(cal: WorkCalendar, key: str, zh: str, en: str, start: date, days: int, rule: str, basis: str) -> Deadline:
    try:
        due = cal.add_working_days(start, days) if rule == WORKING else _calendar_period(cal, start, days)
    except CalendarNotCovered as exc:
        return Deadline(key, zh, en, start, days, rule, basis, None, f"not computable: {exc}")
    note = (
        "working days, public holidays excluded and adjusted working days counted (行政处罚法第八十五条)"
        if rule == WORKING
        else "calendar days; a last day that is a day off moves to the next working day"
    )
    return Deadline(key, zh, en, start, days, rule, basis, due, note)


def hearing_request_deadline(cal: WorkCalendar, notice_served_on: date) -> Deadline:
    """Last day to ask for a hearing: 5 working days after the notice was served."""
    return _compute(
        cal,
        "hearing_request",
        "听证申请期限",
        "Hearing request deadline",
        notice_served_on,
        HEARING_REQUEST_DAYS,
        WORKING,
        "行政处罚法第六十四条第一项、第八十五条",
    )


def statement_deadline(cal: WorkCalendar, notice_served_on: date, period: StatementPeriod | None) -> Deadline:
    """Last day for 陈述申辩, by the jurisdiction's setting (no statute fixes it)."""
    zh, en, basis = "陈述申辩期限", "Statement and defence deadline", "辖区设置 / jurisdiction setting"
    if period is None:
        return Deadline(
            "statement", zh, en, notice_served_on, None, CALENDAR, basis, None, "not computable: period not set"
        )
    return _compute(cal, "statement", zh, en, notice_served_on, period.days, period.unit, basis)


def payment_deadline(cal: WorkCalendar, decision_served_on: date) -> Deadline:
    """Last day to pay the fine: 15 calendar days after the decision was served."""
    return _compute(
        cal,
        "payment",
        "缴纳罚款期限",
        "Payment deadline",
        decision_served_on,
        PAYMENT_DAYS,
        CALENDAR,
        "行政处罚法第六十七条",
    )


def correction_deadline(decided_on: date, deadline: date) -> Deadline:
    """An order to correct's deadline, as the order states it."""
    return Deadline(
        "correction",
        "责令改正期限",
        "Correction deadline",
        decided_on,
        (deadline - decided_on).days,
        AS_ORDERED,
        "责令改正违法行为决定书",
        deadline,
        "as written in the order",
    )


def rights_periods_over(deadlines: list[Deadline], today: date) -> tuple[bool, list[str]]:
    """Whether the party's 陈述申辩/听证 periods have run (行政处罚法第六十二条: no decision before), and
    the keys of those still running or not computable."""
    waiting = [d.key for d in deadlines if d.due_on is None or not d.passed(today)]
    return not waiting, waiting
