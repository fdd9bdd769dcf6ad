"""Penalties in the database: rule versions, jurisdiction settings, per-inspection lines (issue 6).

Callers use:

- ``validate_penalty_rules(rules_dir) -> list[FieldError]``
- ``sync_penalty_rules(session, rules_dir) -> RuleSyncReport``                  (audited; idempotent)
- ``stored_rules(session) -> list[dict]``                                        (current rule entries)
- ``get_penalty_settings(session, code, principal) -> dict`` / ``put_penalty_settings(...)`` (audited)
- ``effective_penalty_settings(session, chain) -> EffectiveSettings``
- ``compute_penalties_for_inspection(session, inspection) -> list[PenaltyLineRow]``   (the submit hook)
- ``recompute_inspection_penalties(session, inspection, reason, factors=None) -> dict`` (audited before/after)
- ``reinspection_facts(session, inspection, findings) -> Reinspection | None``   (order date, continuing items)
- ``override_penalty_line(session, inspection, line_id, amount_fen, reason) -> PenaltyLineRow`` (audited)
- ``inspection_penalties_view(session, inspection) -> dict``                       (the breakdown for the API)
- ``rules_in_force_view(session, on_date, jurisdiction_code=None) -> list[dict]``

Services flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.checklists.evaluation import passes, resolve_limit
from app.checklists.spec import Limit
from app.context import current_request_info
from app.errors import FieldError, NotFound, RuleViolation, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes, get_jurisdiction_by_code
from app.localtime import local_date
from app.vocabulary import ALERT_LEVELS
from app.penalties.engine import (
    DEFAULT_DISCRETION,
    FINDER_LEVELS,
    OBJECT_COUNT_KEYS,
    Factor,
    Finding,
    JurisdictionRef,
    Override,
    Party,
    Payer,
    PenaltyContext,
    PenaltyLine,
    apply_override,
    compute_penalties,
    repeat_count,
    yuan,
)
from app.penalties.models import JurisdictionPenaltySettings, PenaltyComputation, PenaltyLineRow, PenaltyRuleVersion
from app.penalties.rules import DEFAULT_RULES_DIR, load_rules, policy_defaults, policy_options, rules_in_force, \
    validate_rules

if TYPE_CHECKING:
    from app.auth.principal import Principal
    from app.inspections.models import Inspection
    from app.sites.models import Site

# Arbitrary constant: serialises concurrent `flask penalties sync` runs (pg_advisory_xact_lock).
_SYNC_LOCK_ID = 0x4C54_504E  # "LTPN"
# Earlier inspections whose failed items count as prior offences (issue 6 §5).
_COUNTED_STATES = ("submitted", "approved")
MONEY_KINDS = ("fiscal_deduction", "statutory_fine")


# ----------------------------------------------------------------------------------------- rule sync

def validate_penalty_rules(rules_dir: str | Path = DEFAULT_RULES_DIR) -> list[FieldError]:
    """Every problem in the penalty rule files (schema + cross-rule checks). Empty = valid."""
    return validate_rules(Path(rules_dir))


@dataclass
class RuleSyncReport:
    created: list[str] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.reinstated or self.retired)

    def lines(self) -> list[str]:
        out = [f"created {x}" for x in self.created] + [f"made current again {x}" for x in self.reinstated]
        return out + [f"retired {x}" for x in self.retired] + [f"unchanged {self.unchanged} rule version(s)"]


def _rule_label(row: PenaltyRuleVersion) -> str:
    return f"{row.key}@{row.version} {row.rule_hash[:12]}"


def _rule_summary(row: PenaltyRuleVersion) -> dict[str, Any]:
    return {"key": row.key, "version": row.version, "rule_hash": row.rule_hash, "source_file": row.source_file,
            "is_current": row.is_current}


def sync_penalty_rules(session: Session, rules_dir: str | Path = DEFAULT_RULES_DIR) -> RuleSyncReport:
    """Store every rule entry whose hash is new as a new immutable version; retire entries no longer in the files.

    Validates first (``ValidationFailed`` lists every problem; nothing is written). Rows are never changed or
    deleted: a changed entry is a new row (same key, new ``rule_hash``), the previous row stays readable and
    lines computed with it keep citing it.
    """
    rules = load_rules(Path(rules_dir))
    session.execute(select(func.pg_advisory_xact_lock(_SYNC_LOCK_ID)))
    report = RuleSyncReport()
    hashes = {rule["rule_hash"] for rule in rules}
    stored = {row.rule_hash: row for row in session.scalars(
        select(PenaltyRuleVersion).where(PenaltyRuleVersion.rule_hash.in_(hashes)))}
    for rule in rules:
        digest = rule["rule_hash"]
        row = stored.get(digest)
        if row is None:
            entry = {k: v for k, v in rule.items() if k not in ("source_file", "source_index", "rule_hash")}
            row = PenaltyRuleVersion(
                key=rule["key"], version=rule["version"], rule_hash=digest, kind=rule["kind"],
                amount_status=rule["amount_status"], verified=bool(rule["verified"]["status"]),
                effective_from=date.fromisoformat(rule["effective"]["from"]),
                effective_to=date.fromisoformat(rule["effective"]["to"]) if rule["effective"]["to"] else None,
                content=entry, source_file=rule["source_file"], is_current=True)
            session.add(row)
            session.flush()
            stored[digest] = row
            record_audit(session, "penalty_rule.version_create", "penalty_rule_version", row.id,
                         after=_rule_summary(row))
            report.created.append(_rule_label(row))
        elif not row.is_current:
            before = _rule_summary(row)
            row.is_current = True
            session.flush()
            record_audit(session, "penalty_rule.version_reinstate", "penalty_rule_version", row.id,
                         before=before, after=_rule_summary(row))
            report.reinstated.append(_rule_label(row))
        else:
            report.unchanged += 1
    for row in session.scalars(select(PenaltyRuleVersion).where(
            PenaltyRuleVersion.is_current.is_(True), PenaltyRuleVersion.rule_hash.not_in(hashes))):
        before = _rule_summary(row)
        row.is_current = False
        record_audit(session, "penalty_rule.version_retire", "penalty_rule_version", row.id,
                     before=before, after=_rule_summary(row))
        report.retired.append(_rule_label(row))
    session.flush()
    return report


def _row_rule(row: PenaltyRuleVersion) -> dict[str, Any]:
    rule = dict(row.content)
    rule["source_file"] = row.source_file
    rule["rule_hash"] = row.rule_hash
    rule["_row_id"] = row.id
    return rule


def stored_rules(session: Session) -> list[dict[str, Any]]:
    """The current rule entries (every version of every key), as the engine takes them.

    When nothing has been synced yet (a fresh database that skipped `flask penalties sync`), the shipped files
    are synced first, in the caller's transaction, so every computed line cites a stored version.
    """
    current = (select(PenaltyRuleVersion).where(PenaltyRuleVersion.is_current.is_(True))
               .order_by(PenaltyRuleVersion.key, PenaltyRuleVersion.effective_from))
    rows = list(session.scalars(current))
    if not rows:
        sync_penalty_rules(session, DEFAULT_RULES_DIR)
        rows = list(session.scalars(current))
    return [_row_rule(r) for r in rows]


# ----------------------------------------------------------------------------------- jurisdiction settings

@dataclass(frozen=True)
class EffectiveSettings:
    policy: dict[str, str]
    discretion: dict[str, Any]
    amounts: dict[str, dict[str, Any]]
    sources: dict[str, str]  # "policy.<setting>" / "discretion.<name>" / "amounts.<key>" -> jurisdiction code


def effective_penalty_settings(session: Session, chain: Iterable[str]) -> EffectiveSettings:
    """Merge settings from the root down the chain: the nearest jurisdiction that sets a value wins."""
    codes = list(chain)
    rows = {code: s for code, s in session.execute(
        select(Jurisdiction.code, JurisdictionPenaltySettings)
        .join(JurisdictionPenaltySettings, JurisdictionPenaltySettings.jurisdiction_id == Jurisdiction.id)
        .where(Jurisdiction.code.in_(codes))).all()}
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


def _settings_body(session: Session, jurisdiction: Jurisdiction, row: JurisdictionPenaltySettings | None,
                   rules: list[dict[str, Any]]) -> dict[str, Any]:
    effective = effective_penalty_settings(session, chain_codes(jurisdiction.path))
    defaults = policy_defaults(rules)
    return {
        "jurisdiction_code": jurisdiction.code,
        "jurisdiction_name": jurisdiction.name_zh,
        "policy": dict(row.policy) if row else {},
        "discretion": dict(row.discretion) if row else {},
        "amounts": dict(row.amounts) if row else {},
        "version": row.version if row else 0,
        "updated_by": row.updated_by if row else None,
        "updated_at": row.updated_at.isoformat() if row and row.updated_at else None,
        "effective": {
            "policy": {**defaults, **effective.policy},
            "discretion": {**DEFAULT_DISCRETION, **effective.discretion},
            "amounts": effective.amounts,
            "sources": effective.sources,
        },
        "options": {
            "policy": policy_options(rules),
            "policy_defaults": defaults,
            "discretion_defaults": dict(DEFAULT_DISCRETION),
            "amounts_to_be_set": sorted({f"{r['key']}@{r['version']}" for r in rules
                                         if r["amount_status"] == "to_be_set"}),
        },
    }


def _jurisdiction_in_scope(session: Session, code: str, principal: Principal | None) -> Jurisdiction:
    jurisdiction = get_jurisdiction_by_code(session, code)
    if principal is not None and not principal.covers(jurisdiction.path):
        raise NotFound("辖区不存在或不在您的辖区内。", "Jurisdiction not found in your jurisdictions.",
                       code="jurisdiction_not_found")
    return jurisdiction


def get_penalty_settings(session: Session, code: str, principal: Principal) -> dict[str, Any]:
    """A jurisdiction's own penalty settings, what applies there after inheritance, and the options."""
    jurisdiction = _jurisdiction_in_scope(session, code, principal)
    row = session.scalar(select(JurisdictionPenaltySettings).where(
        JurisdictionPenaltySettings.jurisdiction_id == jurisdiction.id))
    return _settings_body(session, jurisdiction, row, stored_rules(session))


