"""Checklist catalogue: loading, hashing and validating the files under ``checklists/``.

Pure module (no Flask, no SQLAlchemy). The Flask CLI (``flask checklists validate|sync``) and the API
call these functions.

Public functions
----------------
- ``load_checklist_file(path) -> dict``
- ``content_hash(doc) -> str``                     sha256 of canonical JSON (the ETag / version id)
- ``seed_item_index(sources_dir) -> dict[str, set[str]]``
      ``{"000": {"17", "15(4)", "§五(二)", "§一(二)3", ...}}`` — numbered items of the plan's task
      section as ``"N"`` (and ``"N(k)"`` for their ``（k）`` sub-items); every section label as ``"§..."``.
- ``validate_catalogue(checklists_dir, sources_dir, penalty_rule_keys=None) -> list[FieldError]``
- ``load_catalogue(checklists_dir) -> list[dict]``
- ``load_site_kinds(path) -> dict`` and ``condition_vocabulary(site_kinds, checklist)`` (used by
  applicability and validation).

Source references: ``SEED#N`` (item N of seed SEED), ``SEED#N(k)`` (sub-item k of item N, e.g. ``003#15(4)``),
``SEED§LABEL`` (a section outside the numbered items, e.g. ``000§五(二)``, ``003§一(二)3``, ``003§附件2``).
"""
from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml
from jsonschema import Draft202012Validator

from app.errors import FieldError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECKLISTS_DIR = REPO_ROOT / "checklists"
SCHEMA_PATH = DEFAULT_CHECKLISTS_DIR / "schema" / "checklist.schema.json"
SITE_KINDS_FILE = "site_kinds.yaml"
CHECKLIST_SUFFIXES = (".yaml", ".yml", ".json")
NON_CHECKLIST_FILES = {SITE_KINDS_FILE}

#: JSON Logic operators a checklist condition may use (a subset every JSON Logic port implements).
ALLOWED_OPERATORS = frozenset(
    {"and", "or", "!", "!!", "==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "var", "if",
     "some", "all", "none", "missing", "missing_some"}
)
#: Top-level context names a condition may read with ``var`` (besides site.attributes.* and params.*).
CONTEXT_NAMES = frozenset({"site.kind", "zones", "date", "month", "alert_level", "alert_rank", "jurisdictions"})

REF_RE = re.compile(r"^(?P<seed>[0-9]{3})(?:#(?P<item>[0-9]+(?:\([0-9]+\))?)|(?P<section>§\S+))$")


# --------------------------------------------------------------------------------------------- loading

