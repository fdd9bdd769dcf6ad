"""The supervisors' overdue list: orders to correct past their deadline and fines past their payment deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.deadlines import payment_deadline
from app.cases.models import Case, CorrectionOrder
from app.cases.transitions import OPEN_STAGES
from app.cases.workdays import load_calendar
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.localtime import today_local


@dataclass(frozen=True)
class OverdueItem:
    case_id: int
    stage: str
    party_name: str
    site_name: str
    kind: str  # correction | payment
    due_on: date
    days_overdue: int
    rule: str
    basis: str
    order_id: int | None = None


def order_is_overdue(status: str, deadline: date, today: date) -> bool:
    """An order to correct is overdue when still open (neither complied nor refused at a re-inspection) the
    day after its deadline (the deadline day itself is still in time)."""
    return status == "open" and today > deadline


def overdue_order_clause(today: date) -> ColumnElement[bool]:
    """``order_is_overdue`` in SQL, with the case still open (for counts; the list below is its Python twin)."""
    return and_(
        CorrectionOrder.status == "open",
        CorrectionOrder.deadline < today,
        Case.stage.in_(OPEN_STAGES),
    )


def overdue_items(session: Session, principal: Principal, today: date | None = None) -> list[OverdueItem]:
    today = today or today_local()
    cases = session.scalars(
        select(Case)
        .join(Jurisdiction, Jurisdiction.id == Case.jurisdiction_id)
        .where(Case.stage.in_(OPEN_STAGES), scope_clause(principal.jurisdiction_paths))
        .order_by(Case.id)
    ).all()
    out: list[OverdueItem] = []
    for case in cases:
        for order in case.orders:
            if order_is_overdue(order.status, order.deadline, today):
                out.append(
                    OverdueItem(
                        case.id, case.stage, case.party_name, case.site.name, "correction", order.deadline,
                        (today - order.deadline).days, "as_ordered", "责令改正违法行为决定书", order.id,
                    )
                )  # fmt: skip
        if case.decision_served_on is not None and (case.decided_fine_fen or 0) > 0 and case.paid_on is None:
            deadline = payment_deadline(load_calendar(), case.decision_served_on)
            if deadline.due_on is not None and deadline.passed(today):
                out.append(
                    OverdueItem(
                        case.id, case.stage, case.party_name, case.site.name, "payment", deadline.due_on,
                        (today - deadline.due_on).days, deadline.rule, deadline.basis,
                    )
                )  # fmt: skip
    return sorted(out, key=lambda i: (i.due_on, i.case_id))
