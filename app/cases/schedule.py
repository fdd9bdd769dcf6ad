"""A case's deadlines, computed from its recorded dates and its jurisdiction's settings (deadlines.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.cases.deadlines import (
    Deadline,
    correction_deadline,
    hearing_request_deadline,
    payment_deadline,
    statement_deadline,
)
from app.cases.models import Case
from app.cases.settings import effective_case_settings
from app.cases.workdays import load_calendar


def rights_deadlines(session: Session, case: Case) -> list[Deadline]:
    """陈述申辩 and (when the party has the right) 听证 deadlines after the notice; empty before it."""
    if case.notice_served_on is None:
        return []
    cal = load_calendar()
    settings = effective_case_settings(session, case.jurisdiction.path)
    out = [statement_deadline(cal, case.notice_served_on, settings.statement_period)]
    if case.hearing_right:
        out.append(hearing_request_deadline(cal, case.notice_served_on))
    return out


def case_deadlines(session: Session, case: Case) -> list[Deadline]:
    """Every deadline the case has so far: rights after the notice, payment after the decision is served,
    and each open order's correction deadline."""
    out = rights_deadlines(session, case)
    if case.decision_served_on is not None and (case.decided_fine_fen or 0) > 0:
        out.append(payment_deadline(load_calendar(), case.decision_served_on))
    out += [correction_deadline(o.decided_on, o.deadline) for o in case.orders if o.status == "open"]
    return out
