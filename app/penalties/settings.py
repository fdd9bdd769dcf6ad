"""Jurisdiction penalty settings: policy options, discretion parameters, amounts a jurisdiction sets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import FieldError, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes, get_jurisdiction_in_scope
from app.notified_cache import NotifiedCache
from app.penalties.amounts import is_int
from app.penalties.catalogue import stored_rules
from app.penalties.discretion import DEFAULT_DISCRETION
from app.penalties.models import JurisdictionPenaltySettings
from app.penalties.rule_spec import RuleVersion, ToBeSet
from app.penalties.rules import policy_options, rules_in_force
from app.vocabulary import ALERT_LEVELS


@dataclass(frozen=True)
class EffectiveSettings:
    policy: dict[str, str]
    discretion: dict[str, Any]
    amounts: dict[str, dict[str, Any]]
    sources: dict[str, str]  # "policy.<setting>" / "discretion.<name>" / "amounts.<key>" -> jurisdiction code


def effective_penalty_settings(
    session: Session, chain: Iterable[str], cache: NotifiedCache | None = None
) -> EffectiveSettings:
    """Merge settings from the root down the chain: the nearest jurisdiction that sets a value wins.

    ``cache`` (app/reference_cache.py) keeps the merged settings of a chain between requests."""
    codes = list(chain)
    if cache is None:
        return _merged_settings(session, codes)
    merged: EffectiveSettings = cache.get_or_load(("settings", *codes), lambda: _merged_settings(session, codes))
    return merged


def _merged_settings(session: Session, codes: list[str]) -> EffectiveSettings:
    rows = dict(
        session.execute(
            select(Jurisdiction.code, JurisdictionPenaltySettings)
            .join(JurisdictionPenaltySettings, JurisdictionPenaltySettings.jurisdiction_id == Jurisdiction.id)
            .where(Jurisdiction.code.in_(codes))
        )
        .tuples()
        .all()
    )
    policy: dict[str, str] = {}
    discretion: dict[str, Any] = {}
    amounts: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    for code in codes:
        row = rows.get(code)
        if row is None:
            continue
        for part, target in (("policy", policy), ("discretion", discretion), ("amounts", amounts)):
            for name, value in (getattr(row, part) or {}).items():
                target[name] = value
                sources[f"{part}.{name}"] = code
    return EffectiveSettings(policy, discretion, amounts, sources)


@dataclass(frozen=True)
class JurisdictionSettings:
    """A jurisdiction's own settings row (None: never set), what applies there, and the rules they choose among."""

    jurisdiction: Jurisdiction
    row: JurisdictionPenaltySettings | None
    effective: EffectiveSettings
    rules: list[RuleVersion]


def _settings_of(
    session: Session, jurisdiction: Jurisdiction, row: JurisdictionPenaltySettings | None, rules: list[RuleVersion]
) -> JurisdictionSettings:
    return JurisdictionSettings(
        jurisdiction, row, effective_penalty_settings(session, chain_codes(jurisdiction.path)), rules
    )


