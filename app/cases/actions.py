"""Moving a case through its stages (transitions.py decides which move, by whom): each move dated, If-Match
on the case version, audited, and recorded in the case's timeline."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.cases.changes import begin_change, finish_change
from app.cases.deadlines import hearing_request_deadline, rights_periods_over
from app.cases.models import Case
from app.cases.queries import get_case
from app.cases.schedule import rights_deadlines
from app.cases.settings import effective_case_settings
from app.cases.transitions import check_transition
from app.cases.workdays import load_calendar
from app.errors import Conflict, FieldError, ValidationFailed
from app.inspections.models import Inspection
from app.inspections.review_settings import effective_review_settings
from app.inspections.rules import check_two_person_rule
from app.localtime import today_local
from app.penalties.records import current_computation

# Measures that give the party the right to a hearing whatever the amount (行政处罚法第六十三条第一款第四项:
# 责令停产停业、责令关闭、限制从业).
HEARING_MEASURE_KINDS = ("stop_work", "seal_and_stop_use")


def _missing(field: str) -> ValidationFailed:
    return ValidationFailed(
        f"缺少 {field}。", f"{field} is required for this action.",
        errors=[FieldError(field, "required", "此操作必填", "required for this action")],
    )  # fmt: skip


def _latest_date(case: Case) -> date | None:
    dates = [
        d
        for d in (case.filed_on, case.notice_served_on, case.decided_on, case.decision_served_on, case.paid_on)
        if d is not None
    ]
    return max(dates) if dates else None


def _check_date(case: Case, on: date) -> None:
    latest = _latest_date(case)
    if on > today_local():
        raise ValidationFailed(
            "日期不能晚于今天。", "The date cannot be in the future.",
            errors=[FieldError("on_date", "in_future", "不能晚于今天", "cannot be in the future")],
        )  # fmt: skip
    if latest is not None and on < latest:
        raise ValidationFailed(
            f"日期不能早于上一步的日期 {latest.isoformat()}。",
            f"The date cannot be before the previous step ({latest.isoformat()}).",
            errors=[FieldError("on_date", "before_previous_step", "早于上一步", "before the previous step")],
        )


def case_lines(session: Session, case: Case) -> list[Any]:
    """The current penalty lines of the case's inspections."""
    out: list[Any] = []
    for member in case.inspections:
        computation = current_computation(session, member.inspection_id)
        if computation is not None:
            out += list(computation.lines)
    return out


def violator_fines_fen(session: Session, case: Case) -> int:
    return sum(
        l.amount_fen or 0
        for l in case_lines(session, case)
        if l.kind == "statutory_fine" and l.payer_type == "violator"
    )


def _approve_filing(session: Session, principal: Principal, case: Case, on: date, data: dict[str, Any]) -> None:
    # 查审分离 (行政处罚法第五十七条): who took part in an inspection of the case does not approve its filing,
    # unless the jurisdiction's admin waived the rule (review settings).
    enforced = effective_review_settings(session, case.jurisdiction.path).two_person_rule
    for member in case.inspections:
        inspection = session.get(Inspection, member.inspection_id)
        assert inspection is not None
        check_two_person_rule(
            principal.user_id, inspection.created_by_id, [o.user_id for o in inspection.officers], enforced
        )
    case.filed_on = on
    case.filing_approved_by_id = principal.user_id


def _serve_notice(session: Session, principal: Principal, case: Case, on: date, data: dict[str, Any]) -> None:
    proposed = data.get("proposed_fine_fen")
    case.proposed_fine_fen = violator_fines_fen(session, case) if proposed is None else proposed
    case.notice_served_on = on
    threshold = effective_case_settings(session, case.jurisdiction.path).hearing_threshold(case.party_kind)
    measures = any(l.kind in HEARING_MEASURE_KINDS for l in case_lines(session, case))
    # 行政处罚法第六十三条: 较大数额罚款 (threshold: a jurisdiction setting) or a stop/closure measure. With no
    # threshold set the right is offered: withholding it wrongly voids the decision, offering it costs days.
    case.hearing_right = (
        bool(data.get("hearing_right")) or measures or threshold is None or (case.proposed_fine_fen >= threshold)
    )
    case.rights_waived = False


def _request_hearing(session: Session, principal: Principal, case: Case, on: date, data: dict[str, Any]) -> None:
    assert case.notice_served_on is not None
    if not case.hearing_right:
        raise Conflict(
            "本案当事人无听证权利。", "The party has no right to a hearing in this case.", code="no_hearing_right"
        )
    deadline = hearing_request_deadline(load_calendar(), case.notice_served_on)
    if deadline.due_on is not None and on > deadline.due_on:
        raise Conflict(
            f"听证申请已逾期（期限 {deadline.due_on.isoformat()}，行政处罚法第六十四条）。",
            f"The hearing request is late (deadline {deadline.due_on.isoformat()}, Art. 64).",
            code="deadline_expired",
            extra={"deadline": deadline.due_on.isoformat(), "rule": deadline.rule},
        )
    case.hearing_requested_on = on


