"""Why a document may not be issued yet (pure): every reason named, zh + en.

Issuing is refused while any line the document carries is blocked (an amount still to be set, text not yet
verified, a payer not resolved: app/penalties/lines.py), while a setting no source gives is unset, or while a
legal precondition is missing. A preview prints the same facts with the gaps marked instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.documents.facts import DocumentFacts, LineFacts
from app.documents.kinds import (
    ADVANCE_NOTICE,
    DAILY_PENALTY_DECISION,
    FISCAL_DEDUCTION_NOTICE,
    INSPECTION_RECORD,
    KINDS,
    ORDER_TO_CORRECT,
    PENALTY_DECISION,
    SERVICE_METHODS,
    SERVICE_RECORD,
)

# 行政处罚法第四十二条: 执法人员不得少于两人.
MIN_OFFICERS = 2


@dataclass(frozen=True)
class Blocker:
    code: str
    zh: str
    en: str
    rule_key: str | None = None


LINE_REASONS = {
    "amount_to_be_set": ("金额待辖区设定", "amount to be set by the jurisdiction"),
    "unverified": ("条文尚未核实", "legal text not yet verified"),
    "payer_unresolved": ("扣缴主体未确定", "payer not resolved"),
    "party_kind_unknown": ("当事人类型未知", "party kind unknown"),
}


def carried_lines(facts: DocumentFacts) -> tuple[LineFacts, ...]:
    """The penalty lines a document of this kind prints."""
    which = KINDS[facts.kind].lines
    if which == "violator":
        return tuple(line for line in facts.lines if line.payer_type == "violator")
    if which == "fiscal":
        return tuple(line for line in facts.lines if line.kind == "fiscal_deduction")
    return ()


def _line_blockers(facts: DocumentFacts) -> list[Blocker]:
    out = []
    # An order to correct prints no amount: only the cited text must be verified.
    relevant = {"unverified"} if facts.kind == ORDER_TO_CORRECT else set(LINE_REASONS) | {"amount_to_be_set"}
    for line in carried_lines(facts):
        for reason in line.blocking_reasons:
            if reason not in relevant and reason in LINE_REASONS:
                continue
            zh, en = LINE_REASONS.get(reason, (reason, reason))
            out.append(Blocker(f"line_{reason}", f"{line.title}：{zh}", f"{line.rule_key}: {en}", line.rule_key))
    return out


def _settings_blockers(facts: DocumentFacts, type_code: str | None, number_prefix: str | None) -> list[Blocker]:
    out = []
    a = facts.authority
    if not a.name:
        out.append(Blocker("authority_not_set", "未设置执法机关名称", "The issuing authority's name is not set"))
    if KINDS[facts.kind].numbered:
        if not type_code:
            out.append(
                Blocker("type_code_not_set", "未设置该类文书的文号类型字", "No number type code set for this kind")
            )
        if not number_prefix:
            out.append(Blocker("number_prefix_not_set", "未设置文号前缀", "No number prefix set"))
    if facts.kind in (ORDER_TO_CORRECT, PENALTY_DECISION, DAILY_PENALTY_DECISION):
        if not a.review_body:
            out.append(
                Blocker("review_body_not_set", "未设置行政复议机关", "The administrative review body is not set")
            )
        if not a.court:
            out.append(Blocker("court_not_set", "未设置行政诉讼管辖法院", "The competent court is not set"))
    if facts.kind == ADVANCE_NOTICE:
        if a.statement_period_days is None:
            out.append(
                Blocker("statement_period_not_set", "未设置陈述申辩期限", "The period for statements is not set")
            )
        if a.hearing_threshold_fen is None:
            out.append(
                Blocker("hearing_threshold_not_set", "未设置听证“较大数额”标准", "The hearing threshold is not set")
            )
    return out


def _kind_blockers(facts: DocumentFacts) -> list[Blocker]:
    out: list[Blocker] = []
    kind = facts.kind
    if kind == INSPECTION_RECORD:
        officers = facts.inspection.officers
        if len(officers) < MIN_OFFICERS:
            out.append(Blocker("too_few_officers", "执法人员不足两人", "Fewer than two officers (Art. 42)"))
        if any(not o.badge for o in officers):
            out.append(Blocker("officer_badge_missing", "执法人员缺少执法证号", "An officer has no badge number"))
        onsite = facts.onsite
        if onsite is None or onsite.signature not in ("signed", "refused"):
            out.append(
                Blocker("signature_missing", "缺少当事人签名或拒签记录", "No party signature or recorded refusal")
            )
        elif onsite.signature == "refused" and not onsite.witness:
            out.append(Blocker("refusal_unwitnessed", "拒签须有见证人", "A refusal to sign needs a witness"))
    needs_violation = (
        ORDER_TO_CORRECT,
        ADVANCE_NOTICE,
        PENALTY_DECISION,
        DAILY_PENALTY_DECISION,
        FISCAL_DEDUCTION_NOTICE,
    )
    if kind in needs_violation and not facts.inspection.failed_items:
        out.append(Blocker("no_violation", "检查未发现违法事实", "The inspection found no violation"))
    if kind == ORDER_TO_CORRECT:
        order = facts.order
        if order is None or not order.text:
            out.append(Blocker("order_text_missing", "缺少责令改正的内容", "What to correct is missing"))
        elif order.deadline is None and not order.immediately:
            out.append(Blocker("order_deadline_missing", "缺少改正期限", "The deadline to correct is missing"))
    if kind in (ADVANCE_NOTICE, PENALTY_DECISION) and not any(
        line.kind == "statutory_fine" for line in carried_lines(facts)
    ):
        out.append(Blocker("no_fine", "无罚款事项", "No fine to propose or decide"))
    notice_served = facts.case is not None and facts.case.notice_served_on is not None
    if kind == PENALTY_DECISION and (facts.notice_ref is None or facts.notice_ref.voided) and not notice_served:
        # 行政处罚法第六十二条: no decision without the advance notice (a case records its service).
        out.append(
            Blocker("advance_notice_not_issued", "尚未送达行政处罚事先告知书", "No advance notice issued (Art. 62)")
        )
    if kind == DAILY_PENALTY_DECISION:
        if facts.decision_ref is None or facts.decision_ref.voided:
            # 令28 第七条第二款: the daily decision follows the original decision.
            out.append(Blocker("original_decision_not_issued", "尚无原处罚决定", "No original penalty decision"))
        if facts.daily is None or facts.daily.days < 1:
            out.append(Blocker("daily_period_missing", "缺少计罚日数", "No days to count (service and re-inspection)"))
    if kind == FISCAL_DEDUCTION_NOTICE and not carried_lines(facts):
        out.append(Blocker("no_deduction", "无财政扣缴事项", "No fiscal deduction"))
    if kind == SERVICE_RECORD:
        service = facts.service
        if service is None or not service.served:
            out.append(Blocker("nothing_served", "未指明送达的文书", "No served document named"))
        else:
            if service.method not in SERVICE_METHODS:
                out.append(Blocker("service_method_missing", "缺少送达方式", "The service method is missing"))
            if service.served_at is None:
                out.append(Blocker("service_time_missing", "缺少送达时间", "The time of service is missing"))
            if not service.recipient:
                out.append(Blocker("recipient_missing", "缺少受送达人", "The recipient is missing"))
            if not service.servers:
                out.append(Blocker("server_missing", "缺少送达人", "Who served is missing"))
            if service.method == "left" and not service.witness:
                # 民事诉讼法第八十九条: 留置送达 records the refusal with a witness (or photos).
                out.append(Blocker("witness_missing", "留置送达须记明见证人", "Service by leaving needs a witness"))
    return out


# The kinds that print the party block of base.html (name, address, 法定代表人(负责人) for a unit) and are served
# on the party; an issued document must never print a gap there.
ADDRESSED_TO_PARTY = (ORDER_TO_CORRECT, ADVANCE_NOTICE, PENALTY_DECISION, DAILY_PENALTY_DECISION)


def _party_blockers(facts: DocumentFacts) -> list[Blocker]:
    """The party's identity a document names before it can bind them.

    令28 第九条（一）/第十六条（一）: the order and the daily decision state 名称或者姓名、地址以及法定代表人或者主要负责人
    姓名; 行政处罚法第五十九条第一款（一）: a decision states the party's name and address. The advance notice and
    the decision print the same block (documents.md §0.2), so one rule serves all four. The inspection record prints
    the 被检查单位's address too (documents.md §1 item 3).
    """
    kind = facts.kind
    if kind not in ADDRESSED_TO_PARTY and kind != INSPECTION_RECORD:
        return []
    party = facts.party
    out: list[Blocker] = []
    if not (party.name or "").strip():
        out.append(Blocker("party_name_missing", "缺少当事人名称或姓名", "The party's name is missing"))
    if not (party.address or "").strip():
        out.append(Blocker("party_address_missing", "缺少当事人地址", "The party's address is missing"))
    if kind in ADDRESSED_TO_PARTY and party.kind == "unit" and not (party.legal_representative or "").strip():
        out.append(
            Blocker(
                "legal_representative_missing",
                "缺少当事人的法定代表人（负责人）姓名",
                "The unit's legal representative (person in charge) is missing (令28 Art. 9)",
            )
        )
    return out


def _case_blockers(facts: DocumentFacts) -> list[Blocker]:
    """A document issued from a case is refused while the case is not at a stage where its kind makes sense."""
    case = facts.case
    if case is None:
        return []
    out: list[Blocker] = []
    kind = facts.kind
    if kind == ORDER_TO_CORRECT and (facts.order is None or facts.order.decided_on is None):
        # 行政处罚法第二十八条第一款: the order is the case's recorded decision (its date, service, deadline).
        out.append(
            Blocker("case_order_not_recorded", "案件尚未记录责令改正决定", "The case records no order to correct")
        )
    if kind in (ADVANCE_NOTICE, PENALTY_DECISION, DAILY_PENALTY_DECISION) and case.filed_on is None:
        # 行政处罚法第五十四条第二款: a penalty procedure starts with 立案.
        out.append(Blocker("case_not_filed", "案件尚未立案", "The case is not filed (Art. 54)"))
    if kind == ADVANCE_NOTICE:
        proposed = case.proposed_fine_fen if case.proposed_fine_fen is not None else facts.proposed_total_fen
        if not proposed:
            # 行政处罚法第四十四条: the notice states the penalty the authority intends to impose.
            out.append(Blocker("no_proposed_penalty", "尚无拟作出的行政处罚", "No proposed penalty (Art. 44)"))
        if case.decided_on is not None:
            out.append(Blocker("case_already_decided", "案件已作出处罚决定", "The case is already decided"))
    if kind in (PENALTY_DECISION, DAILY_PENALTY_DECISION) and (
        case.decided_on is None or case.decided_fine_fen is None
    ):
        # 行政处罚法第五十七条、第五十九条: the decision document states the decision the case records;
        # 令28 第七条第二款: a daily penalty follows the original decision.
        out.append(Blocker("case_not_decided", "案件尚未作出处罚决定", "The case has no recorded decision (Art. 57)"))
    if kind == DAILY_PENALTY_DECISION and facts.daily is None:
        # 令28 第十三条: 拒不改正 is a re-inspection finding the served order not complied with.
        out.append(
            Blocker(
                "order_not_refused",
                "尚无经复查拒不改正的责令改正决定",
                "No served order found refused at re-inspection",
            )
        )
    return out


def blockers(facts: DocumentFacts, *, type_code: str | None, number_prefix: str | None) -> list[Blocker]:
    """Every reason the document cannot be issued now (empty: it can)."""
    return (
        _settings_blockers(facts, type_code, number_prefix)
        + _case_blockers(facts)
        + _party_blockers(facts)
        + _kind_blockers(facts)
        + _line_blockers(facts)
    )