def get_penalty_settings(session: Session, code: str, principal: Principal) -> JurisdictionSettings:
    """A jurisdiction's own penalty settings, what applies there after inheritance, and the options."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    row = session.scalar(
        select(JurisdictionPenaltySettings).where(JurisdictionPenaltySettings.jurisdiction_id == jurisdiction.id)
    )
    return _settings_of(session, jurisdiction, row, stored_rules(session))


def _check_settings(data: dict[str, Any], rules: list[RuleVersion]) -> list[FieldError]:
    # _check_amounts also fills in a missing amounts.<key>.rule_version when only one version is to be set.
    return _check_policy(data, rules) + _check_discretion(data) + _check_amounts(data, rules)


def _check_policy(data: dict[str, Any], rules: list[RuleVersion]) -> list[FieldError]:
    errors: list[FieldError] = []
    options = policy_options(rules)
    for setting, option in (data.get("policy") or {}).items():
        if setting not in options:
            errors.append(
                FieldError(
                    f"policy.{setting}",
                    "unknown_setting",
                    f"未知的政策设置：{setting}",
                    f"Unknown policy setting: {setting}",
                )
            )
        elif option not in options[setting]:
            errors.append(
                FieldError(
                    f"policy.{setting}",
                    "unknown_option",
                    f"选项必须是以下之一：{', '.join(options[setting])}",
                    f"Option must be one of: {', '.join(options[setting])}",
                )
            )
    return errors


def _check_discretion(data: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, value in (data.get("discretion") or {}).items():
        if name not in DEFAULT_DISCRETION:
            errors.append(
                FieldError(
                    f"discretion.{name}",
                    "unknown_parameter",
                    f"未知的裁量参数：{name}",
                    f"Unknown discretion parameter: {name}",
                )
            )
            continue
        default = DEFAULT_DISCRETION[name]
        if name == "alert_upper_end_from":
            ok = value in ALERT_LEVELS[1:]
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        else:
            ok = is_int(value) and -100 <= value <= 10_000
        if not ok:
            errors.append(
                FieldError(f"discretion.{name}", "bad_value", "裁量参数取值无效", "Invalid discretion parameter value")
            )
    return errors


def _check_amounts(data: dict[str, Any], rules: list[RuleVersion]) -> list[FieldError]:
    errors: list[FieldError] = []
    to_be_set: dict[str, set[str]] = {}
    for rule in rules:
        if isinstance(rule.amount, ToBeSet):
            to_be_set.setdefault(rule.key, set()).add(rule.version)
    for key, spec in (data.get("amounts") or {}).items():
        where = f"amounts.{key}"
        if key not in to_be_set:
            # Never let a jurisdiction replace an amount the law or plan gives.
            errors.append(
                FieldError(
                    where,
                    "amount_not_to_be_set",
                    "该规则无“由辖区设定”的金额，不能设定",
                    "This rule has no amount 'to be set by the jurisdiction'",
                )
            )
            continue
        version = spec.get("rule_version")
        if version is None and len(to_be_set[key]) == 1:
            version = next(iter(to_be_set[key]))
            spec["rule_version"] = version
        if version not in to_be_set[key]:
            errors.append(
                FieldError(
                    f"{where}.rule_version",
                    "unknown_version",
                    f"须指定金额待设定的规则版本：{', '.join(sorted(to_be_set[key]))}",
                    f"Give the rule version whose amount is to be set: {', '.join(sorted(to_be_set[key]))}",
                )
            )
        has_fixed = spec.get("amount_fen") is not None
        has_range = spec.get("min_fen") is not None or spec.get("max_fen") is not None
        if has_fixed == has_range:
            errors.append(
                FieldError(
                    where,
                    "amount_shape",
                    "须给出固定金额 amount_fen，或幅度 min_fen 与 max_fen 之一",
                    "Give either a fixed amount_fen or a range min_fen + max_fen",
                )
            )
        elif has_range and not (
            isinstance(spec.get("min_fen"), int)
            and isinstance(spec.get("max_fen"), int)
            and 0 < spec["min_fen"] <= spec["max_fen"]
        ):
            errors.append(
                FieldError(
                    where,
                    "bad_range",
                    "幅度须为正整数（分）且下限不高于上限",
                    "Range must be positive integer fen with min <= max",
                )
            )
        if not str(spec.get("document_ref") or "").strip():
            errors.append(
                FieldError(
                    f"{where}.document_ref",
                    "document_required",
                    "须注明设定金额所依据的文件（文号）",
                    "Name the document the amount comes from",
                )
            )
    return errors


def put_penalty_settings(
    session: Session, code: str, data: dict[str, Any], principal: Principal
) -> JurisdictionSettings:
    """Replace a jurisdiction's penalty settings (admin; audited with before/after)."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    rules = stored_rules(session)
    data = {
        "policy": dict(data.get("policy") or {}),
        "discretion": dict(data.get("discretion") or {}),
        "amounts": {k: dict(v) for k, v in (data.get("amounts") or {}).items()},
    }
    errors = _check_settings(data, rules)
    if errors:
        raise ValidationFailed(
            "处罚设置无效", "Invalid penalty settings", errors=errors, code="penalty_settings_invalid"
        )
    row = session.scalar(
        select(JurisdictionPenaltySettings)
        .where(JurisdictionPenaltySettings.jurisdiction_id == jurisdiction.id)
        .with_for_update()
    )
    before = None
    old_amounts: dict[str, Any] = {}
    if row is None:
        row = JurisdictionPenaltySettings(jurisdiction_id=jurisdiction.id, version=0)
        session.add(row)
    else:
        before = {"policy": row.policy, "discretion": row.discretion, "amounts": row.amounts, "version": row.version}
        old_amounts = dict(row.amounts or {})
    now = datetime.now(UTC).isoformat()
    amounts: dict[str, Any] = {}
    for key, spec in data["amounts"].items():
        entry = {
            "rule_version": spec["rule_version"],
            "amount_fen": spec.get("amount_fen"),
            "min_fen": spec.get("min_fen"),
            "max_fen": spec.get("max_fen"),
            "document_ref": str(spec["document_ref"]).strip(),
        }
        old = old_amounts.get(key)
        if old and all(old.get(k) == v for k, v in entry.items()):
            entry.update(set_by=old.get("set_by"), set_at=old.get("set_at"))  # unchanged: keep who/when
        else:
            entry.update(set_by=principal.username, set_at=now)
        amounts[key] = entry
    row.policy, row.discretion, row.amounts = data["policy"], data["discretion"], amounts
    row.version = (row.version or 0) + 1
    row.updated_by = principal.username
    session.flush()
    after = {"policy": row.policy, "discretion": row.discretion, "amounts": row.amounts, "version": row.version}
    record_audit(
        session,
        "penalty_settings.update",
        "jurisdiction_penalty_settings",
        jurisdiction.code,
        before=before,
        after=after,
    )
    session.refresh(row)
    return _settings_of(session, jurisdiction, row, rules)


@dataclass(frozen=True)
class RuleInForce:
    """A rule version in force on a date, with the amount a jurisdiction set for it (if it is `to_be_set`)."""

    rule: RuleVersion
    setting: dict[str, Any] | None  # as stored, served unchanged

    @property
    def amount_status(self) -> str:
        status = self.rule.amount_status
        return "set_by_jurisdiction" if status == "to_be_set" and self.setting else status


def rules_in_force_on(
    session: Session, on_date: date, jurisdiction_code: str | None = None, principal: Principal | None = None
) -> list[RuleInForce]:
    """Rules in force on a date, by key, with a jurisdiction's set amounts when a code is given."""
    rules = stored_rules(session)
    amounts: dict[str, dict[str, Any]] = {}
    if jurisdiction_code:
        jurisdiction = get_jurisdiction_in_scope(session, jurisdiction_code, principal)
        amounts = effective_penalty_settings(session, chain_codes(jurisdiction.path)).amounts
    out = []
    for key, rule in sorted(rules_in_force(rules, on_date).items()):
        setting = amounts.get(key)
        if setting and setting.get("rule_version") != rule.version:
            setting = None
        out.append(RuleInForce(rule, setting))
    return out
