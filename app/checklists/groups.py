"""Repeatable groups: checks made per object (per machine, per tank, per vehicle, per road).

Pure module (no Flask, no SQLAlchemy). A checklist may declare ``groups``; each group has its own items, and an
inspection answers them once per object. On the wire and in storage a group item's answer is an ordinary answer
whose key names the object: ``<group>.<index>.<item>`` (index from 0, e.g. ``machines.1.emission_stage``), so
answers, photo links, findings, amendments and penalties keep working per key.

``expand_checklist(doc, answer_keys)`` turns a checklist document with groups into the flat document every other
module reads: the checklist's own items, then each group's items once per object (as many objects as the answers
name, at least ``min``), each carrying ``object`` (group, index, titles) and its ``applies_when`` rewritten so
that ``object.<item>.<field>`` reads the same object's own answer (``answers.<group>.<index>.<item>.<field>``;
``condition_answers`` nests the flat answers that way for JSON Logic). The phone's evaluator.js does the same
(``expandChecklist``, ``conditionAnswers``); tests/e2e/test_inspector_app_evaluator.py compares the two.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import FieldError

#: ``<group>.<index>.<item>``: the key of one object's answer to one group item.
OBJECT_KEY_RE = re.compile(r"^(?P<group>[a-z][a-z0-9_]*)\.(?P<index>0|[1-9][0-9]{0,3})\.(?P<item>[a-z][a-z0-9_]*)$")
#: The prefix a group item's condition uses for the same object's answers.
OBJECT_VAR = "object."


@dataclass(frozen=True)
class ObjectKey:
    group: str
    index: int
    item: str


@dataclass(frozen=True)
class ObjectRef:
    """The object a finding is about: its group, its index (from 0), the label the inspector gave it and what one
    object of the group is called (``object_name``, e.g. 台 / machine)."""

    group: str
    index: int
    label: str | None = None
    noun_zh: str = "个"
    noun_en: str = "object"

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "index": self.index,
            "label": self.label,
            "object_name": {"zh": self.noun_zh, "en": self.noun_en},
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any] | None) -> ObjectRef | None:
        if not doc or not isinstance(doc.get("group"), str) or not isinstance(doc.get("index"), int):
            return None
        label = doc.get("label")
        noun = doc.get("object_name") or {}
        return cls(
            doc["group"],
            doc["index"],
            label if isinstance(label, str) else None,
            str(noun.get("zh") or "个"),
            str(noun.get("en") or "object"),
        )

    def name(self) -> tuple[str, str]:
        """``第2台「挖掘机A」`` / ``machine #2 'excavator A'``."""
        zh = f"第{self.index + 1}{self.noun_zh}"
        en = f"{self.noun_en} #{self.index + 1}"
        if self.label:
            zh += f"「{self.label}」"
            en += f" '{self.label}'"
        return zh, en


def object_key(group: str, index: int, item: str) -> str:
    return f"{group}.{index}.{item}"


def split_key(key: str) -> ObjectKey | None:
    """The group, object index and group item a key names, or None for a checklist's own item."""
    m = OBJECT_KEY_RE.match(key)
    return ObjectKey(m["group"], int(m["index"]), m["item"]) if m else None