def _decide(session: Session, principal: Principal, case: Case, on: date, data: dict[str, Any]) -> None:
    if data.get("fine_fen") is None:
        raise _missing("fine_fen")
    waived = bool(data.get("rights_waived"))
    if not waived and case.hearing_requested_on is None:
        # 行政处罚法第六十二条: no decision before the party could state, defend and ask for a hearing.
        over, waiting = rights_periods_over(rights_deadlines(session, case), on)
        if not over:
            raise Conflict(
                "当事人陈述申辩或听证申请期限尚未届满（或期限无法计算），不能作出决定（行政处罚法第六十二条）。",
                "The party's statement or hearing period has not run out (or cannot be computed); no decision yet.",
                code="rights_period_running",
                extra={"waiting_for": waiting},
            )
    case.rights_waived = waived
    case.decided_on = on
    case.decided_fine_fen = data["fine_fen"]
    case.decided_measures = list(data.get("measures") or [])


def _serve_decision(session: Session, principal: Principal, case: Case, on: date, data: dict[str, Any]) -> None:
    case.decision_served_on = on


def _record_payment(session: Session, principal: Principal, case: Case, on: date, data: dict[str, Any]) -> None:
    if data.get("amount_fen") is None:
        raise _missing("amount_fen")
    case.paid_on = on
    case.paid_fen = data["amount_fen"]


def _close(session: Session, principal: Principal, case: Case, on: date, data: dict[str, Any]) -> None:
    reason = data.get("reason")
    if case.stage != "execution" and not reason:
        raise _missing("reason")  # 不予立案 / 不予行政处罚 needs its reason
    if case.stage == "execution":
        unpaid = (case.decided_fine_fen or 0) > 0 and case.paid_on is None
        open_orders = [o.id for o in case.orders if o.status == "open"]
        if unpaid or open_orders:
            raise Conflict(
                "罚款未缴清或责令改正尚未复查，不能结案。",
                "The fine is unpaid or an order to correct is not yet re-inspected; the case cannot close.",
                code="case_not_settled",
                extra={"unpaid": unpaid, "open_orders": open_orders},
            )
    case.closed_on = on
    case.close_reason = reason


_HANDLERS = {
    "approve_filing": _approve_filing,
    "serve_notice": _serve_notice,
    "request_hearing": _request_hearing,
    "decide": _decide,
    "serve_decision": _serve_decision,
    "record_payment": _record_payment,
    "close": _close,
}


def _stage_facts(case: Case) -> dict[str, Any]:
    return {
        "stage": case.stage,
        "version": case.version,
        "filed_on": case.filed_on,
        "notice_served_on": case.notice_served_on,
        "proposed_fine_fen": case.proposed_fine_fen,
        "hearing_right": case.hearing_right,
        "hearing_requested_on": case.hearing_requested_on,
        "rights_waived": case.rights_waived,
        "decided_on": case.decided_on,
        "decided_fine_fen": case.decided_fine_fen,
        "decided_measures": case.decided_measures,
        "decision_served_on": case.decision_served_on,
        "paid_on": case.paid_on,
        "paid_fen": case.paid_fen,
        "closed_on": case.closed_on,
        "close_reason": case.close_reason,
    }


def transition_case(
    session: Session, principal: Principal, case_id: int, data: dict[str, Any], if_match: str | None
) -> Case:
    """Take one step on a case (``data["action"]``), dated ``on_date`` (default today, Asia/Shanghai)."""
    case = get_case(session, principal, case_id, for_update=True)
    if begin_change(case, principal, if_match, {"transition": {k: str(v) for k, v in data.items()}}):
        return case
    transition = check_transition(data["action"], case.stage, principal.role)
    on = data.get("on_date") or today_local()
    _check_date(case, on)
    before = _stage_facts(case)
    _HANDLERS[transition.action](session, principal, case, on, data)
    case.stage = transition.to_stage
    after = _stage_facts(case)
    changed = {k: v for k, v in after.items() if before.get(k) != v and k != "version"}
    finish_change(session, case, principal, transition.action, on, {k: _jsonable(v) for k, v in changed.items()})
    record_audit(
        session, f"case.{transition.action}", "case", case.id, before=before, after=after | {"version": case.version}
    )
    return case


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
