"""A case's stages as the law runs them, and who may move it (pure).

立案 (filing, approved by a supervisor) → 调查取证 (investigation) → 告知 (advance notice: 陈述申辩, 听证) →
决定 (decision) → 执行 (payment, correction) → 结案 (closed). A case may also be closed without a penalty
from 立案 or 调查取证 (不予立案 / 不予行政处罚, 行政处罚法第五十七条). A refused order to correct on a case in
执行 re-opens 调查取证 for the daily continuous penalty, which follows the ordinary procedure again
(环境保护主管部门实施按日连续处罚办法第十五条); that step is taken by the system when a supervisor approves
the failed re-inspection.

Admins configure, supervisors act (every transition is a supervisor's); inspectors never see a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app.errors import Conflict, Forbidden, ValidationFailed

STAGES: Final = ("filing", "investigation", "notice", "decision", "execution", "closed")
STAGE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "filing": ("立案", "Filing"),
    "investigation": ("调查取证", "Investigation"),
    "notice": ("告知", "Advance notice"),
    "decision": ("决定", "Decision"),
    "execution": ("执行", "Execution"),
    "closed": ("结案", "Closed"),
}
OPEN_STAGES: Final = tuple(s for s in STAGES if s != "closed")


@dataclass(frozen=True)
class Transition:
    action: str
    from_stages: tuple[str, ...]
    to_stage: str
    roles: tuple[str, ...]
    zh: str
    en: str


TRANSITIONS: Final[dict[str, Transition]] = {
    t.action: t
    for t in (
        Transition("approve_filing", ("filing",), "investigation", ("supervisor",), "批准立案", "Approve filing"),
        Transition("serve_notice", ("investigation",), "notice", ("supervisor",), "送达事先告知书", "Serve notice"),
        Transition(
            "request_hearing", ("notice",), "notice", ("supervisor",), "登记听证申请", "Record a hearing request"
        ),
        Transition("decide", ("notice",), "decision", ("supervisor",), "作出处罚决定", "Decide"),
        Transition("serve_decision", ("decision",), "execution", ("supervisor",), "送达处罚决定书", "Serve decision"),
        Transition("record_payment", ("execution",), "execution", ("supervisor",), "登记缴款", "Record payment"),
        Transition(
            "close", ("filing", "investigation", "execution"), "closed", ("supervisor",), "结案", "Close the case"
        ),
    )
}
# Taken by the system inside another supervisor action (approving a failed re-inspection), never requested.
REOPEN_FOR_DAILY_PENALTY = Transition(
    "reopen_for_daily_penalty", ("execution",), "investigation", ("supervisor",), "拒不改正，重新调查", "Refused order"
)


def check_transition(action: str, stage: str, role: str) -> Transition:
    """The transition ``action`` from ``stage`` by ``role``; 422 unknown action, 403 wrong role, 409 wrong stage."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationFailed(
            f"未知的案件操作：{action}",
            f"Unknown case action: {action}",
            code="unknown_case_action",
        )
    if role not in transition.roles:
        raise Forbidden(
            f"“{transition.zh}”须由{'/'.join(transition.roles)}办理。",
            f"'{transition.en}' is taken by: {', '.join(transition.roles)}.",
            code="case_wrong_role",
        )
    if stage not in transition.from_stages:
        zh, en = STAGE_NAMES.get(stage, (stage, stage))
        raise Conflict(
            f"案件处于“{zh}”阶段，不能“{transition.zh}”。",
            f"The case is at stage '{en}'; '{transition.en}' is not possible.",
            code="case_wrong_stage",
            extra={"stage": stage, "allowed_from": list(transition.from_stages)},
        )
    return transition


def allowed_actions(stage: str, role: str) -> list[str]:
    """Actions ``role`` may request on a case at ``stage`` (shown with the case)."""
    return [a for a, t in TRANSITIONS.items() if stage in t.from_stages and role in t.roles]


def require_acting_role(role: str, what_zh: str, what_en: str) -> None:
    """Every change to a case (party, orders, fiscal deductions) is a supervisor's; admins configure."""
    if role != "supervisor":
        raise Forbidden(
            f"“{what_zh}”须由supervisor办理。", f"'{what_en}' is taken by: supervisor.", code="case_wrong_role"
        )
