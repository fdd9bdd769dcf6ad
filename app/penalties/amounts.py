"""Line arithmetic: integer fen, rounding, positions inside a range, counted units (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TypeGuard

from app.checklists.groups import split_key
from app.errors import FieldError, ValidationFailed
from app.penalties.domain import OBJECT_COUNT_KEYS, UNIT_COUNT_KEY, FindingInput
from app.penalties.rule_spec import RuleVersion


def is_int(value: object) -> TypeGuard[int]:
    """An int that is not a bool (JSON true/false must never count as 1/0)."""
    return isinstance(value, int) and not isinstance(value, bool)


def yuan(fen: int) -> str:
    """Render fen as yuan with two decimals and thousands separators, e.g. 30000000 -> '300,000.00'."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def round_half_up_to_yuan(numerator: int, denominator: int) -> int:
    """Round numerator/denominator fen half up to a whole yuan; returns fen. Inputs are non-negative ints."""
    # value_yuan = numerator / (denominator * 100); half up: floor(value + 1/2)
    d = denominator * 100
    return ((2 * numerator + d) // (2 * d)) * 100


def amount_in_range(lo: int, hi: int, position: int) -> int:
    """``lo + (hi - lo) * position / 100``, rounded half up to whole yuan, then clamped to [lo, hi]."""
    value = round_half_up_to_yuan(lo * 100 + (hi - lo) * position, 100)
    return max(lo, min(hi, value))


def count(finding: FindingInput, unit: str) -> int:
    """The units a finding reports for ``unit`` (1 when it reports none)."""
    key = UNIT_COUNT_KEY.get(unit)
    if key is None:
        return 1
    value = finding.counts.get(key, 1)
    if not is_int(value) or value < 0:
        raise ValidationFailed(
            "计数必须为非负整数",
            "Counts must be non-negative integers",
            errors=[
                FieldError(
                    f"{finding.item_key}.counts.{key}",
                    "bad_count",
                    "计数必须为非负整数",
                    "Count must be a non-negative integer",
                )
            ],
        )
    return value


def _group_item(item_key: str) -> str:
    """``vehicles.1.muck_sealed_transport`` → ``vehicles.*.muck_sealed_transport`` (a site item: unchanged)."""
    key = split_key(item_key)
    return f"{key.group}.*.{key.item}" if key is not None else item_key


def units(rule: RuleVersion, group: list[FindingInput], recorded: Mapping[str, int] | None = None) -> int:
    """Units counted for one rule over the findings that cite it (stacking mode and unit of the rule).

    ``recorded``: the objects the inspector counted anywhere in the inspection (count items, failed or not).
    """
    if rule.stacking.mode == "once_per_inspection":
        return 1
    key = UNIT_COUNT_KEY.get(rule.unit)
    if key is not None and key in OBJECT_COUNT_KEYS:
        # Counted objects (machines, vehicles, fire points, items seized): the findings of one rule describe
        # the same objects (e.g. "no fire point" failed and "fire points found: 3"), so the largest count
        # reported wins; else the inspection's recorded count (0 included); findings that report no count and
        # no recorded count stand for one object together.
        reported = [count(f, rule.unit) for f in group if key in f.counts and f.object_ref is None]
        objects = {(f.object_ref.group, f.object_ref.index) for f in group if f.object_ref is not None}
        if objects:
            # Repeatable groups: each failing object (machine, vehicle …) is one unit; a count reported by a
            # site-level finding of the same rule describes the same objects, so the larger number wins.
            return max([len(objects), *reported])
        if reported:
            return max(reported)
        if recorded is not None and is_int(recorded.get(key)):
            return int(recorded[key])
        return 1
    if key == "failed_measures":
        # 000§五(二) stacks the deduction per failed dust measure of one site ("多项控尘措施不到位的予以叠加扣缴"):
        # the objects of a repeatable group failing the same item (two unsealed muck trucks) are one measure.
        site_level = sum(count(f, rule.unit) for f in group if f.object_ref is None)
        measures = {(f.checklist_key, _group_item(f.item_key)) for f in group if f.object_ref is not None}
        return site_level + len(measures)
    return sum(count(f, rule.unit) for f in group)


def count_recorded(rule: RuleVersion, group: list[FindingInput], recorded: Mapping[str, int] | None) -> bool:
    """Whether the objects a per-object rule counts were counted by the inspector (in a finding or anywhere)."""
    key = UNIT_COUNT_KEY.get(rule.unit)
    if key is None or key not in OBJECT_COUNT_KEYS:
        return True
    return any(key in f.counts or f.object_ref is not None for f in group) or (recorded is not None and key in recorded)


def daily_days(order_date: date, reinspection_date: date) -> int:
    """Days of a daily continuous penalty: from the day after the order through the re-inspection date."""
    return (reinspection_date - order_date).days


def check_original_amount(rule_key: str, original: object) -> int:
    """The original fine a daily penalty repeats: a non-negative integer number of fen."""
    if not is_int(original) or original < 0:
        raise ValidationFailed(
            "原处罚数额必须为整数（分）",
            "Original fine must be integer fen",
            errors=[
                FieldError(
                    f"prior_decision_amounts_fen.{rule_key}",
                    "bad_amount",
                    "原处罚数额必须为非负整数（分）",
                    "Must be a non-negative integer (fen)",
                )
            ],
        )
    return original
