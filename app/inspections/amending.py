"""PURE rules of a reviewer's amendments: the effective answers, what each kind of amendment may do, the diff.

No Flask, no SQLAlchemy. ``app.inspections.amendments`` loads the rows, calls these with plain values and
stores what they return.

A supervisor reviewing a submitted inspection may amend one item at a time, always with a written reason
(行政处罚法第五十七条: the reviewer examines the results of the investigation; the correction and who made it
stay on record):

- ``change``       change the item's answer (a check's verdict, a measure's readings, a count …): the fields
                   sent replace the effective answer's (``null`` removes one); the server re-evaluates it;
- ``add_finding``  record a failure the inspector missed, with evidence the reviewer uploaded (at least one
                   photo); the amended answer must fail;
- ``waive``        keep a failed item's verdict but waive it: no penalty follows from it.

The inspector's answer is never overwritten: the effective answer of an item is the inspector's answer
with the amendments of the current submission applied in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import FieldError

CHANGE, ADD_FINDING, WAIVE = "change", "add_finding", "waive"
KINDS: tuple[str, ...] = (CHANGE, ADD_FINDING, WAIVE)


@dataclass(frozen=True)
class AmendmentView:
    """What an amendment contributes to the effective state of its item."""

    item_key: str
    kind: str
    answer_after: Mapping[str, Any] | None
    photo_ids: tuple[str, ...]
    waiver: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FindingState:
    """The part of a finding the diff compares."""

    verdict: str
    value: float | None
    waived: bool

    @property
    def penalised(self) -> bool:
        return self.verdict == "fail" and not self.waived

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "value": self.value, "waived": self.waived}


def amended_answer(before: Mapping[str, Any] | None, patch: Mapping[str, Any]) -> dict[str, Any]:
    """The effective answer after a ``change``: the fields sent replace the earlier ones, ``None`` removes one.
    Photos are never part of an answer (they are links and the amendment's evidence)."""
    out = {k: v for k, v in (before or {}).items() if k != "photos"}
    for key, value in patch.items():
        if key == "photos":
            continue
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def effective_answers(
    original: Mapping[str, Mapping[str, Any]], amendments: Iterable[AmendmentView]
) -> dict[str, dict[str, Any]]:
    """The inspector's answers with the amendments applied in order (a waiver leaves the answer as it is)."""
    out = {key: dict(answer) for key, answer in original.items()}
    for amendment in amendments:
        if amendment.answer_after is not None:
            out[amendment.item_key] = dict(amendment.answer_after)
    return out


def amendment_photos(amendments: Iterable[AmendmentView]) -> dict[str, list[str]]:
    """Evidence the reviewer added, by item, in order, each photo once."""
    out: dict[str, list[str]] = {}
    for amendment in amendments:
        photos = out.setdefault(amendment.item_key, [])
        photos += [p for p in amendment.photo_ids if p not in photos]
    return {k: v for k, v in out.items() if v}


def waivers(amendments: Iterable[AmendmentView]) -> dict[str, dict[str, Any]]:
    """The waiver in force on each item: the latest ``waive``; a later ``change`` or ``add_finding`` of the
    item is a new judgement of it and ends the waiver."""
    out: dict[str, dict[str, Any]] = {}
    for amendment in amendments:
        if amendment.kind == WAIVE and amendment.waiver is not None:
            out[amendment.item_key] = dict(amendment.waiver)
        else:
            out.pop(amendment.item_key, None)
    return out


def _error(path: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(path, code, zh, en)


def request_errors(
    kind: str,
    item_key: str,
    answer: Mapping[str, Any] | None,
    photo_ids: Sequence[str],
    applicable_items: Iterable[str],
    current: FindingState | None,
) -> list[FieldError]:
    """What is wrong with an amendment request before anything is evaluated (each problem listed)."""
    errors: list[FieldError] = []
    if item_key not in set(applicable_items):
        errors.append(
            _error(
                "item_key",
                "item_not_applicable",
                f"检查项 {item_key} 不是本次提交时适用的检查项",
                f"item {item_key} was not an applicable item of this submission",
            )
        )
    if kind == CHANGE and not answer:
        errors.append(_error("answer", "answer_required", "修改须给出新的答案字段", "a change needs answer fields"))
    if kind == ADD_FINDING and not photo_ids:
        errors.append(
            _error(
                "photos",
                "evidence_required",
                "补充问题须附审核人上传的照片证据",
                "an added finding needs at least one photo the reviewer uploaded",
            )
        )
    if kind == ADD_FINDING and current is not None and current.penalised:
        errors.append(
            _error(
                "item_key",
                "already_a_finding",
                f"检查项 {item_key} 已判定为不合格，请使用“修改”",
                f"item {item_key} already fails; use a change",
            )
        )
    if kind == WAIVE:
        if answer or photo_ids:
            errors.append(
                _error(
                    "answer",
                    "waiver_changes_nothing_else",
                    "免予处理不修改答案，也不附照片",
                    "a waiver changes neither the answer nor the evidence",
                )
            )
        if current is None or not current.penalised:
            errors.append(
                _error(
                    "item_key",
                    "nothing_to_waive",
                    f"检查项 {item_key} 没有可免予处理的不合格结论",
                    f"item {item_key} has no failed, unwaived finding to waive",
                )
            )
    return errors


def outcome_errors(kind: str, item_key: str, verdict_after: str | None) -> list[FieldError]:
    """An added finding must fail once evaluated."""
    if kind == ADD_FINDING and verdict_after != "fail":
        return [
            _error(
                "answer",
                "amendment_not_a_finding",
                f"补充的答案经服务器判定不是不合格（{verdict_after}），请核对答案字段",
                f"the server does not judge the amended answer a failure ({verdict_after}); check the answer",
            )
        ]
    return []


def findings_diff(before: Mapping[str, FindingState], after: Mapping[str, FindingState]) -> dict[str, Any]:
    """Findings the amendment added (now failed and penalised, not before), removed (the reverse), and every
    item whose verdict, value or waiver changed, before and after."""
    keys = sorted(set(before) | set(after))
    changed = [
        {
            "item_key": k,
            "before": before[k].to_dict() if k in before else None,
            "after": after[k].to_dict() if k in after else None,
        }
        for k in keys
        if before.get(k) != after.get(k)
    ]

    def penalised(states: Mapping[str, FindingState]) -> set[str]:
        return {k for k, s in states.items() if s.penalised}

    return {
        "added": sorted(penalised(after) - penalised(before)),
        "removed": sorted(penalised(before) - penalised(after)),
        "changed": changed,
    }
