"""Validating checklist files: one checklist, and the whole catalogue under ``checklists/``.

Pure module (no Flask, no SQLAlchemy). The Flask CLI (``flask checklists validate|sync``) calls
``validate_catalogue`` through ``sync.validate_checklist_files``, which adds the penalty rule keys.
Error paths are ``<file name>.<json path>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from app.checklists.conditions import ANSWER_FIELDS, answer_refs, condition_problems, condition_vocabulary, iter_vars
from app.checklists.files import DEFAULT_CHECKLISTS_DIR, checklist_files, load_checklist_file, load_schema
from app.checklists.groups import OBJECT_VAR
from app.checklists.site_kinds import load_site_kinds, site_kinds_path
from app.checklists.sources import REF_RE, ref_exists, seed_item_index
from app.checklists.spec import ChecklistSpec, ItemSpec
from app.errors import FieldError


def _err(path: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(path=path, code=code, message_zh=zh, message_en=en)


def _json_path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts)


@dataclass(frozen=True)
class _RefCheck:
    """Checks ``source`` references against the seed texts and the checklist's declared ``sources``."""

    index: dict[str, set[str]]
    declared_seeds: frozenset[str]

    def errors(self, refs: Sequence[str], path: str) -> list[FieldError]:
        out: list[FieldError] = []
        for i, ref in enumerate(refs):
            m = REF_RE.match(ref)
            p = f"{path}.{i}"
            if not m:
                out.append(
                    _err(p, "source_malformed", f"来源引用格式错误：{ref}", f"malformed source reference: {ref}")
                )
            elif m.group("seed") not in self.index:
                out.append(_err(p, "source_unknown_seed", f"来源文件不存在：{ref}", f"no such seed: {ref}"))
            elif not ref_exists(ref, self.index):
                out.append(
                    _err(
                        p,
                        "source_not_in_seed",
                        f"所引条款在来源文本中不存在：{ref}",
                        f"cited item or section does not exist in the seed text: {ref}",
                    )
                )
            elif m.group("seed") not in self.declared_seeds:
                out.append(
                    _err(
                        p,
                        "source_undeclared",
                        f"来源 {m.group('seed')} 未列入检查表 sources",
                        f"seed {m.group('seed')} is not listed in the checklist's sources",
                    )
                )
        return out


def _value_errors(item: ItemSpec, base: str, params: set[str]) -> list[FieldError]:
    """Limits, plausible ranges, code formats, options and evidence of one item."""
    errors: list[FieldError] = []
    limit, rng, fmt = item.limit, item.range, item.format
    if limit and limit.param is not None and limit.param not in params:
        errors.append(
            _err(
                f"{base}.limit.value",
                "unknown_parameter",
                f"未声明的参数：{limit.param}",
                f"undeclared parameter: {limit.param}",
            )
        )
    if rng:
        if rng.min > rng.max:
            errors.append(_err(f"{base}.range", "range_invalid", "合理范围下限大于上限", "range min is above max"))
        elif limit and limit.value is not None and not rng.min <= limit.value <= rng.max:
            errors.append(
                _err(
                    f"{base}.limit.value",
                    "limit_outside_range",
                    "限值不在合理范围内",
                    "limit lies outside the plausible range",
                )
            )
    if fmt:
        try:
            re.compile(fmt.pattern)
        except re.error as exc:
            errors.append(
                _err(f"{base}.format.pattern", "pattern_invalid", f"正则表达式无效：{exc}", f"invalid regex: {exc}")
            )
        if fmt.param and fmt.param not in params:
            errors.append(
                _err(
                    f"{base}.format.param",
                    "unknown_parameter",
                    f"未声明的参数：{fmt.param}",
                    f"undeclared parameter: {fmt.param}",
                )
            )
    if item.options:
        keys = [o.key for o in item.options]
        if len(set(keys)) != len(keys):
            errors.append(_err(f"{base}.options", "duplicate_option_key", "选项键重复", "duplicate option key"))
        if {o.noncompliant for o in item.options} != {True, False}:
            errors.append(
                _err(
                    f"{base}.options",
                    "options_one_sided",
                    "选项须同时包含合规与不合规项",
                    "options must include both compliant and non-compliant choices",
                )
            )
    if item.evidence.photos_required and item.evidence.min_photos < 1:
        errors.append(
            _err(
                f"{base}.evidence.min_photos",
                "evidence_invalid",
                "要求照片时最少张数须≥1",
                "min_photos must be at least 1 when photos are required",
            )
        )
    return errors


def _penalty_errors(item: ItemSpec, base: str, penalty_rule_keys: set[str] | None) -> list[FieldError]:
    if penalty_rule_keys is None:
        return []
    return [
        _err(f"{base}.penalties.{j}", "unknown_penalty_rule", f"未知处罚规则：{pk}", f"unknown penalty rule: {pk}")
        for j, pk in enumerate(item.penalties)
        if pk not in penalty_rule_keys
    ]


