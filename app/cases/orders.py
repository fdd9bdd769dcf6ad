"""Orders to correct (责令改正违法行为决定书): their real decision date, service date and deadline, and what the
re-inspection found.

The decision date is what 按日连续处罚 counts from (大气污染防治法第一百二十三条 "自责令改正之日的次日起";
penalties.context reads it through ``queries.order_for_inspection``). 令28第十七条 counts from the day after
*service*: the service date is stored too, so a jurisdiction that counts from it can be shown both.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.cases.changes import add_event, begin_change, finish_change
from app.cases.models import Case, CorrectionOrder
from app.cases.queries import get_case, order_for_inspection
from app.cases.transitions import REOPEN_FOR_DAILY_PENALTY, require_acting_role
from app.checklists.groups import object_identity
from app.errors import Conflict, FieldError, ValidationFailed
from app.inspections.models import Finding, Inspection
from app.localtime import today_local
from app.penalties.records import current_computation


def _date_errors(inspection: Inspection, decided_on: date, served_on: date | None, deadline: date) -> list[FieldError]:
    errors = []
    if decided_on < inspection.local_date:
        errors.append(
            FieldError("decided_on", "before_inspection", "决定日期早于检查日期", "decided before the inspection date")
        )
    if decided_on > today_local():
        errors.append(FieldError("decided_on", "in_future", "决定日期不能晚于今天", "cannot be in the future"))
    if served_on is not None and served_on < decided_on:
        errors.append(FieldError("served_on", "before_decision", "送达日期早于决定日期", "served before decided"))
    if deadline < decided_on:
        errors.append(FieldError("deadline", "before_decision", "改正期限早于决定日期", "deadline before decision"))
    return errors


def issue_order(
    session: Session, principal: Principal, case_id: int, data: dict[str, Any], if_match: str | None
) -> tuple[Case, CorrectionOrder]:
    """Record an order to correct on one of the case's inspections (If-Match on the case; audited)."""
    case = get_case(session, principal, case_id, for_update=True)
    require_acting_role(principal.role, "责令改正", "Order to correct")
    request = {"issue_order": {k: str(v) for k, v in data.items()}}
    if begin_change(case, principal, if_match, request):
        return case, case.orders[-1]
    if case.stage == "closed":
        raise Conflict("案件已结案。", "The case is closed.", code="case_wrong_stage")
    members = {ci.inspection_id: ci for ci in case.inspections}
    inspection_id: uuid.UUID = data.get("inspection_id") or case.inspections[-1].inspection_id
    if inspection_id not in members:
        raise ValidationFailed(
            "该检查不属于本案件。",
            "That inspection is not part of this case.",
            errors=[FieldError("inspection_id", "not_in_case", "检查不属于本案件", "not in this case")],
        )
    inspection = session.get(Inspection, inspection_id)
    assert inspection is not None
    failed = sorted(f.item_key for f in inspection.current_findings if f.verdict == "fail")
    items = data.get("item_keys") or failed
    errors = _date_errors(inspection, data["decided_on"], data.get("served_on"), data["deadline"])
    errors += [
        FieldError(f"item_keys.{i}", "not_failed", f"{k} 在该检查中未判定不合格", f"{k} did not fail")
        for i, k in enumerate(items)
        if k not in failed
    ]
    if errors:
        raise ValidationFailed("责令改正决定的内容有误。", "The order to correct is not valid.", errors=errors)
    order = CorrectionOrder(
        case_id=case.id,
        inspection_id=inspection.id,
        item_keys=items,
        decided_on=data["decided_on"],
        served_on=data.get("served_on"),
        deadline=data["deadline"],
        created_by_id=principal.user_id,
    )
    session.add(order)
    session.flush()
    summary = order_summary(order)
    finish_change(session, case, principal, "order_issued", order.decided_on, summary)
    record_audit(session, "case.order_issue", "case", case.id, after=summary)
    session.refresh(case, ["orders"])
    return case, order


def order_summary(order: CorrectionOrder) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "inspection_id": str(order.inspection_id),
        "item_keys": list(order.item_keys),
        "decided_on": order.decided_on.isoformat(),
        "served_on": order.served_on.isoformat() if order.served_on else None,
        "deadline": order.deadline.isoformat(),
        "status": order.status,
    }


def _identity(finding: Finding) -> str:
    return object_identity(finding.item_key, (finding.object_ref or {}).get("label"))


def record_reinspection_outcome(
    session: Session, principal: Principal, case: Case, reinspection: Inspection
) -> CorrectionOrder | None:
    """An approved re-inspection settles the open order it re-inspects: complied, or refused (拒不改正).

    A refusal on a case already in 执行 re-opens 调查取证 for the daily continuous penalty, which needs its own
    notice and decision (环境保护主管部门实施按日连续处罚办法第七条第二款、第十五条).
    """
    if reinspection.reinspection_of_id is None:
        return None
    order = order_for_inspection(session, reinspection.reinspection_of_id)
    if order is None or order.status != "open":
        return None
    # The ordered items, matched with the re-inspection's by what they are about: a machine (truck, tank) by its
    # label, whatever order the re-inspection listed the objects in (app.checklists.groups.object_identity).
    failing = {_identity(f) for f in reinspection.current_findings if f.verdict == "fail"}
    if order.item_keys:
        earlier = session.get(Inspection, order.inspection_id)
        identities = {f.item_key: _identity(f) for f in (earlier.current_findings if earlier else [])}
        refused = bool(failing & {identities.get(k, k) for k in order.item_keys})
    else:
        refused = bool(failing)
    order.status = "refused" if refused else "complied"
    order.reinspection_id = reinspection.id
    order.outcome_on = reinspection.local_date
    computation = current_computation(session, reinspection.id)
    daily = [
        {"rule_key": l.rule_key, "days": l.daily_days, "per_day_fen": l.base_amount_fen, "amount_fen": l.amount_fen}
        for l in (computation.lines if computation is not None else [])
        if l.daily_days is not None
    ]
    data = order_summary(order) | {"reinspection_id": str(reinspection.id), "daily_penalties": daily}
    add_event(session, case, f"order_{order.status}", order.outcome_on, principal.user_id, data)
    record_audit(session, f"case.order_{order.status}", "case", case.id, after=data)
    if refused and case.stage in REOPEN_FOR_DAILY_PENALTY.from_stages:
        case.stage = REOPEN_FOR_DAILY_PENALTY.to_stage
        case.round += 1
        add_event(
            session,
            case,
            "reopened_for_daily_penalty",
            order.outcome_on,
            principal.user_id,
            {"round": case.round, "stage": case.stage},
        )
        record_audit(
            session, "case.reopen_for_daily_penalty", "case", case.id, after={"round": case.round, "stage": case.stage}
        )
    case.version += 1
    session.flush()
    return order
