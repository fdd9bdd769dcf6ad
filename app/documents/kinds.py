"""The documents a case produces, in the order it produces them (documents.md §0.1), pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    title_zh: str
    title_en: str
    # Default 文号 type code (documents.md §0.3, VERIFIED from published Henan numbers); None: no source
    # gives one, the jurisdiction sets it (numbered kinds) or the document carries no number.
    default_type_code: str | None
    numbered: bool
    # Which penalty lines the document carries: violator (fines), fiscal (000§五(二) deductions), none.
    lines: str


INSPECTION_RECORD = "inspection_record"
ORDER_TO_CORRECT = "order_to_correct"
ADVANCE_NOTICE = "advance_notice"
PENALTY_DECISION = "penalty_decision"
DAILY_PENALTY_DECISION = "daily_penalty_decision"
FISCAL_DEDUCTION_NOTICE = "fiscal_deduction_notice"
SERVICE_RECORD = "service_record"

KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        # No 文号 on a 笔录 in any example (documents.md §1).
        Kind(INSPECTION_RECORD, "现场检查(勘察)笔录", "On-site inspection record", None, False, "none"),
        Kind(ORDER_TO_CORRECT, "责令改正违法行为决定书", "Order to correct", "环责改字", True, "violator"),
        Kind(ADVANCE_NOTICE, "行政处罚事先(听证)告知书", "Advance notice of penalty", "环罚告字", True, "violator"),
        Kind(PENALTY_DECISION, "行政处罚决定书", "Penalty decision", "环罚决字", True, "violator"),
        # No published 按日连续处罚 number was found anywhere (documents.md §0.3): the jurisdiction sets it.
        Kind(DAILY_PENALTY_DECISION, "按日连续处罚决定书", "Daily penalty decision", None, True, "violator"),
        # 000§五(二) deductions: no published notice or number (the jurisdiction sets the type code).
        Kind(FISCAL_DEDUCTION_NOTICE, "财政扣缴通知", "Fiscal deduction notice", None, True, "fiscal"),
        # The proof of service carries the served document's number, not its own (documents.md §6).
        Kind(SERVICE_RECORD, "送达回证", "Proof of service", None, False, "none"),
    )
}

SERVICE_METHODS = {
    "direct": "直接送达",
    "left": "留置送达",
    "post": "邮寄送达",
    "electronic": "电子送达",
    "entrusted": "委托送达",
    "public_notice": "公告送达",
}