def _section_and_answer_errors(spec: ChecklistSpec, index: int, base: str) -> list[FieldError]:
    """An item's section is declared; a condition on answers reads items written before it (no cycles)."""
    item = spec.items[index]
    errors: list[FieldError] = []
    if item.section is not None and item.section not in {key for key, _ in spec.sections}:
        errors.append(
            _err(
                f"{base}.section",
                "unknown_section",
                f"未声明的分组：{item.section}",
                f"undeclared section: {item.section}",
            )
        )
    earlier = {i.key for i in spec.items[:index]}
    for key in answer_refs(item.applies_when):
        if key not in earlier:
            errors.append(
                _err(
                    f"{base}.applies_when",
                    "answer_ref_not_earlier",
                    f"条件引用的检查项 {key} 须写在本项之前",
                    f"a condition may read only answers to items written before it ({key} is not)",
                )
            )
    return errors


def _object_ref_errors(item: ItemSpec, earlier: set[str], base: str) -> list[FieldError]:
    """A group item's condition reads only its own object's answers to group items written before it."""
    errors: list[FieldError] = []
    for name, relative in iter_vars(item.applies_when):
        if relative or not name.startswith(OBJECT_VAR):
            continue
        key = name[len(OBJECT_VAR) :].split(".")[0]
        if key not in earlier:
            errors.append(
                _err(
                    f"{base}.applies_when",
                    "answer_ref_not_earlier",
                    f"条件引用的本组检查项 {key} 须写在本项之前",
                    f"a condition may read only the object's answers to group items written before it ({key} is not)",
                )
            )
    return errors


def _group_errors(spec: ChecklistSpec, g: int, base: str) -> list[FieldError]:
    """A group's key differs from the checklist's item keys, its section is declared, its label item exists."""
    group = spec.groups[g]
    errors: list[FieldError] = []
    if group.key in {i.key for i in spec.items} or group.key in {x.key for x in spec.groups[:g]}:
        errors.append(
            _err(f"{base}.key", "duplicate_group_key", f"分组键重复：{group.key}", f"duplicate group key: {group.key}")
        )
    if group.section is not None and group.section not in {key for key, _ in spec.sections}:
        errors.append(
            _err(
                f"{base}.section",
                "unknown_section",
                f"未声明的分组：{group.section}",
                f"undeclared section: {group.section}",
            )
        )
    longest = max((len(i.key) for i in group.items), default=0)
    if len(group.key) + longest + 6 > 100:  # "<group>.<index ≤ 4 digits>.<item>" must fit an answer key (100)
        errors.append(
            _err(
                f"{base}.key",
                "group_key_too_long",
                "分组键与检查项键合计过长（对象答案键不得超过100个字符）",
                "group key plus item key too long (an object's answer key is at most 100 characters)",
            )
        )
    if group.max is not None and group.min > group.max:
        errors.append(_err(f"{base}.min", "group_bounds", "最少对象数大于最多对象数", "min is above max"))
    if group.label_item is not None:
        label = next((i for i in group.items if i.key == group.label_item), None)
        if label is None or label.kind not in ("text", "code"):
            errors.append(
                _err(
                    f"{base}.label_item",
                    "label_item_invalid",
                    f"标签检查项 {group.label_item} 须为本组的文字或编码项",
                    f"label item {group.label_item} must be a text or code item of the group",
                )
            )
    return errors