def groups_of(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(doc.get("groups") or [])


def object_indices(answer_keys: Iterable[str], group: str) -> list[int]:
    """The object indices the answers name in ``group``, sorted, once each."""
    found = {k.index for k in map(split_key, answer_keys) if k is not None and k.group == group}
    return sorted(found)


def object_count(group: Mapping[str, Any], answer_keys: Iterable[str]) -> int:
    """Objects of ``group`` in an inspection: one past the highest index answered, at least ``min``."""
    indices = object_indices(answer_keys, group["key"])
    n = max(int(group.get("min", 0)), (indices[-1] + 1) if indices else 0)
    # Never expand past ``max``: the excess is reported by ``group_errors`` (group_max), not evaluated.
    return min(n, int(group["max"])) if group.get("max") is not None else n


def _rewrite(cond: Any, group: str, index: int) -> Any:
    """``{"var": "object.x.f"}`` → ``{"var": "answers.<group>.<index>.x.f"}`` (elsewhere unchanged)."""
    if isinstance(cond, list):
        return [_rewrite(c, group, index) for c in cond]
    if not isinstance(cond, dict):
        return cond
    out: dict[str, Any] = {}
    for op, args in cond.items():
        if op == "var":
            name = args[0] if isinstance(args, list) and args else args
            if isinstance(name, str) and name.startswith(OBJECT_VAR):
                new = f"answers.{group}.{index}.{name[len(OBJECT_VAR) :]}"
                out[op] = [new, *args[1:]] if isinstance(args, list) else new
                continue
            out[op] = args
        elif op in {"some", "all", "none"} and isinstance(args, list) and len(args) == 2:
            out[op] = [_rewrite(args[0], group, index), args[1]]  # the second argument reads the element
        else:
            out[op] = _rewrite(args, group, index)
    return out


def object_item(group: Mapping[str, Any], item: Mapping[str, Any], index: int) -> dict[str, Any]:
    """One group item as it applies to the object at ``index``."""
    out = copy.deepcopy(dict(item))
    out["key"] = object_key(group["key"], index, item["key"])
    out["object"] = {"group": group["key"], "index": index, "item": item["key"], "title": group["title"]}
    if "object_name" in group:
        out["object"]["object_name"] = group["object_name"]
    if group.get("section") and not item.get("section"):
        out["section"] = group["section"]
    if item.get("applies_when") is not None:
        out["applies_when"] = _rewrite(item["applies_when"], group["key"], index)
    return out


def expand_checklist(doc: Mapping[str, Any], answer_keys: Iterable[str] = ()) -> dict[str, Any]:
    """The checklist with each group's items repeated per object (see the module docstring); a checklist
    without groups is returned as it is (a shallow copy)."""
    out = dict(doc)
    groups = groups_of(doc)
    if not groups:
        return out
    keys = list(answer_keys)
    items = list(doc.get("items") or [])
    for group in groups:
        for index in range(object_count(group, keys)):
            items += [object_item(group, item, index) for item in group.get("items") or []]
    out["items"] = items
    return out


def item_doc(doc: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """The item document a key names: a checklist item, or a group item for one object (``object_item``)."""
    for item in doc.get("items") or []:
        if item.get("key") == key:
            return dict(item)
    ref = split_key(key)
    if ref is None:
        return None
    for group in groups_of(doc):
        if group["key"] == ref.group:
            for item in group.get("items") or []:
                if item.get("key") == ref.item:
                    return object_item(group, item, ref.index)
    return None


def condition_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers as JSON Logic conditions read them: flat by key, and each object's answers also nested as
    ``answers[<group>][<index as text>][<item>]`` (what a rewritten ``object.…`` condition reads)."""
    out: dict[str, Any] = dict(answers)
    for key, answer in answers.items():
        ref = split_key(key)
        if ref is None:
            continue
        bucket = out.setdefault(ref.group, {})
        if isinstance(bucket, dict):
            bucket.setdefault(str(ref.index), {})[ref.item] = answer
    return out


def object_label(doc: Mapping[str, Any], answers: Mapping[str, Any], group: str, index: int) -> str | None:
    """The label the inspector gave the object (its ``label_item`` answer: text or code), if any."""
    spec = next((g for g in groups_of(doc) if g["key"] == group), None)
    if spec is None or not spec.get("label_item"):
        return None
    answer = answers.get(object_key(group, index, spec["label_item"])) or {}
    for name in ("text", "code"):
        value = answer.get(name) if isinstance(answer, Mapping) else None
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return None


def object_ref(doc: Mapping[str, Any], answers: Mapping[str, Any], key: str) -> ObjectRef | None:
    """The object an answer key is about (None for a checklist's own item)."""
    ref = split_key(key)
    group = next((g for g in groups_of(doc) if ref is not None and g["key"] == ref.group), None)
    if ref is None or group is None:
        return None
    noun = group.get("object_name") or {}
    return ObjectRef(
        ref.group,
        ref.index,
        object_label(doc, answers, ref.group, ref.index),
        str(noun.get("zh") or "个"),
        str(noun.get("en") or "object"),
    )


def object_identity(key: str, label: str | None) -> str:
    """What a finding is about from one inspection to the next: a checklist item's own key, or for a group object
    its group, its label and the item. The index is only the order an inspector listed the objects in on that
    visit; a re-inspection that lists the same machines (trucks, tanks) in another order still names the same
    machine by its registration code (plate, tank number). Labels compare without case, spaces or full-width
    forms (豫H 12345 = 豫h12345). An object without a label has only its index to go by."""
    ref = split_key(key)
    normal = "".join(unicodedata.normalize("NFKC", label or "").split()).upper()
    if ref is None or not normal:
        return key
    return f"{ref.group}[{normal}].{ref.item}"


def _err(path: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(path, code, zh, en)


def group_errors(doc: Mapping[str, Any], answer_keys: Iterable[str]) -> list[FieldError]:
    """Objects per group within ``min``..``max``, numbered from 0 without gaps (``group_min``, ``group_max``,
    ``group_object_missing``), and answers only to items the group has (``unknown_item``)."""
    keys = list(answer_keys)
    errors: list[FieldError] = []
    groups = {g["key"]: g for g in groups_of(doc)}
    for key in keys:
        ref = split_key(key)
        if ref is None:
            continue
        group = groups.get(ref.group)
        if group is None or ref.item not in {i["key"] for i in group.get("items") or []}:
            errors.append(
                _err(
                    f"answers.{key}",
                    "unknown_item",
                    f"检查表中没有此检查项：{key}",
                    f"the checklist has no item {key}",
                )
            )
    for gkey, group in groups.items():
        title = group["title"]
        indices = object_indices(keys, gkey)
        n = (indices[-1] + 1) if indices else 0
        low, high = int(group.get("min", 0)), group.get("max")
        if n < low:
            errors.append(
                _err(
                    f"answers.{gkey}",
                    "group_min",
                    f"“{title['zh']}”至少须检查 {low} 个对象，收到 {n} 个",
                    f"'{title['en']}' needs at least {low} object(s), got {n}",
                )
            )
        if high is not None and n > int(high):
            errors.append(
                _err(
                    f"answers.{gkey}",
                    "group_max",
                    f"“{title['zh']}”至多 {high} 个对象，收到 {n} 个",
                    f"'{title['en']}' allows at most {high} object(s), got {n}",
                )
            )
        for missing in sorted(set(range(n)) - set(indices)):
            errors.append(
                _err(
                    f"answers.{gkey}.{missing}",
                    "group_object_missing",
                    f"“{title['zh']}”第 {missing + 1} 个对象没有任何回答（对象须从 0 起连续编号）",
                    f"'{title['en']}' object {missing} has no answers (objects are numbered from 0 without gaps)",
                )
            )
    return errors
