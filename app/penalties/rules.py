"""Load, validate and select penalty rules (data under ``checklists/penalties/``).

A rule *key* is stable and is what checklist items reference. A key may have several *versions* (entries with
the same key) whose effective periods must not overlap; a finding is judged by the version in force on the
inspection date. Every loaded rule carries ``source_file`` and ``rule_hash`` (sha256 of the entry as written),
so a computed line records exactly which text it used.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

from app.errors import FieldError, ValidationFailed

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RULES_DIR = REPO_ROOT / "checklists" / "penalties"
SCHEMA_PATH = REPO_ROOT / "checklists" / "schema" / "penalty_rule.schema.json"


def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def rule_hash(entry: dict[str, Any]) -> str:
    """sha256 of the rule entry as written in its file (canonical JSON, keys sorted)."""
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_date(value: str) -> date:
    return date.fromisoformat(value)


def _read_files(directory: Path) -> tuple[list[dict[str, Any]], list[FieldError]]:
    errors: list[FieldError] = []
    rules: list[dict[str, Any]] = []
    validator = _schema_validator()
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        errors.append(FieldError(str(directory), "no_rule_files", "未找到处罚规则文件", "No penalty rule files found"))
    for path in files:
        try:
            # BaseLoader-free safe_load: dates are quoted strings in our files, so nothing is converted.
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            errors.append(FieldError(path.name, "yaml_syntax", f"YAML 语法错误：{exc}", f"YAML syntax error: {exc}"))
            continue
        schema_errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        for err in schema_errors:
            where = path.name + ":" + ".".join(str(p) for p in err.absolute_path)
            errors.append(FieldError(where, "schema", f"不符合规则模式：{err.message}", f"Schema violation: {err.message}"))
        if schema_errors:
            continue
        for index, entry in enumerate(data["rules"]):
            rule = dict(entry)
            rule["source_file"] = path.name
            rule["source_index"] = index
            rule["rule_hash"] = rule_hash(entry)
            rules.append(rule)
    return rules, errors


def _cross_check(rules: list[dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    by_key: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        by_key.setdefault(rule["key"], []).append(rule)
    periods: dict[str, list[tuple[date, date, str]]] = {}  # key -> (from, to or date.max, version)
    for rule in rules:
        where = f"{rule['source_file']}:rules.{rule['source_index']}"
        eff = rule["effective"]
        try:
            start = parse_date(eff["from"])
            end = parse_date(eff["to"]) if eff["to"] else None
        except ValueError:
            errors.append(FieldError(where + ".effective", "bad_date", "日期无效", "Invalid date"))
            continue
        periods.setdefault(rule["key"], []).append((start, end or date.max, rule["version"]))
        if end is not None and end < start:
            errors.append(FieldError(where + ".effective", "period_reversed", "施行期间结束早于开始", "Effective period ends before it starts"))
        amount = rule["amount"]
        if isinstance(amount, dict) and amount["min"] > amount["max"]:
            errors.append(FieldError(where + ".amount", "range_reversed", "罚款下限高于上限", "Amount minimum exceeds maximum"))
        for measure in rule.get("companion_measures", []):
            if measure not in by_key:
                errors.append(FieldError(where + ".companion_measures", "unknown_rule",
                                         f"未知的措施规则：{measure}", f"Unknown measure rule: {measure}"))
    for key, versions in by_key.items():
        kinds = {v["kind"] for v in versions}
        if len(kinds) > 1:
            errors.append(FieldError(key, "kind_changes", "同一规则各版本的种类不一致", "Versions of one rule key differ in kind"))
        seen_versions = [v["version"] for v in versions]
        if len(seen_versions) != len(set(seen_versions)):
            errors.append(FieldError(key, "duplicate_version", "规则版本重复", "Duplicate rule version"))
        for (_s1, e1, v1), (s2, _e2, v2) in pairwise(sorted(periods.get(key, []))):
            if s2 <= e1:
                errors.append(FieldError(key, "periods_overlap", f"版本 {v1} 与 {v2} 施行期间重叠",
                                         f"Versions {v1} and {v2} have overlapping effective periods"))
    return errors + _check_policy_defaults(rules)


def _check_policy_defaults(rules: list[dict[str, Any]]) -> list[FieldError]:
    """Every policy setting needs exactly one default option."""
    errors: list[FieldError] = []
    defaults: dict[str, set[str]] = {}
    settings: set[str] = set()
    for rule in rules:
        policy = rule.get("policy")
        if not policy:
            continue
        settings.add(policy["setting"])
        if policy.get("default"):
            defaults.setdefault(policy["setting"], set()).add(policy["option"])
    for setting in sorted(settings):
        options = defaults.get(setting, set())
        if len(options) != 1:
            errors.append(FieldError(f"policy.{setting}", "policy_default",
                                     f"政策设置 {setting} 必须恰有一个默认选项（现有 {sorted(options)}）",
                                     f"Policy setting {setting} needs exactly one default option (has {sorted(options)})"))
    return errors


def validate_rules(directory: Path | str = DEFAULT_RULES_DIR) -> list[FieldError]:
    """Every problem in the rule files: schema violations and cross-rule checks. Empty list = valid."""
    rules, errors = _read_files(Path(directory))
    if errors:
        return errors
    return _cross_check(rules)


def load_rules(directory: Path | str = DEFAULT_RULES_DIR) -> list[dict[str, Any]]:
    """All rule entries (every version), validated. Raises ``ValidationFailed`` listing every problem."""
    rules, errors = _read_files(Path(directory))
    if not errors:
        errors = _cross_check(rules)
    if errors:
        raise ValidationFailed("处罚规则文件无效", "Penalty rule files are invalid", errors=errors,
                               code="penalty_rules_invalid")
    return rules


def in_force(rule: dict[str, Any], on_date: date) -> bool:
    eff = rule["effective"]
    start = parse_date(eff["from"])
    end = parse_date(eff["to"]) if eff["to"] else None
    return start <= on_date and (end is None or on_date <= end)


def rules_in_force(rules: Iterable[dict[str, Any]], on_date: date) -> dict[str, dict[str, Any]]:
    """The version of each key in force on ``on_date`` (keys with no version in force are absent)."""
    result: dict[str, dict[str, Any]] = {}
    for rule in rules:
        if in_force(rule, on_date):
            result[rule["key"]] = rule
    return result


def all_keys(rules: Iterable[dict[str, Any]]) -> set[str]:
    return {rule["key"] for rule in rules}


def unknown_penalty_keys(keys: Iterable[str], rules: Iterable[dict[str, Any]]) -> list[str]:
    """Keys referenced (e.g. by checklist items) that no rule file defines, for the checklist validator."""
    known = all_keys(rules)
    return sorted({k for k in keys if k not in known})


def policy_defaults(rules: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Default option of every policy setting (where national and Henan rules conflict)."""
    out: dict[str, str] = {}
    for rule in rules:
        policy = rule.get("policy")
        if policy and policy.get("default"):
            out[policy["setting"]] = policy["option"]
    return out


def policy_options(rules: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Every option of every policy setting, for an admin screen that lets a jurisdiction pick one."""
    out: dict[str, set[str]] = {}
    for rule in rules:
        policy = rule.get("policy")
        if policy:
            out.setdefault(policy["setting"], set()).add(policy["option"])
    return {k: sorted(v) for k, v in sorted(out.items())}
