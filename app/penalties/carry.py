"""Supervisors' overrides through a recompute: which new line each one lands on, and whether it still fits (pure).

A recompute writes a new computation; a supervisor's override on the superseded one is a decision about a line,
not about a computation, so it is carried to the *same* line of the new computation when its amount is still
lawful there. "The same line" is ``line_identity``: the rule key (not its version or hash: a rule update is the
usual reason to recompute), the payer (type and code: the sub-district charged under 000§五(二), or the violator's
credit code), whether it is the daily line (大气污染防治法第一百二十三条) or the rule's one money line, and the
failed items the line counts. The engine writes at most one line per rule key and kind of line, so within one
computation the identity is unique; if the payer or the items changed, the facts the supervisor reasoned about
changed too, and the override does not carry.

"Still fits" is what ``apply_override`` accepts on the new line: a monetary line with an amount (not
``blocked_amount_to_be_set``) whose legal total range contains the override, or 0 on a statutory fine
(不予行政处罚, 行政处罚法第三十三条). Anything else is an override that no longer fits, and the caller refuses the
recompute unless told to drop such overrides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from app.errors import AppError
from app.penalties import explanation
from app.penalties.amounts import yuan
from app.penalties.domain import PenaltyLine
from app.penalties.lines import apply_override

LineIdentity = tuple[str, str, str | None, bool, tuple[str, ...]]


def line_identity(line: PenaltyLine) -> LineIdentity:
    """Rule key, payer type and code, daily line or not, and the failed items counted."""
    return (line.rule_key, line.payer.type, line.payer.code, line.daily_days is not None, tuple(line.item_keys))


@dataclass(frozen=True)
class CurrentOverride:
    """An override on a line of the computation being superseded (``override`` as stored: by, reason, at …)."""

    line_id: int
    line: PenaltyLine
    override: dict[str, Any]

    @property
    def amount_fen(self) -> int:
        return int(self.override["amount_after_fen"])

    def summary(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "rule_key": self.line.rule_key,
            "payer": {"type": self.line.payer.type, "code": self.line.payer.code, "name": self.line.payer.name},
            "item_keys": list(self.line.item_keys),
            "daily": self.line.daily_days is not None,
            "amount_fen": self.amount_fen,
            "reason": self.override.get("reason"),
            "by": self.override.get("by"),
            "at": self.override.get("at"),
        }


@dataclass(frozen=True)
class CarriedOverride:
    """An override kept on the new line at ``position``; ``computed_fen`` is the new line's engine amount."""

    previous: CurrentOverride
    position: int
    computed_fen: int | None


@dataclass(frozen=True)
class UnfitOverride:
    """An override that no longer fits the new computation, and why (stable code, zh/en)."""

    previous: CurrentOverride
    code: str
    message_zh: str
    message_en: str
    range_fen: tuple[int, int] | None

    def summary(self) -> dict[str, Any]:
        return {
            **self.previous.summary(),
            "problem": self.code,
            "message": {"zh": self.message_zh, "en": self.message_en},
            "range_fen": list(self.range_fen) if self.range_fen else None,
        }


@dataclass(frozen=True)
class CarryPlan:
    """The new lines with the carried overrides applied, and what could not be carried."""

    lines: tuple[PenaltyLine, ...]
    carried: tuple[CarriedOverride, ...]
    unfit: tuple[UnfitOverride, ...]


def _gone(prev: CurrentOverride) -> UnfitOverride:
    return UnfitOverride(
        prev,
        "line_gone",
        f"处罚项 {prev.line.rule_key} 在重新计算后不再存在（规则不再适用，或付款方、所涉检查项已变化），"
        f"调整金额 {yuan(prev.amount_fen)} 元无处沿用",
        f"Line {prev.line.rule_key} no longer exists after the recompute (the rule no longer applies, or the "
        f"payer or the items changed); the override of {yuan(prev.amount_fen)} yuan has no line to stay on",
        None,
    )


def plan_carry(
    new_lines: tuple[PenaltyLine, ...], overrides: list[CurrentOverride], from_computation_id: int
) -> CarryPlan:
    """Match each current override to the new line with the same identity and re-apply it if it fits."""
    by_identity = {line_identity(line): i for i, line in enumerate(new_lines)}
    lines = list(new_lines)
    carried: list[CarriedOverride] = []
    unfit: list[UnfitOverride] = []
    for prev in overrides:
        position = by_identity.get(line_identity(prev.line))
        if position is None:
            unfit.append(_gone(prev))
            continue
        target = new_lines[position]
        try:
            applied = apply_override(
                target, prev.amount_fen, str(prev.override.get("reason") or ""), by=prev.override.get("by")
            )
        except AppError as refused:
            unfit.append(
                UnfitOverride(prev, refused.code, refused.detail_zh, refused.detail_en, target.legal_total_range_fen)
            )
            continue
        zh, en = explanation.override_carried(
            from_computation_id, prev.override.get("by"), prev.override.get("at"), prev.amount_fen
        )
        lines[position] = replace(
            applied, explanation_zh=applied.explanation_zh + (zh,), explanation_en=applied.explanation_en + (en,)
        )
        carried.append(CarriedOverride(prev, position, target.amount_fen))
    return CarryPlan(tuple(lines), tuple(carried), tuple(unfit))
