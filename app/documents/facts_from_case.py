"""``DocumentFacts`` from a case (``app.cases.case_file.load_case_file``): what the case has recorded wins over
what the request says.

- the party is the case's 当事人 (corrected by supervisors on the case), not the site's operator;
- the penalty lines are every case inspection's current lines, and every inspection's photos go to the
  evidence appendix (the one the document is about first);
- an order to correct prints the case's recorded order: its real decision date (the date the order states),
  service date and deadline (行政处罚法第二十八条);
- the advance notice prints the case's proposed fine and, once served, the deadlines counted from its service
  (第六十四条 听证, the jurisdiction's 陈述申辩 period);
- the penalty decision prints the decided fine and measures and the decision date (第五十九条);
- the daily penalty counts from the refused order's service to the re-inspection (令28 第十七条);
- a proof of service names the case's party as the recipient unless the request names another;
- earlier documents of the case are cited (number and the date the case records) without the client naming
  them (documents.md §0.1).

The case's stage is frozen with the facts (``CaseFacts``) so ``blocking`` can refuse a kind the case is not
ready for.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from app.cases.case_file import CaseFile, OrderFact
from app.documents.facts import (
    CaseFacts,
    DailyFacts,
    DeadlineFacts,
    DocumentFacts,
    DocumentRef,
    InspectionFacts,
    LineFacts,
    OrderFacts,
    PartyFacts,
)
from app.documents.facts_from_inspection import References, build_facts, inspection_facts, line_facts
from app.documents.kinds import (
    ADVANCE_NOTICE,
    DAILY_PENALTY_DECISION,
    ORDER_TO_CORRECT,
    PENALTY_DECISION,
)
from app.documents.models import Document
from app.documents.queries import case_documents
from app.documents.settings import EffectiveDocumentSettings
from app.errors import FieldError, ValidationFailed
from app.inspections.models import Inspection
from app.penalties.records import current_computation


def case_inspection_id(case_file: CaseFile, requested: uuid.UUID | None) -> uuid.UUID:
    """The inspection the document is about: the one requested (it must belong to the case), else the
    inspection the case was opened on."""
    members = [i.inspection_id for i in case_file.inspections]
    if requested is None:
        return members[0]
    if requested not in members:
        raise ValidationFailed(
            "该检查不属于本案件。",
            "That inspection is not part of this case.",
            errors=[FieldError("inspection_id", "not_in_case", "检查不属于本案件", "not in this case")],
        )
    return requested


def _order(case_file: CaseFile, inspection_id: uuid.UUID, kind: str) -> OrderFact | None:
    """The order the document is about: for a daily penalty the latest refused one, else the latest order on
    the inspection (or on the case)."""
    orders = list(case_file.orders)
    if kind == DAILY_PENALTY_DECISION:
        orders = [o for o in orders if o.status == "refused"]
    own = [o for o in orders if o.inspection_id == inspection_id]
    pick = own or orders
    return max(pick, key=lambda o: (o.decided_on, o.order_id)) if pick else None


def _order_text(order: OrderFact, inspection: InspectionFacts) -> str:
    texts = {i.item_key: i.text for i in inspection.items}
    wanted = [texts.get(k, k) for k in order.item_keys] or [i.text for i in inspection.failed_items]
    return "停止并改正以下违法行为：" + "；".join(wanted)


def _latest(documents: list[Document], kind: str) -> Document | None:
    issued = [d for d in documents if d.kind == kind and d.state in ("issued", "rendering")]
    return issued[-1] if issued else None


def _case_refs(
    case_file: CaseFile, order: OrderFact | None, documents: list[Document], given: References
) -> References:
    """The earlier documents of the case this one cites, dated as the case records them (the order's
    decision date, the notice's service date, the decision date); a reference the request names wins."""
    stages = case_file.stages
    order_doc = _latest(documents, ORDER_TO_CORRECT)
    notice_doc = _latest(documents, ADVANCE_NOTICE)
    decision_doc = _latest(documents, PENALTY_DECISION)
    order_ref = given.order or (
        DocumentRef(ORDER_TO_CORRECT, order_doc.number, order.decided_on if order else order_doc.issued_on)
        if order_doc is not None
        else None
    )
    notice_ref = given.notice or (
        DocumentRef(ADVANCE_NOTICE, notice_doc.number, stages.notice_served_on or notice_doc.issued_on)
        if notice_doc is not None
        else None
    )
    decision_ref = given.decision or (
        DocumentRef(PENALTY_DECISION, decision_doc.number, stages.decided_on or decision_doc.issued_on)
        if decision_doc is not None
        else None
    )
    return replace(given, order=order_ref, notice=notice_ref, decision=decision_ref)


def _as_case_party(line: LineFacts, party: PartyFacts) -> LineFacts:
    """A violator's line names the case's party (the computation named the site's operator at the time)."""
    if line.payer_type != "violator":
        return line
    who = f"当事人：{party.name}" + (f"（{party.credit_code}）" if party.credit_code else "") + "。"
    explanation = tuple(who if e.startswith("当事人：") else e for e in line.explanation)
    return replace(line, payer_name=party.name, explanation=explanation)


def _case_facts(case_file: CaseFile) -> CaseFacts:
    s = case_file.stages
    return CaseFacts(
        case_id=case_file.case_id,
        stage=s.stage,
        filed_on=s.filed_on,
        notice_served_on=s.notice_served_on,
        proposed_fine_fen=s.proposed_fine_fen,
        hearing_right=s.hearing_right,
        hearing_requested_on=s.hearing_requested_on,
        rights_waived=s.rights_waived,
        decided_on=s.decided_on,
        decided_fine_fen=s.decided_fine_fen,
        decided_measures=tuple(str(m) for m in s.decided_measures),
        decision_served_on=s.decision_served_on,
        deadlines=tuple(
            DeadlineFacts(d.key, d.label_zh, d.counted_from, d.due_on, d.rule, d.basis) for d in case_file.deadlines
        ),
    )


def build_case_facts(
    session: Session,
    case_file: CaseFile,
    inspection: Inspection,
    kind: str,
    fields: dict[str, Any],
    settings: EffectiveDocumentSettings,
    refs: References,
) -> DocumentFacts:
    """The facts of a ``kind`` document issued from a case, about one of its inspections."""
    documents = case_documents(session, case_file.case_id)
    order = _order(case_file, inspection.id, kind)
    refs = _case_refs(case_file, order, documents, refs)
    base = build_facts(session, inspection, kind, fields, settings, refs, case_id=str(case_file.case_id))
    case = _case_facts(case_file)
    p = case_file.party
    party = PartyFacts(
        kind=p.kind,
        name=p.name,
        credit_code=p.credit_code,
        address=p.address or fields.get("party_address") or case_file.site_address,
        legal_representative=p.legal_representative or fields.get("legal_representative"),
    )
    authority = replace(base.authority, hearing_threshold_fen=settings.hearing_threshold(p.kind))
    others: list[InspectionFacts] = []
    lines = []
    for member in case_file.inspections:
        row = session.get(Inspection, member.inspection_id)
        assert row is not None
        if row.id != inspection.id:
            others.append(inspection_facts(session, row))
        computation = current_computation(session, row.id)
        lines += [_as_case_party(line_facts(r), party) for r in computation.lines] if computation is not None else []
    order_facts = base.order
    if order is not None:
        order_facts = OrderFacts(
            text=(base.order.text if base.order and base.order.text else _order_text(order, base.inspection)),
            deadline=order.deadline,
            immediately=bool(base.order.immediately) if base.order else False,
            decided_on=order.decided_on,
            served_on=order.served_on,
        )
    daily = base.daily
    if kind == DAILY_PENALTY_DECISION and order is not None and order.served_on and order.outcome_on:
        # 令28 第十七条、第十九条: from the day after the refused order was served to the re-inspection, at
        # the original decision's fine per day (the request may name the per-day amount).
        per_day = (fields.get("daily") or {}).get("per_day_fen")
        if per_day is None:
            per_day = case.decided_fine_fen
        if per_day is not None:
            daily = DailyFacts(order.served_on, order.outcome_on, int(per_day))
    service = base.service
    if service is not None and not service.recipient:
        service = replace(service, recipient=party.name)  # 受送达人: the case's party unless the request names one
    decided = base.decided_amount_fen
    signed_on = None
    if kind == PENALTY_DECISION:
        decided = case.decided_fine_fen  # 第五十九条: what the case decided, not what the lines proposed
        signed_on = case.decided_on
    elif kind == ORDER_TO_CORRECT and order is not None:
        signed_on = order.decided_on
    return replace(
        base,
        party=party,
        authority=authority,
        lines=tuple(lines),
        other_inspections=tuple(others),
        order=order_facts,
        daily=daily,
        service=service,
        decided_amount_fen=decided,
        case=case,
        signed_on=signed_on,
    )