def _semantic_errors(
    spec: ChecklistSpec,
    where: str,
    index: dict[str, set[str]],
    site_kinds: dict[str, Any],
    penalty_rule_keys: set[str] | None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    zones = set(site_kinds.get("zones", {}))
    alert_levels = {a["key"] for a in site_kinds.get("alert_levels", [])}
    vocabulary = condition_vocabulary(site_kinds, spec)
    params = {p.name for p in spec.parameters}
    refs = _RefCheck(index, frozenset(s.seed for s in spec.sources))
    for param in spec.parameters:
        if param.sources:
            errors += refs.errors(param.sources, f"{where}.parameters.{param.name}.source")

    def item_errors(item: ItemSpec, base: str, names: set[str]) -> list[FieldError]:
        out = refs.errors(item.sources, f"{base}.source")
        if item.applies_when is not None:
            for zh, en in condition_problems(item.applies_when, names, zones, alert_levels):
                out.append(_err(f"{base}.applies_when", "condition_invalid", zh, en))
        return out + _value_errors(item, base, params) + _penalty_errors(item, base, penalty_rule_keys)

    seen: set[str] = set()
    for i, item in enumerate(spec.items):
        base = f"{where}.items.{i}"
        if item.key in seen:
            errors.append(
                _err(
                    f"{base}.key", "duplicate_item_key", f"检查项键重复：{item.key}", f"duplicate item key: {item.key}"
                )
            )
        seen.add(item.key)
        errors += item_errors(item, base, vocabulary)
        errors += _section_and_answer_errors(spec, i, base)
    for g, group in enumerate(spec.groups):
        gbase = f"{where}.groups.{g}"
        errors += _group_errors(spec, g, gbase)
        # A group item reads the site context and its own object's answers (object.<item>[.<field>]).
        names = vocabulary | {f"{OBJECT_VAR}{i.key}" for i in group.items}
        names |= {f"{OBJECT_VAR}{i.key}.{f}" for i in group.items for f in ANSWER_FIELDS}
        names |= {f"{OBJECT_VAR}{i.key}.values.0" for i in group.items if i.kind == "measure"}
        earlier: set[str] = set()
        for i, item in enumerate(group.items):
            base = f"{gbase}.items.{i}"
            if item.key in earlier:
                errors.append(
                    _err(
                        f"{base}.key",
                        "duplicate_item_key",
                        f"检查项键重复：{item.key}",
                        f"duplicate item key: {item.key}",
                    )
                )
            errors += item_errors(item, base, names)
            errors += _object_ref_errors(item, earlier, base)
            if answer_refs(item.applies_when):
                errors.append(
                    _err(
                        f"{base}.applies_when",
                        "condition_invalid",
                        "分组检查项的条件只能引用本对象的回答（object.…）",
                        "a group item's condition reads only its own object's answers (object.…)",
                    )
                )
            earlier.add(item.key)
    if spec.effective_from and spec.effective_to and spec.effective_from > spec.effective_to:
        errors.append(
            _err(
                f"{where}.effective", "effective_invalid", "有效期起始晚于结束", "effective.from is after effective.to"
            )
        )
    return errors


def _seed_scope_errors(
    doc: dict[str, Any], where: str, seen: dict[str, tuple[tuple[Any, ...], str]]
) -> list[FieldError]:
    """A seed has one jurisdiction and one period in the whole catalogue (its items' scopes come from them)."""
    errors: list[FieldError] = []
    for i, source in enumerate(doc.get("sources") or []):
        if not isinstance(source, dict) or "seed" not in source:
            continue
        period = source.get("period") or {}
        scope = (source.get("jurisdiction"), period.get("from"), period.get("to"))
        first = seen.setdefault(source["seed"], (scope, where))
        if first[0] != scope:
            errors.append(
                _err(
                    f"{where}.sources.{i}",
                    "source_scope_inconsistent",
                    f"来源 {source['seed']} 的辖区或期间与 {first[1]} 不一致",
                    f"seed {source['seed']} has another jurisdiction or period in {first[1]}",
                )
            )
    return errors


def validate_checklist(
    doc: dict[str, Any],
    *,
    where: str,
    index: dict[str, set[str]],
    site_kinds: dict[str, Any],
    penalty_rule_keys: set[str] | None,
    validator: Draft202012Validator,
) -> list[FieldError]:
    """Validate one loaded checklist; paths are ``<where>.<json path>``."""
    errors: list[FieldError] = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path = _json_path([where, *e.absolute_path])
        errors.append(_err(path, "schema", f"不符合检查表结构：{e.message}", f"schema violation: {e.message}"))
    if errors:
        return errors  # the typed view and the semantic checks assume the shape is right
    return _semantic_errors(ChecklistSpec.from_doc(doc), where, index, site_kinds, penalty_rule_keys)


def validate_catalogue(
    checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR,
    sources_dir: str | Path | None = None,
    penalty_rule_keys: set[str] | None = None,
) -> list[FieldError]:
    """Validate every checklist file; an empty list means the catalogue is valid.

    Checks: JSON Schema, unique checklist keys, unique item keys per checklist, well-formed ``source``
    refs that exist in the cited seed text, JSON Logic conditions (allowed operators, ``var`` names from
    the context vocabulary and ``site_kinds.yaml``), declared parameters, and — when
    ``penalty_rule_keys`` is given — that every ``penalties`` entry is a known rule key.
    Error paths are ``<file name>.<json path>``.
    """
    root = Path(checklists_dir)
    index = seed_item_index(Path(sources_dir) if sources_dir else root / "sources")
    site_kinds = load_site_kinds(site_kinds_path(root))
    validator = Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: list[FieldError] = []
    keys: dict[str, str] = {}
    seed_scopes: dict[str, tuple[tuple[Any, ...], str]] = {}
    for path in checklist_files(root):
        try:
            doc = load_checklist_file(path)
        except (ValueError, yaml.YAMLError, json.JSONDecodeError) as exc:
            errors.append(
                _err(path.name, "unreadable", f"无法读取检查表文件：{exc}", f"cannot read checklist file: {exc}")
            )
            continue
        errors.extend(
            validate_checklist(
                doc,
                where=path.name,
                index=index,
                site_kinds=site_kinds,
                penalty_rule_keys=penalty_rule_keys,
                validator=validator,
            )
        )
        errors.extend(_seed_scope_errors(doc, path.name, seed_scopes))
        key = doc.get("key")
        if isinstance(key, str):
            if key in keys:
                errors.append(
                    _err(
                        f"{path.name}.key",
                        "duplicate_checklist_key",
                        f"检查表键重复：{key}（亦见 {keys[key]}）",
                        f"duplicate checklist key: {key} (also in {keys[key]})",
                    )
                )
            keys.setdefault(key, path.name)
    return errors