def _check_settings(data: dict[str, Any], rules: list[dict[str, Any]]) -> list[FieldError]:
    # _check_amounts also fills in a missing amounts.<key>.rule_version when only one version is to be set.
    return _check_policy(data, rules) + _check_discretion(data) + _check_amounts(data, rules)


def _check_policy(data: dict[str, Any], rules: list[dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    options = policy_options(rules)
    for setting, option in (data.get("policy") or {}).items():
        if setting not in options:
            errors.append(FieldError(f"policy.{setting}", "unknown_setting", f"未知的政策设置：{setting}",
                                     f"Unknown policy setting: {setting}"))
        elif option not in options[setting]:
            errors.append(FieldError(f"policy.{setting}", "unknown_option",
                                     f"选项必须是以下之一：{', '.join(options[setting])}",
                                     f"Option must be one of: {', '.join(options[setting])}"))
    return errors


def _check_discretion(data: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, value in (data.get("discretion") or {}).items():
        if name not in DEFAULT_DISCRETION:
            errors.append(FieldError(f"discretion.{name}", "unknown_parameter", f"未知的裁量参数：{name}",
                                     f"Unknown discretion parameter: {name}"))
            continue
        default = DEFAULT_DISCRETION[name]
        if name == "alert_upper_end_from":
            ok = value in ALERT_LEVELS[1:]
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        else:
            ok = _is_int(value) and -100 <= value <= 10_000
        if not ok:
            errors.append(FieldError(f"discretion.{name}", "bad_value", "裁量参数取值无效",
                                     "Invalid discretion parameter value"))
    return errors


def _check_amounts(data: dict[str, Any], rules: list[dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    to_be_set: dict[str, set[str]] = {}
    for rule in rules:
        if rule["amount_status"] == "to_be_set":
            to_be_set.setdefault(rule["key"], set()).add(rule["version"])
    for key, spec in (data.get("amounts") or {}).items():
        where = f"amounts.{key}"
        if key not in to_be_set:
            # Never let a jurisdiction replace an amount the law or plan gives (issue 6 §2).
            errors.append(FieldError(where, "amount_not_to_be_set", "该规则无“由辖区设定”的金额，不能设定",
                                     "This rule has no amount 'to be set by the jurisdiction'"))
            continue
        version = spec.get("rule_version")
        if version is None and len(to_be_set[key]) == 1:
            version = next(iter(to_be_set[key]))
            spec["rule_version"] = version
        if version not in to_be_set[key]:
            errors.append(FieldError(f"{where}.rule_version", "unknown_version",
                                     f"须指定金额待设定的规则版本：{', '.join(sorted(to_be_set[key]))}",
                                     f"Give the rule version whose amount is to be set: {', '.join(sorted(to_be_set[key]))}"))
        has_fixed = spec.get("amount_fen") is not None
        has_range = spec.get("min_fen") is not None or spec.get("max_fen") is not None
        if has_fixed == has_range:
            errors.append(FieldError(where, "amount_shape", "须给出固定金额 amount_fen，或幅度 min_fen 与 max_fen 之一",
                                     "Give either a fixed amount_fen or a range min_fen + max_fen"))
        elif has_range and not (isinstance(spec.get("min_fen"), int) and isinstance(spec.get("max_fen"), int)
                                and 0 < spec["min_fen"] <= spec["max_fen"]):
            errors.append(FieldError(where, "bad_range", "幅度须为正整数（分）且下限不高于上限",
                                     "Range must be positive integer fen with min <= max"))
        if not str(spec.get("document_ref") or "").strip():
            errors.append(FieldError(f"{where}.document_ref", "document_required",
                                     "须注明设定金额所依据的文件（文号）", "Name the document the amount comes from"))
    return errors


def put_penalty_settings(session: Session, code: str, data: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """Replace a jurisdiction's penalty settings (admin; audited with before/after)."""
    jurisdiction = _jurisdiction_in_scope(session, code, principal)
    rules = stored_rules(session)
    data = {"policy": dict(data.get("policy") or {}), "discretion": dict(data.get("discretion") or {}),
            "amounts": {k: dict(v) for k, v in (data.get("amounts") or {}).items()}}
    errors = _check_settings(data, rules)
    if errors:
        raise ValidationFailed("处罚设置无效", "Invalid penalty settings", errors=errors,
                               code="penalty_settings_invalid")
    row = session.scalar(select(JurisdictionPenaltySettings).where(
        JurisdictionPenaltySettings.jurisdiction_id == jurisdiction.id).with_for_update())
    before = None
    old_amounts: dict[str, Any] = {}
    if row is None:
        row = JurisdictionPenaltySettings(jurisdiction_id=jurisdiction.id, version=0)
        session.add(row)
    else:
        before = {"policy": row.policy, "discretion": row.discretion, "amounts": row.amounts, "version": row.version}
        old_amounts = dict(row.amounts or {})
    now = datetime.now(timezone.utc).isoformat()
    amounts: dict[str, Any] = {}
    for key, spec in data["amounts"].items():
        entry = {"rule_version": spec["rule_version"], "amount_fen": spec.get("amount_fen"),
                 "min_fen": spec.get("min_fen"), "max_fen": spec.get("max_fen"),
                 "document_ref": str(spec["document_ref"]).strip()}
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
    record_audit(session, "penalty_settings.update", "jurisdiction_penalty_settings", jurisdiction.code,
                 before=before, after=after)
    session.refresh(row)
    return _settings_body(session, jurisdiction, row, rules)


# ------------------------------------------------------------------------------------- context building

def _responsible_subdistrict(session: Session, site: Site) -> Jurisdiction | None:
    # 000§五(二): fiscal deductions are charged to the sub-district whose polygon contains the site.
    from app.sites.services import responsible_subdistrict

    found = responsible_subdistrict(session, site)
    if found is None and site.jurisdiction is not None and site.jurisdiction.level == "township":
        return site.jurisdiction  # no township boundaries imported: the site's own (township) jurisdiction
    return found


def _violator(site: Site) -> Party:
    kind = {"company": "unit", "individual": "individual"}.get(site.operator_type)
    return Party(site.operator_name, site.operator_credit_code, kind)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _failing_readings(item: dict[str, Any], answer: dict[str, Any], params: dict[str, Any] | None) -> int | None:
    """Readings of a ``combine: all`` measure that fail the limit (each reading is one object measured)."""
    readings = item.get("readings") or {}
    values = answer.get("values")
    if readings.get("combine") != "all" or not isinstance(values, list) or "limit" not in item:
        return None
    spec = Limit.from_doc(item["limit"])
    limit = resolve_limit(spec, params)
    if limit is None:
        return None
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return sum(1 for v in numbers if not passes(float(v), spec.comparison, limit)) or None


def _counts(answer: dict[str, Any] | None, item: dict[str, Any] | None = None,
            params: dict[str, Any] | None = None) -> dict[str, int]:
    """Counted units of a failed item (issue 6 §1: per machine, per fire point, per vehicle, per item seized).

    - ``count`` items: the count the inspector recorded (e.g. 3 fire points found → 3 fire points);
    - any other item whose answer carries ``count`` (e.g. a failed "meets class III in the control area"
      check with ``count: 2``): the number of objects the failure concerns;
    - ``measure`` items with ``readings.combine: all`` (one reading per object): the failing readings.
    The number stands for whichever object unit the item's rules count (machines, vehicles, fire points,
    items seized); ``per_failed_measure`` rules keep counting one per failed item. Explicit ``counts`` maps
    (unit name -> n) in stored answers are kept as given.
    """
    answer = answer or {}
    out = {k: v for k, v in (answer.get("counts") or {}).items() if _is_int(v) and v >= 0}
    n: int | None = None
    if _is_int(answer.get("count")) and answer["count"] > 0:
        n = answer["count"]
    elif item is not None and item.get("kind") == "measure":
        n = _failing_readings(item, answer, params)
    if n is not None:
        for key in OBJECT_COUNT_KEYS:
            out.setdefault(key, n)
    return out


def _findings(inspection: Inspection) -> list[Finding]:
    content = (inspection.checklist.content if inspection.checklist is not None else None) or {}
    items = {i.get("key"): i for i in content.get("items", [])}
    params = (inspection.site_context or {}).get("parameters")
    out = []
    for f in inspection.current_findings:
        if f.verdict != "fail" or not f.penalty_keys:
            continue
        answer = f.answer or {}
        out.append(Finding(
            checklist_key=f.checklist_key, item_key=f.item_key, penalty_keys=tuple(f.penalty_keys),
            source_refs=tuple(f.source_refs or ()), counts=_counts(answer, items.get(f.item_key), params),
            severity=f.severity or "medium", serious_consequence=bool(answer.get("serious_consequence"))))
    return out


def _prior_failure_dates(session: Session, inspection: Inspection, item_keys: set[str]) -> dict[str, list[date]]:
    """Dates of earlier submitted/approved inspections of the same site that failed the same item."""
    from app.inspections.models import Finding as FindingRow, Inspection as InspectionRow

    if not item_keys:
        return {}
    rows = session.execute(
        select(FindingRow.item_key, InspectionRow)
        .join(InspectionRow, InspectionRow.id == FindingRow.inspection_id)
        .where(InspectionRow.site_id == inspection.site_id, InspectionRow.id != inspection.id,
               InspectionRow.state.in_(_COUNTED_STATES), FindingRow.verdict == "fail",
               FindingRow.submission_no == InspectionRow.submission_count,
               FindingRow.item_key.in_(sorted(item_keys)))).all()
    out: dict[str, list[date]] = {}
    for item_key, earlier in rows:
        out.setdefault(item_key, []).append(earlier.local_date)
    return out


# Lines of these kinds are orders (责令改正 / 责令停工整治 / 责令停止使用、封存停用): a later re-inspection
# checks whether they were obeyed (issue 6 §5).
ORDER_KINDS = ("order_to_correct", "stop_work", "seal_and_stop_use")
FACTOR_FLAGS = ("cooperation", "prompt_correction", "first_offence_slight_harm")


@dataclass(frozen=True)
class Reinspection:
    """What a re-inspection passes to the engine, and why (shown in the computation's context)."""

    earlier_id: str
    order_date: date | None = None
    continuing_items: frozenset[str] = frozenset()
    prior_amounts_fen: dict[str, int] = field(default_factory=dict)
    note: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"earlier_inspection": self.earlier_id,
                "order_to_correct_date": self.order_date.isoformat() if self.order_date else None,
                "order_date_source": "earlier inspection submitted_at (Asia/Shanghai)" if self.order_date else None,
                "continuing_items": sorted(self.continuing_items), "prior_decision_amounts_fen": self.prior_amounts_fen,
                "note": self.note}


def reinspection_facts(session: Session, inspection: Inspection, findings: list[Finding]) -> Reinspection | None:
    """Order date, continuing items and original fines for a re-inspection (issue 6 §5); None if not one.

    The order date is the date (Asia/Shanghai) the earlier inspection was *submitted*: its penalty lines
    included the order (``measure.order_to_correct`` or another order-type measure, ``ORDER_KINDS``) and no
    decision date is recorded yet. A later review/decision feature may record the real decision date; it then
    replaces this source here. Days are counted from the day after the order (the engine).
    Only items that failed at the earlier inspection and fail again continue the ordered violation; the
    original amounts are the earlier current computation's statutory fines on those items (after override;
    for a daily line of an earlier re-inspection, its per-day original amount). Exempt/blocked lines have
    no amount and start no daily penalty.
    """
    from app.inspections.models import Inspection as InspectionRow

    if inspection.reinspection_of_id is None:
        return None
    earlier_id = str(inspection.reinspection_of_id)
    earlier = session.get(InspectionRow, inspection.reinspection_of_id)
    if earlier is None or earlier.site_id != inspection.site_id or earlier.state not in _COUNTED_STATES:
        return Reinspection(earlier_id, note="earlier inspection not usable (other site or not submitted/approved)")
    computation = _current_computation(session, earlier.id)
    lines = list(computation.lines) if computation is not None else []
    if not any(l.kind in ORDER_KINDS for l in lines) or earlier.submitted_at is None:
        return Reinspection(earlier_id, note="the earlier inspection gave no order to correct")
    earlier_failed = {f.item_key for f in earlier.current_findings if f.verdict == "fail"}
    continuing = frozenset(earlier_failed & {f.item_key for f in findings})
    order_date = local_date(earlier.submitted_at)
    if not continuing:
        return Reinspection(earlier_id, note="no item ordered to be corrected fails again")
    prior: dict[str, int] = {}
    for line in lines:
        if line.kind != "statutory_fine" or line.status != "computed" or not set(line.item_keys) & continuing:
            continue
        original = line.base_amount_fen if line.daily_days is not None else line.amount_fen
        if original:
            prior[line.rule_key] = original
    return Reinspection(earlier_id, order_date, continuing, prior)


def build_penalty_context(session: Session, inspection: Inspection, findings: list[Finding],
                          factors: dict[str, Any] | None,
                          again: Reinspection | None) -> tuple[PenaltyContext, EffectiveSettings]:
    """The engine's context for an inspection: date, chain, payers, alert, repeats, jurisdiction policy,
    re-inspection facts (``again``, from ``reinspection_facts``) and the discretion factors a supervisor set."""
    site = inspection.site
    on_date = inspection.local_date
    chain = chain_codes(site.jurisdiction.path)
    sub = _responsible_subdistrict(session, site)
    if sub is not None and sub.code not in chain:
        chain.append(sub.code)
    settings = effective_penalty_settings(session, chain)
    window = int(settings.discretion.get("repeat_window_days", DEFAULT_DISCRETION["repeat_window_days"]))
    prior = _prior_failure_dates(session, inspection, {f.item_key for f in findings})
    repeats = {k: n for k, dates in prior.items() if (n := repeat_count(dates, on_date, window))}
    policy: dict[str, Any] = dict(settings.policy)
    if settings.discretion:
        policy["discretion"] = dict(settings.discretion)
    factors = factors or {}
    ctx = PenaltyContext(
        inspection_date=on_date, jurisdiction_chain=tuple(chain),
        responsible_subdistrict=JurisdictionRef(sub.code, sub.name_zh) if sub else None,
        violator=_violator(site), alert_level=inspection.alert_level or "none", repeat_offences=repeats,
        policy=policy, finder_level=factors.get("finder_level"),
        cooperation=bool(factors.get("cooperation")), prompt_correction=bool(factors.get("prompt_correction")),
        first_offence_slight_harm=bool(factors.get("first_offence_slight_harm")),
        order_to_correct_date=again.order_date if again else None,
        reinspection_date=on_date if again and again.order_date else None,
        prior_decision_amounts_fen=dict(again.prior_amounts_fen) if again else {},
        continuing_items=again.continuing_items if again else frozenset())
    return ctx, settings


def _context_summary(ctx: PenaltyContext) -> dict[str, Any]:
    return {
        "inspection_date": ctx.inspection_date.isoformat(), "jurisdiction_chain": list(ctx.jurisdiction_chain),
        "responsible_subdistrict": None if ctx.responsible_subdistrict is None else {
            "code": ctx.responsible_subdistrict.code, "name": ctx.responsible_subdistrict.name},
        "violator": None if ctx.violator is None else {
            "name": ctx.violator.name, "credit_code": ctx.violator.credit_code, "kind": ctx.violator.resolved_kind},
        "alert_level": ctx.alert_level, "repeat_offences": dict(ctx.repeat_offences),
        "finder_level": ctx.finder_level, "policy": dict(ctx.policy),
        "cooperation": ctx.cooperation, "prompt_correction": ctx.prompt_correction,
        "first_offence_slight_harm": ctx.first_offence_slight_harm,
        "order_to_correct_date": ctx.order_to_correct_date.isoformat() if ctx.order_to_correct_date else None,
        "reinspection_date": ctx.reinspection_date.isoformat() if ctx.reinspection_date else None,
        "prior_decision_amounts_fen": dict(ctx.prior_decision_amounts_fen),
        "continuing_items": sorted(ctx.continuing_items),
    }


def _apply_amount_settings(rules: list[dict[str, Any]], settings: EffectiveSettings) -> dict[str, dict[str, Any]]:
    """Give `to_be_set` rules the amount an admin set for this jurisdiction (in place); returns key -> setting."""
    used: dict[str, dict[str, Any]] = {}
    for i, rule in enumerate(rules):
        spec = settings.amounts.get(rule["key"])
        if rule["amount_status"] != "to_be_set" or not spec or spec.get("rule_version") != rule["version"]:
            continue
        patched = dict(rule)
        if spec.get("amount_fen") is not None:
            patched["amount"] = int(spec["amount_fen"])
        else:
            patched["amount"] = {"min": int(spec["min_fen"]), "max": int(spec["max_fen"])}
            patched["discretion"] = "factor_position_v1"
        patched["amount_status"] = "set"
        # The admin's document is the verification of the amount the rule file could not give.
        patched["verified"] = {"status": True, "source": f"jurisdiction setting: {spec.get('document_ref')}"}
        rules[i] = patched
        used[rule["key"]] = {**spec, "jurisdiction_code": settings.sources.get(f"amounts.{rule['key']}")}
    return used


def _note_amount_setting(line: PenaltyLine, setting: dict[str, Any]) -> PenaltyLine:
    amount = (f"{yuan(setting['amount_fen'])} 元" if setting.get("amount_fen") is not None
              else f"{yuan(setting['min_fen'])}–{yuan(setting['max_fen'])} 元")
    zh = (f"金额由辖区（{setting.get('jurisdiction_code')}）设定：{amount}，依据 {setting.get('document_ref')}，"
          f"设定人 {setting.get('set_by')}，设定时间 {setting.get('set_at')}。")
    en = (f"Amount set by the jurisdiction ({setting.get('jurisdiction_code')}): {amount.replace('元', 'yuan')}, "
          f"per {setting.get('document_ref')}, set by {setting.get('set_by')} at {setting.get('set_at')}.")
    return replace(line, explanation_zh=line.explanation_zh + (zh,), explanation_en=line.explanation_en + (en,))


def _row_from_line(line: PenaltyLine, position: int, computation: PenaltyComputation, rule_row_id: int,
                   setting: dict[str, Any] | None) -> PenaltyLineRow:
    d = line.to_dict()
    return PenaltyLineRow(
        computation=computation, inspection_id=computation.inspection_id, position=position,
        rule_version_id=rule_row_id, rule_key=line.rule_key, rule_version=line.rule_version,
        rule_hash=line.rule_hash, kind=line.kind, title=d["title"], payer_type=line.payer.type,
        payer_code=line.payer.code, payer_name=line.payer.name, unit=line.unit, counted_units=line.counted_units,
        base_amount_fen=line.base_amount_fen,
        range_min_fen=line.range_fen[0] if line.range_fen else None,
        range_max_fen=line.range_fen[1] if line.range_fen else None,
        amount_fen=line.amount_fen, status=line.status, factors=d["factors"], explanation=d["explanation"],
        basis=d["basis"], authority=d["authority"], source_refs=d["source_refs"], item_keys=d["item_keys"],
        verified=line.verified, blocking_reasons=d["blocking_reasons"], daily_days=line.daily_days,
        amount_setting=setting, override=d["override"])


def line_from_row(row: PenaltyLineRow) -> PenaltyLine:
    """The engine's PenaltyLine for a stored row (for apply_override and printing)."""
    o = row.override
    return PenaltyLine(
        rule_key=row.rule_key, rule_version=row.rule_version, rule_hash=row.rule_hash, kind=row.kind,
        title_zh=row.title["zh"], title_en=row.title["en"], payer=Payer(row.payer_type, row.payer_code, row.payer_name),
        basis=tuple((b["ref"], b["text"]) for b in row.basis), authority_zh=row.authority["zh"],
        authority_en=row.authority["en"], unit=row.unit, counted_units=row.counted_units,
        base_amount_fen=row.base_amount_fen,
        range_fen=((row.range_min_fen, row.range_max_fen)
                   if row.range_min_fen is not None and row.range_max_fen is not None else None),
        factors=tuple(Factor(f["name"], f["level"], f["effect"]) for f in row.factors),
        amount_fen=row.amount_fen, status=row.status, explanation_zh=tuple(row.explanation["zh"]),
        explanation_en=tuple(row.explanation["en"]), source_refs=tuple(row.source_refs),
        item_keys=tuple(row.item_keys), verified=row.verified, blocking_reasons=tuple(row.blocking_reasons),
        daily_days=row.daily_days,
        override=None if o is None else Override(o["amount_before_fen"], o["amount_after_fen"], o["reason"], o.get("by")))


def _current_computation(session: Session, inspection_id: Any) -> PenaltyComputation | None:
    return session.scalar(select(PenaltyComputation).where(
        PenaltyComputation.inspection_id == inspection_id, PenaltyComputation.is_current.is_(True)))


def _lines_summary(computation: PenaltyComputation | None) -> dict[str, Any] | None:
    if computation is None:
        return None
    return {
        "computation_id": computation.id,
        "lines": [{"rule_key": l.rule_key, "rule_version": l.rule_version, "rule_hash": l.rule_hash,
                   "payer_code": l.payer_code, "amount_fen": l.amount_fen, "status": l.status}
                  for l in computation.lines],
        "totals_fen": _totals_fen(computation.lines),
    }


def _totals_fen(lines: Iterable[PenaltyLineRow]) -> dict[str, int]:
    """Sum of amounts per money kind (lines without an amount count 0)."""
    totals = {k: 0 for k in MONEY_KINDS}
    for line in lines:
        if line.kind in totals:
            totals[line.kind] += line.amount_fen or 0
    return totals


def _compute(session: Session, inspection: Inspection, previous: PenaltyComputation | None, *, trigger: str,
             reason: str | None, factors: dict[str, Any] | None = None) -> PenaltyComputation:
    findings = _findings(inspection)
    if factors is None and previous is not None:
        factors = previous.discretion_factors  # a supervisor's factors stay until changed on purpose
    reinspection = reinspection_facts(session, inspection, findings)  # None unless inspection.reinspection_of_id
    ctx, settings = build_penalty_context(session, inspection, findings, factors, reinspection)
    rules = stored_rules(session)
    used_settings = _apply_amount_settings(rules, settings)
    result = compute_penalties(findings, ctx, rules)
    row_ids = {r["rule_hash"]: r["_row_id"] for r in rules}
    if previous is not None:
        previous.is_current = False
        session.flush()  # clear the flag before the new current row (partial unique index)
    computation = PenaltyComputation(
        inspection_id=inspection.id, is_current=True, trigger=trigger, reason=reason,
        computed_by=current_request_info().actor_username, inspection_date=ctx.inspection_date,
        context={**_context_summary(ctx), "reinspection": reinspection.summary() if reinspection is not None else None},
        skipped=[list(s) for s in result.skipped], policy_used=dict(result.policy_used),
        discretion_factors=dict(factors) if factors else None)
    session.add(computation)
    for position, line in enumerate(result.lines):
        setting = used_settings.get(line.rule_key)
        if setting is not None:
            line = _note_amount_setting(line, setting)
        session.add(_row_from_line(line, position, computation, row_ids[line.rule_hash], setting))
    session.flush()
    session.refresh(computation)
    return computation


def compute_penalties_for_inspection(session: Session, inspection: Inspection) -> list[PenaltyLineRow]:
    """The submit hook: compute and store the penalty lines of a (just submitted) inspection.

    Runs the pure engine with the rules in force on the inspection date (Asia/Shanghai), the jurisdiction's
    policy and admin-set amounts, the sub-district that contains the site (000§五(二)) and the site's operator
    as violator. The stored lines are the record: later rule file changes do not alter them. Flushes only.
    """
    previous = _current_computation(session, inspection.id)
    computation = _compute(session, inspection, previous, trigger="submit", reason=None)
    record_audit(session, "penalty.compute", "inspection", inspection.id,
                 before=_lines_summary(previous), after=_lines_summary(computation))
    return list(computation.lines)


def _check_factors(factors: dict[str, Any]) -> list[FieldError]:
    errors = []
    for name, value in factors.items():
        if name in FACTOR_FLAGS:
            ok = isinstance(value, bool)
        elif name == "finder_level":
            ok = value is None or value in FINDER_LEVELS
        else:
            ok = False
        if not ok:
            errors.append(FieldError(f"factors.{name}", "bad_factor", "裁量因素无效", "Invalid discretion factor"))
    return errors


def recompute_inspection_penalties(session: Session, inspection: Inspection, reason: str,
                                   factors: dict[str, Any] | None = None) -> dict[str, Any]:
    """Recompute on purpose (rule change, admin-set amount, corrected data): new lines, audited before/after.

    ``factors`` (supervisor): any of ``cooperation``, ``prompt_correction``, ``first_offence_slight_harm``
    (booleans) and ``finder_level`` (national|provincial|city|district|town, 000§五(二)); merged over the
    factors already on the current computation, stored on the new computation with the reason, who and when,
    shown in the breakdown and audited. Later computations (resubmission, recomputes) keep them.
    """
    if not isinstance(reason, str) or len(reason.strip()) < 4:
        raise ValidationFailed("重新计算必须填写理由", "A reason is required to recompute",
                               errors=[FieldError("reason", "reason_required", "重新计算必须填写书面理由",
                                                  "A written reason is required to recompute")])
    reason = reason.strip()
    if inspection.state == "draft":
        raise RuleViolation("草稿检查尚未提交，不能计算处罚", "A draft inspection has not been submitted yet",
                            code="inspection_not_submitted")
    previous = _current_computation(session, inspection.id)
    merged: dict[str, Any] | None = None
    if factors:
        errors = _check_factors(factors)
        if errors:
            raise ValidationFailed("裁量因素无效", "Invalid discretion factors", errors=errors)
        base = {k: v for k, v in ((previous.discretion_factors if previous else None) or {}).items()
                if k in FACTOR_FLAGS or k == "finder_level"}
        merged = {**base, **factors, "reason": reason, "set_by": current_request_info().actor_username,
                  "set_at": datetime.now(timezone.utc).isoformat()}
    computation = _compute(session, inspection, previous, trigger="recompute", reason=reason, factors=merged)
    before = _lines_summary(previous)
    if before is not None and previous is not None:
        before["discretion_factors"] = previous.discretion_factors
    record_audit(session, "penalty.recompute", "inspection", inspection.id, before=before,
                 after={**(_lines_summary(computation) or {}), "reason": reason,
                        "discretion_factors": computation.discretion_factors})
    return _penalties_body(inspection, computation)


def override_penalty_line(session: Session, inspection: Inspection, line_id: int, amount_fen: int,
                          reason: str) -> dict[str, Any]:
    """A supervisor sets a line's amount within the legal range with a written reason (audited)."""
    computation = _current_computation(session, inspection.id)
    row = session.get(PenaltyLineRow, line_id, with_for_update=True)
    if row is None or computation is None or row.computation_id != computation.id:
        raise NotFound("处罚项不存在。", "Penalty line not found.", code="penalty_line_not_found")
    by = current_request_info().actor_username
    new = apply_override(line_from_row(row), amount_fen, reason, by=by)
    before = {"amount_fen": row.amount_fen, "status": row.status, "override": row.override}
    d = new.to_dict()
    row.amount_fen, row.status, row.explanation = new.amount_fen, new.status, d["explanation"]
    row.override = {**d["override"], "at": datetime.now(timezone.utc).isoformat()}
    session.flush()
    record_audit(session, "penalty.override", "penalty_line", row.id, before=before,
                 after={"amount_fen": row.amount_fen, "status": row.status, "override": row.override,
                        "inspection_id": str(inspection.id)})
    return line_view(row)


# -------------------------------------------------------------------------------------------- views

def money(fen: int) -> dict[str, Any]:
    return {"fen": fen, "yuan": yuan(fen)}


def line_view(row: PenaltyLineRow) -> dict[str, Any]:
    line = line_from_row(row)
    legal = line.legal_total_range_fen
    return {
        "id": row.id, "rule_key": row.rule_key, "rule_version": row.rule_version, "rule_hash": row.rule_hash,
        "kind": row.kind, "title": row.title, "basis": row.basis, "authority": row.authority,
        "payer": {"type": row.payer_type, "code": row.payer_code, "name": row.payer_name},
        "unit": row.unit, "counted_units": row.counted_units, "base_amount_fen": row.base_amount_fen,
        "range_fen": [row.range_min_fen, row.range_max_fen] if row.range_min_fen is not None else None,
        "legal_total_range_fen": list(legal) if legal else None,
        "factors": row.factors, "amount_fen": row.amount_fen,
        "amount_yuan": yuan(row.amount_fen) if row.amount_fen is not None else None,
        "status": row.status, "explanation": row.explanation, "source_refs": row.source_refs,
        "item_keys": row.item_keys, "verified": row.verified, "blocking_reasons": row.blocking_reasons,
        "daily_days": row.daily_days, "amount_setting": row.amount_setting, "override": row.override,
    }


def inspection_penalties_view(session: Session, inspection: Inspection) -> dict[str, Any]:
    """Lines with their full breakdown, totals per kind and per payer (fen and 元), and whether issuable."""
    return _penalties_body(inspection, _current_computation(session, inspection.id))


def _penalties_body(inspection: Inspection, computation: PenaltyComputation | None) -> dict[str, Any]:
    if computation is None:
        return {"inspection_id": str(inspection.id), "computed": False, "computation": None, "lines": [],
                "totals": {k: money(0) for k in MONEY_KINDS}, "payers": [], "issuable": False,
                "blocking": [{"line_id": None, "rule_key": None, "reasons": ["not_computed"]}]}
    rows = list(computation.lines)
    payers: dict[tuple[str, str | None, str | None], dict[str, int]] = {}
    for r in rows:
        if r.kind in MONEY_KINDS:
            per = payers.setdefault((r.payer_type, r.payer_code, r.payer_name), {k: 0 for k in MONEY_KINDS})
            per[r.kind] += r.amount_fen or 0
    blocking = [{"line_id": r.id, "rule_key": r.rule_key, "reasons": r.blocking_reasons}
                for r in rows if r.blocking_reasons]
    return {
        "inspection_id": str(inspection.id), "computed": True,
        "computation": {"id": computation.id, "trigger": computation.trigger, "reason": computation.reason,
                        "computed_by": computation.computed_by, "computed_at": computation.computed_at.isoformat(),
                        "inspection_date": computation.inspection_date.isoformat(),
                        "context": computation.context, "policy_used": computation.policy_used,
                        "skipped": computation.skipped, "discretion_factors": computation.discretion_factors},
        "lines": [line_view(r) for r in rows],
        "totals": {k: money(v) for k, v in _totals_fen(rows).items()},
        "payers": [{"type": t, "code": c, "name": n, "totals": {k: money(v) for k, v in per.items()}}
                   for (t, c, n), per in payers.items()],
        "issuable": not blocking, "blocking": blocking,
    }


def rules_in_force_view(session: Session, on_date: date, jurisdiction_code: str | None = None,
                        principal: Principal | None = None) -> list[dict[str, Any]]:
    """Rules in force on a date with verified flags and amount status (and a jurisdiction's set amounts)."""
    rules = stored_rules(session)
    amounts: dict[str, dict[str, Any]] = {}
    if jurisdiction_code:
        jurisdiction = _jurisdiction_in_scope(session, jurisdiction_code, principal)
        amounts = effective_penalty_settings(session, chain_codes(jurisdiction.path)).amounts
    out = []
    for key, rule in sorted(rules_in_force(rules, on_date).items()):
        amount = rule["amount"]
        setting = amounts.get(key)
        if setting and setting.get("rule_version") != rule["version"]:
            setting = None
        status = rule["amount_status"]
        if status == "to_be_set" and setting:
            status = "set_by_jurisdiction"
        out.append({
            "key": key, "version": rule["version"], "rule_hash": rule["rule_hash"], "kind": rule["kind"],
            "title": rule["title"], "basis": rule["basis"], "authority": rule["authority"],
            "amount_fen": amount if isinstance(amount, int) else None,
            "range_fen": [amount["min"], amount["max"]] if isinstance(amount, dict) else None,
            "amount_status": status, "amount_setting": setting, "unit": rule["unit"], "payer": rule["payer"],
            "effective": rule["effective"], "verified": rule["verified"], "policy": rule.get("policy"),
            "jurisdictions": rule["jurisdictions"], "source_file": rule["source_file"],
        })
    return out


# ------------------------------------------------------------------------------------- route entry points

def _inspection_for(session: Session, principal: Principal, inspection_id: Any) -> Inspection:
    # Same scope as the inspection itself (app.inspections.services.can_see): others get 404.
    from app.inspections.services import get_inspection

    return get_inspection(session, principal, inspection_id)


def get_inspection_penalties(session: Session, principal: Principal, inspection_id: Any) -> dict[str, Any]:
    """The penalty breakdown of an inspection the caller may see."""
    return inspection_penalties_view(session, _inspection_for(session, principal, inspection_id))


def recompute_penalties(session: Session, principal: Principal, inspection_id: Any, reason: str,
                        factors: dict[str, Any] | None = None) -> dict[str, Any]:
    """Supervisor/admin: recompute an inspection's penalties on purpose, optionally setting factors (audited)."""
    return recompute_inspection_penalties(session, _inspection_for(session, principal, inspection_id), reason,
                                          factors)


def override_line(session: Session, principal: Principal, inspection_id: Any, line_id: int, amount_fen: int,
                  reason: str) -> dict[str, Any]:
    """Supervisor/admin: override one line's amount within the legal range (audited)."""
    return override_penalty_line(session, _inspection_for(session, principal, inspection_id), line_id,
                                 amount_fen, reason)