class _NoDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps ``2018-10-01`` as a string so the file data equals the served JSON."""


_NoDatesLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_data(path: Path) -> Any:
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=_NoDatesLoader)  # noqa: S506 - SafeLoader subclass


def load_checklist_file(path: str | Path) -> dict:
    """Read one checklist file (YAML or JSON) into plain JSON-compatible data."""
    data = _load_data(Path(path))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a checklist file must hold one mapping")
    return data


def canonical_json(doc: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, compact separators, UTF-8, no ASCII escaping."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(doc: dict) -> str:
    """sha256 hex of ``canonical_json(doc)`` (the ETag / version id)."""
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def checklist_files(checklists_dir: str | Path) -> list[Path]:
    """Checklist files directly under ``checklists_dir`` (sub-folders hold schema, seeds and penalties)."""
    root = Path(checklists_dir)
    return sorted(
        p for p in root.iterdir()
        if p.is_file() and p.suffix in CHECKLIST_SUFFIXES and p.name not in NON_CHECKLIST_FILES
    )


def load_catalogue(checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR) -> list[dict]:
    """All checklists, sorted by key (not validated: call ``validate_catalogue`` for that)."""
    docs = [load_checklist_file(p) for p in checklist_files(checklists_dir)]
    return sorted(docs, key=lambda d: str(d.get("key", "")))


@lru_cache(maxsize=8)
def _load_site_kinds_cached(path: str, mtime: float) -> dict:
    return _load_data(Path(path))


def load_site_kinds(path: str | Path = DEFAULT_CHECKLISTS_DIR / SITE_KINDS_FILE) -> dict:
    p = Path(path)
    return _load_site_kinds_cached(str(p), p.stat().st_mtime)


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------- seed index

_CN_NUM = "一二三四五六七八九十"
_TOP_RE = re.compile(rf"^([{_CN_NUM}]+)、")
_SUB_RE = re.compile(rf"^\(([{_CN_NUM}]+)\)")
_NUM_RE = re.compile(r"^([0-9]{1,3})\s*[.、](?![0-9])")
_SUBITEM_RE = re.compile(r"^\(([0-9]{1,2})\)")
_ANNEX_RE = re.compile(r"^附件\s*([0-9]+)\s*$")


def _normalise_line(line: str) -> str:
    line = line.replace("（", "(").replace("）", ")").replace("．", ".")
    return line.lstrip("#* \t\u3000").strip()


def parse_seed_text(text: str) -> set[str]:
    """Item numbers (``"17"``, ``"15(4)"``) and section labels (``"§五(二)"``) of one seed text."""
    labels: set[str] = set()
    top = sub = None
    in_tasks = False
    item: str | None = None
    for raw in text.splitlines():
        line = _normalise_line(raw)
        if not line:
            continue
        if m := _ANNEX_RE.match(line):
            labels.add(f"§附件{m.group(1)}")
            top, sub, item, in_tasks = f"附件{m.group(1)}", None, None, False
            continue
        if m := _TOP_RE.match(line):
            top, sub, item = m.group(1), None, None
            in_tasks = "主要任务" in line
            labels.add(f"§{top}")
            continue
        if top is None or top.startswith("附件"):
            continue
        if m := _SUB_RE.match(line):
            sub, item = m.group(1), None
            labels.add(f"§{top}({sub})")
            continue
        if m := _NUM_RE.match(line):
            n = str(int(m.group(1)))
            labels.add(f"§{top}({sub}){n}" if sub else f"§{top}{n}")
            if in_tasks:
                labels.add(n)
                item = n
            continue
        if item and (m := _SUBITEM_RE.match(line)):
            labels.add(f"{item}({int(m.group(1))})")
    return labels


def seed_item_index(sources_dir: str | Path) -> dict[str, set[str]]:
    """Map seed number (``"000"``) to the item numbers and section labels its text contains."""
    index: dict[str, set[str]] = {}
    for path in sorted(Path(sources_dir).glob("[0-9][0-9][0-9]_*.txt")):
        seed = path.name[:3]
        index.setdefault(seed, set()).update(parse_seed_text(path.read_text(encoding="utf-8")))
    return index


def ref_exists(ref: str, index: dict[str, set[str]]) -> bool:
    m = REF_RE.match(ref)
    if not m:
        return False
    labels = index.get(m.group("seed"), set())
    return (m.group("item") or m.group("section")) in labels


# ------------------------------------------------------------------------------- condition vocabulary

def condition_vocabulary(site_kinds: dict, checklist: dict) -> set[str]:
    """Every ``var`` name a condition of ``checklist`` may read."""
    names = set(CONTEXT_NAMES) | {"site", "site.attributes", "params"}
    kinds = site_kinds.get("kinds", {})
    for kind in checklist.get("site_kinds", []):
        props = kinds.get(kind, {}).get("attributes", {}).get("properties", {})
        names.update(f"site.attributes.{name}" for name in props)
    names.update(f"params.{name}" for name in (checklist.get("parameters") or {}))
    return names


def iter_vars(cond: Any, *, relative: bool = False) -> Iterable[tuple[str, bool]]:
    """Yield ``(var_name, is_relative)`` for every ``var`` in a JSON Logic expression.

    Inside the second argument of ``some``/``all``/``none`` the data is the current element, so names
    there are relative and not checked against the context vocabulary.
    """
    if isinstance(cond, list):
        for c in cond:
            yield from iter_vars(c, relative=relative)
        return
    if not isinstance(cond, dict) or len(cond) != 1:
        return
    (op, args), = cond.items()
    if op == "var":
        name = args[0] if isinstance(args, list) and args else args
        yield (str(name) if name is not None else ""), relative
        return
    if op in {"some", "all", "none"} and isinstance(args, list) and len(args) == 2:
        yield from iter_vars(args[0], relative=relative)
        yield from iter_vars(args[1], relative=True)
        return
    yield from iter_vars(args if isinstance(args, list) else [args], relative=relative)


def condition_problems(cond: Any, vocabulary: set[str], zones: set[str], alert_levels: set[str]) -> list[tuple[str, str]]:
    """Problems with a condition as ``(zh, en)`` messages; empty when well-formed."""
    problems: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
            return
        if not isinstance(node, dict):
            return
        if len(node) != 1:
            problems.append(("JSON Logic 对象必须恰有一个运算符", "a JSON Logic object must have exactly one operator"))
            return
        (op, args), = node.items()
        if op not in ALLOWED_OPERATORS:
            problems.append((f"不允许的运算符 {op!r}", f"operator {op!r} is not allowed"))
            return
        if op == "var":
            return
        arglist = args if isinstance(args, list) else [args]
        if (op == "in" and len(arglist) == 2 and isinstance(arglist[0], str) and arglist[1] == {"var": "zones"}
                and arglist[0] not in zones):
            problems.append((f"未知区域类别 {arglist[0]!r}", f"unknown zone kind {arglist[0]!r}"))
        if op in {"==", "!=", "===", "!=="} and len(arglist) == 2 and {"var": "alert_level"} in arglist:
            other = arglist[1] if arglist[0] == {"var": "alert_level"} else arglist[0]
            if isinstance(other, str) and other not in alert_levels:
                problems.append((f"未知预警级别 {other!r}", f"unknown alert level {other!r}"))
        walk(arglist)

    walk(cond)
    for name, relative in iter_vars(cond):
        if relative:
            continue
        if name not in vocabulary:
            problems.append((f"条件引用了未知的上下文变量 {name!r}", f"condition reads unknown context variable {name!r}"))
    return problems


# --------------------------------------------------------------------------------------- validation

def _err(path: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(path=path, code=code, message_zh=zh, message_en=en)


def _json_path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts)


def validate_checklist(
    doc: dict,
    *,
    where: str,
    index: dict[str, set[str]],
    site_kinds: dict,
    penalty_rule_keys: set[str] | None,
    validator: Draft202012Validator,
) -> list[FieldError]:
    """Validate one loaded checklist; paths are ``<where>.<json path>``."""
    errors: list[FieldError] = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path = _json_path([where, *e.absolute_path])
        errors.append(_err(path, "schema", f"不符合检查表结构：{e.message}", f"schema violation: {e.message}"))
    if errors:
        return errors  # semantic checks below assume the shape is right

    zones = set(site_kinds.get("zones", {}))
    alert_levels = {a["key"] for a in site_kinds.get("alert_levels", [])}
    vocabulary = condition_vocabulary(site_kinds, doc)
    params = doc.get("parameters") or {}
    declared_seeds = {s["seed"] for s in doc["sources"]}

    def check_refs(refs: list[str], path: str) -> None:
        for i, ref in enumerate(refs):
            m = REF_RE.match(ref)
            p = f"{path}.{i}"
            if not m:
                errors.append(_err(p, "source_malformed", f"来源引用格式错误：{ref}", f"malformed source reference: {ref}"))
            elif m.group("seed") not in index:
                errors.append(_err(p, "source_unknown_seed", f"来源文件不存在：{ref}", f"no such seed: {ref}"))
            elif not ref_exists(ref, index):
                errors.append(_err(p, "source_not_in_seed", f"所引条款在来源文本中不存在：{ref}",
                                   f"cited item or section does not exist in the seed text: {ref}"))
            elif m.group("seed") not in declared_seeds:
                errors.append(_err(p, "source_undeclared", f"来源 {m.group('seed')} 未列入检查表 sources",
                                   f"seed {m.group('seed')} is not listed in the checklist's sources"))

    for name, spec in params.items():
        if spec.get("source"):
            check_refs(spec["source"], f"{where}.parameters.{name}.source")

    seen: set[str] = set()
    for i, item in enumerate(doc["items"]):
        base = f"{where}.items.{i}"
        key = item["key"]
        if key in seen:
            errors.append(_err(f"{base}.key", "duplicate_item_key", f"检查项键重复：{key}", f"duplicate item key: {key}"))
        seen.add(key)
        check_refs(item["source"], f"{base}.source")
        if "applies_when" in item:
            for zh, en in condition_problems(item["applies_when"], vocabulary, zones, alert_levels):
                errors.append(_err(f"{base}.applies_when", "condition_invalid", zh, en))
        limit = item.get("limit")
        if limit and isinstance(limit["value"], dict) and limit["value"]["param"] not in params:
            errors.append(_err(f"{base}.limit.value", "unknown_parameter", f"未声明的参数：{limit['value']['param']}",
                               f"undeclared parameter: {limit['value']['param']}"))
        rng = item.get("range")
        if rng:
            if rng["min"] > rng["max"]:
                errors.append(_err(f"{base}.range", "range_invalid", "合理范围下限大于上限", "range min is above max"))
            elif limit and isinstance(limit["value"], (int, float)) and not rng["min"] <= limit["value"] <= rng["max"]:
                errors.append(_err(f"{base}.limit.value", "limit_outside_range", "限值不在合理范围内",
                                   "limit lies outside the plausible range"))
        fmt = item.get("format")
        if fmt:
            try:
                re.compile(fmt["pattern"])
            except re.error as exc:
                errors.append(_err(f"{base}.format.pattern", "pattern_invalid", f"正则表达式无效：{exc}", f"invalid regex: {exc}"))
            if fmt.get("param") and fmt["param"] not in params:
                errors.append(_err(f"{base}.format.param", "unknown_parameter", f"未声明的参数：{fmt['param']}",
                                   f"undeclared parameter: {fmt['param']}"))
        options = item.get("options")
        if options:
            keys = [o["key"] for o in options]
            if len(set(keys)) != len(keys):
                errors.append(_err(f"{base}.options", "duplicate_option_key", "选项键重复", "duplicate option key"))
            flags = {o["noncompliant"] for o in options}
            if flags != {True, False}:
                errors.append(_err(f"{base}.options", "options_one_sided", "选项须同时包含合规与不合规项",
                                   "options must include both compliant and non-compliant choices"))
        ev = item.get("evidence") or {}
        if (ev.get("photos_when_failed") or ev.get("always")) and ev.get("min_photos", 1) < 1:
            errors.append(_err(f"{base}.evidence.min_photos", "evidence_invalid", "要求照片时最少张数须≥1",
                               "min_photos must be at least 1 when photos are required"))
        if penalty_rule_keys is not None:
            for j, pk in enumerate(item.get("penalties", [])):
                if pk not in penalty_rule_keys:
                    errors.append(_err(f"{base}.penalties.{j}", "unknown_penalty_rule", f"未知处罚规则：{pk}",
                                       f"unknown penalty rule: {pk}"))
    eff = doc.get("effective") or {}
    if eff.get("from") and eff.get("to") and eff["from"] > eff["to"]:
        errors.append(_err(f"{where}.effective", "effective_invalid", "有效期起始晚于结束", "effective.from is after effective.to"))
    return errors


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
    sources = Path(sources_dir) if sources_dir else root / "sources"
    index = seed_item_index(sources)
    site_kinds = load_site_kinds(root / SITE_KINDS_FILE)
    validator = Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: list[FieldError] = []
    keys: dict[str, str] = {}
    for path in checklist_files(root):
        try:
            doc = load_checklist_file(path)
        except (ValueError, yaml.YAMLError, json.JSONDecodeError) as exc:
            errors.append(_err(path.name, "unreadable", f"无法读取检查表文件：{exc}", f"cannot read checklist file: {exc}"))
            continue
        errors.extend(validate_checklist(doc, where=path.name, index=index, site_kinds=site_kinds,
                                         penalty_rule_keys=penalty_rule_keys, validator=validator))
        key = doc.get("key")
        if isinstance(key, str):
            if key in keys:
                errors.append(_err(f"{path.name}.key", "duplicate_checklist_key",
                                   f"检查表键重复：{key}（亦见 {keys[key]}）", f"duplicate checklist key: {key} (also in {keys[key]})"))
            keys.setdefault(key, path.name)
    return errors
