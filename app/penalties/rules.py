"""Load, validate and select penalty rules (data under ``checklists/penalties/``).

A rule *key* is stable and is what checklist items reference. A key may have several *versions* (entries with
the same key) whose effective periods must not overlap; a finding is judged by the version in force on the
inspection date. Rules are validated once and loaded as typed ``RuleVersion`` values (``app.penalties.rule_spec``)
that keep the entry as written in ``doc`` and carry ``source_file`` and ``rule_hash`` (sha256 of the entry as
written), so a computed line records exactly which text it used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from app.errors import FieldError, ValidationFailed
from app.penalties.rule_spec import PolicyChoice, Range, RuleVersion

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RULES_DIR = REPO_ROOT / "checklists" / "penalties"
SCHEMA_PATH = REPO_ROOT / "checklists" / "schema" / "penalty_rule.schema.json"


def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@dataclass(frozen=True)
class _Entry:
    """A schema-valid entry as read, and its typed view (None when an effective date does not exist)."""

    doc: dict[str, Any]
    where: str
    rule: RuleVersion | None


def _entries(data: dict[str, Any], file_name: str) -> list[_Entry]:
    out: list[_Entry] = []
    for index, doc in enumerate(data["rules"]):
        try:
            rule: RuleVersion | None = RuleVersion.from_doc(doc, source_file=file_name, source_index=index)
        except ValueError:  # a date the schema's pattern lets through but the calendar does not have
            rule = None
        out.append(_Entry(doc, f"{file_name}:rules.{index}", rule))
    return out


def _read_files(directory: Path) -> tuple[list[_Entry], list[FieldError]]:
    errors: list[FieldError] = []
    entries: list[_Entry] = []
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
            errors.append(
                FieldError(where, "schema", f"不符合规则模式：{err.message}", f"Schema violation: {err.message}")
            )
        if not schema_errors:
            entries.extend(_entries(data, path.name))
    return entries, errors


def _check_entry(entry: _Entry, known_keys: set[str]) -> list[FieldError]:
    """Problems of one entry the schema cannot see: impossible dates, reversed period or range, unknown measures."""
    rule = entry.rule
    if rule is None:
        return [FieldError(entry.where + ".effective", "bad_date", "日期无效", "Invalid date")]
    errors: list[FieldError] = []
    end = rule.effective.end
    if end is not None and end < rule.effective.start:
        errors.append(
            FieldError(
                entry.where + ".effective",
                "period_reversed",
                "施行期间结束早于开始",
                "Effective period ends before it starts",
            )
        )
    if isinstance(rule.amount, Range) and rule.amount.min_fen > rule.amount.max_fen:
        errors.append(
            FieldError(entry.where + ".amount", "range_reversed", "罚款下限高于上限", "Amount minimum exceeds maximum")
        )
    for measure in rule.companion_measures:
        if measure not in known_keys:
            errors.append(
                FieldError(
                    entry.where + ".companion_measures",
                    "unknown_rule",
                    f"未知的措施规则：{measure}",
                    f"Unknown measure rule: {measure}",
                )
            )
    return errors


def _check_versions(key: str, versions: list[_Entry]) -> list[FieldError]:
    """One key's versions: one kind, distinct version names, effective periods that do not overlap."""
    errors: list[FieldError] = []
    if len({v.doc["kind"] for v in versions}) > 1:
        errors.append(
            FieldError(key, "kind_changes", "同一规则各版本的种类不一致", "Versions of one rule key differ in kind")
        )
    names = [v.doc["version"] for v in versions]
    if len(names) != len(set(names)):
        errors.append(FieldError(key, "duplicate_version", "规则版本重复", "Duplicate rule version"))
    periods = sorted(
        (r.effective.start, r.effective.end or date.max, r.version) for v in versions if (r := v.rule) is not None
    )
    for (_s1, e1, v1), (s2, _e2, v2) in pairwise(periods):
        if s2 <= e1:
            errors.append(
                FieldError(
                    key,
                    "periods_overlap",
                    f"版本 {v1} 与 {v2} 施行期间重叠",
                    f"Versions {v1} and {v2} have overlapping effective periods",
                )
            )
    return errors


def _cross_check(entries: list[_Entry]) -> list[FieldError]:
    by_key: dict[str, list[_Entry]] = {}
    for entry in entries:
        by_key.setdefault(entry.doc["key"], []).append(entry)
    errors = [e for entry in entries for e in _check_entry(entry, set(by_key))]
    for key, versions in by_key.items():
        errors += _check_versions(key, versions)
    # Every entry counts here, even one with an impossible date (already reported above).
    return errors + _check_policy_defaults(
        [PolicyChoice.from_doc(e.doc["policy"]) for e in entries if e.doc.get("policy")]
    )


def _check_policy_defaults(choices: list[PolicyChoice]) -> list[FieldError]:
    """Every policy setting needs exactly one default option."""
    errors: list[FieldError] = []
    defaults: dict[str, set[str]] = {}
    settings: set[str] = set()
    for policy in choices:
        settings.add(policy.setting)
        if policy.default:
            defaults.setdefault(policy.setting, set()).add(policy.option)
    for setting in sorted(settings):
        options = defaults.get(setting, set())
        if len(options) != 1:
            errors.append(
                FieldError(
                    f"policy.{setting}",
                    "policy_default",
                    f"政策设置 {setting} 必须恰有一个默认选项（现有 {sorted(options)}）",
                    f"Policy setting {setting} needs exactly one default option (has {sorted(options)})",
                )
            )
    return errors


def validate_rules(directory: Path | str = DEFAULT_RULES_DIR) -> list[FieldError]:
    """Every problem in the rule files: schema violations and cross-rule checks. Empty list = valid."""
    entries, errors = _read_files(Path(directory))
    if errors:
        return errors
    return _cross_check(entries)


def load_rules(directory: Path | str = DEFAULT_RULES_DIR) -> list[RuleVersion]:
    """All rule versions (every key, every version), validated. Raises ``ValidationFailed`` listing every problem."""
    entries, errors = _read_files(Path(directory))
    if not errors:
        errors = _cross_check(entries)
    if errors:
        raise ValidationFailed(
            "处罚规则文件无效", "Penalty rule files are invalid", errors=errors, code="penalty_rules_invalid"
        )
    return [e.rule for e in entries if e.rule is not None]


def rules_in_force(rules: Iterable[RuleVersion], on_date: date) -> dict[str, RuleVersion]:
    """The version of each key in force on ``on_date`` (keys with no version in force are absent)."""
    return {rule.key: rule for rule in rules if rule.in_force(on_date)}


def all_keys(rules: Iterable[RuleVersion]) -> set[str]:
    return {rule.key for rule in rules}


def unknown_penalty_keys(keys: Iterable[str], rules: Iterable[RuleVersion]) -> list[str]:
    """Keys referenced (e.g. by checklist items) that no rule file defines, for the checklist validator."""
    known = all_keys(rules)
    return sorted({k for k in keys if k not in known})


def policy_defaults(rules: Iterable[RuleVersion]) -> dict[str, str]:
    """Default option of every policy setting (where national and Henan rules conflict)."""
    return {rule.policy.setting: rule.policy.option for rule in rules if rule.policy and rule.policy.default}


def policy_options(rules: Iterable[RuleVersion]) -> dict[str, list[str]]:
    """Every option of every policy setting, for an admin screen that lets a jurisdiction pick one."""
    out: dict[str, set[str]] = {}
    for rule in rules:
        if rule.policy:
            out.setdefault(rule.policy.setting, set()).add(rule.policy.option)
    return {k: sorted(v) for k, v in sorted(out.items())}
