"""Discretion method ``factor_position_v1``: where inside a legal range an amount falls (pure).

See ``app.penalties.engine`` for the method as a whole; the parameters are ``DEFAULT_DISCRETION``, overridable
per jurisdiction through ``ctx.policy["discretion"]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from app.errors import FieldError, ValidationFailed
from app.penalties import explanation
from app.penalties.domain import Factor, FindingInput, PenaltyContext
from app.penalties.explanation import Sentence
from app.penalties.rule_spec import RuleVersion
from app.vocabulary import ALERT_RANK

SEVERITY_POSITION = {"info": 0, "low": 25, "medium": 50, "high": 75, "critical": 100}

DEFAULT_DISCRETION: dict[str, Any] = {
    "extra_finding_pct": 10,
    "extra_finding_cap_pct": 30,
    "repeat_pct": 25,
    "repeat_cap_pct": 50,
    "cooperation_pct": -10,
    "prompt_correction_pct": -15,
    "alert_upper_end_from": "yellow",
    "first_offence_exempt": True,
    "repeat_window_days": 730,
    # 000§五(二): fiscal deductions only for problems found by national/provincial/city teams. When the finder is
    # unknown the line is blocked, unless a jurisdiction sets this (its source is named on the line).
    "charge_fiscal_when_finder_unknown": False,
}


def discretion_params(ctx: PenaltyContext) -> dict[str, Any]:
    """The defaults overlaid with the jurisdiction's parameters; the alert threshold must be a known level."""
    params = dict(DEFAULT_DISCRETION)
    params.update(dict(ctx.policy.get("discretion", {}) or {}))
    if params["alert_upper_end_from"] not in ALERT_RANK:
        raise ValidationFailed(
            "预警等级设置无效",
            "Invalid alert threshold setting",
            errors=[
                FieldError(
                    "policy.discretion.alert_upper_end_from", "bad_value", "预警等级设置无效", "Invalid alert level"
                )
            ],
        )
    return params


def position(
    rule: RuleVersion, group: list[FindingInput], ctx: PenaltyContext, params: dict[str, Any]
) -> tuple[int, list[Factor], list[Sentence]]:
    """Position (0..100) inside the range, the factors used and the explanation sentences they add."""
    factors: list[Factor] = []
    sentences: list[Sentence] = []
    severity = max((f.severity for f in group), key=lambda s: SEVERITY_POSITION.get(s, 50))
    at = SEVERITY_POSITION.get(severity, 50)
    factors.append(Factor("severity", severity, f"start {at}%"))
    extra = len(group) - 1
    if extra > 0 and rule.stacking.mode == "once_per_inspection":
        delta = min(extra * params["extra_finding_pct"], params["extra_finding_cap_pct"])
        at += delta
        factors.append(Factor("failed_items_in_case", str(len(group)), f"+{delta}%"))
    repeats = max((ctx.repeat_offences.get(f.item_key, 0) for f in group), default=0)
    if repeats > 0:
        delta = min(repeats * params["repeat_pct"], params["repeat_cap_pct"])
        at += delta
        factors.append(
            Factor("repeat_offence", f"{repeats} prior within {params['repeat_window_days']} days", f"+{delta}%")
        )
    else:
        factors.append(Factor("repeat_offence", "none", "0%"))
    if ctx.cooperation:
        at += params["cooperation_pct"]
        factors.append(Factor("cooperation", "yes", f"{params['cooperation_pct']}%"))
    if ctx.prompt_correction:
        # 行政处罚法第三十二条(一): 主动消除或者减轻违法行为危害后果的，应当从轻或者减轻行政处罚.
        at += params["prompt_correction_pct"]
        factors.append(Factor("prompt_correction", "yes", f"{params['prompt_correction_pct']}%"))
    alert = ctx.alert_level or "none"
    if ALERT_RANK.get(alert, 0) >= ALERT_RANK[params["alert_upper_end_from"]] and alert != "none":
        at = 100  # 003§一(二)3, 003#38: the upper end during a heavy-pollution alert
        factors.append(Factor("heavy_pollution_alert", alert, "upper end (003§一(二)3, 003#38)"))
        sentences.append(explanation.alert_upper_end(alert))
    else:
        factors.append(Factor("heavy_pollution_alert", alert, "0%"))
    return max(0, min(100, at)), factors, sentences


def first_offence_exempt(group: list[FindingInput], ctx: PenaltyContext, params: dict[str, Any]) -> bool:
    """行政处罚法第三十三条: first offence, slight harm, promptly corrected — no penalty (policy permitting)."""
    if not params["first_offence_exempt"]:
        return False
    if not (ctx.first_offence_slight_harm and ctx.prompt_correction):
        return False
    return all(ctx.repeat_offences.get(f.item_key, 0) == 0 for f in group)


def repeat_count(prior_penalty_dates: Iterable[date], on_date: date, window_days: int = 730) -> int:
    """Prior penalties for the same site and item within the window before ``on_date`` (default 2 years)."""
    return sum(1 for d in prior_penalty_dates if 0 < (on_date - d).days <= window_days)
