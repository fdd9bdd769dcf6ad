"""Findings to money: ``compute_penalties(findings, ctx, rules) -> PenaltyResult``.

Pure and deterministic: the same findings, context and rule versions always give the same lines.

How a line is produced
----------------------
1. Each finding lists rule keys (``penalty_keys``, from its checklist item). For each key the version in force on
   ``ctx.inspection_date`` is taken (``rules_in_force``); a key with no version in force is reported in
   ``PenaltyResult.skipped``.
2. The rule must apply to the inspection's jurisdiction chain (``jurisdictions``: a listed code or ``all``) and
   its ``applies_when`` (finder level of 000§五(二), party kind unit/individual, serious consequence, refusal
   to correct).
3. Where national and Henan rules conflict, rules carry ``policy: {setting, option}``; only the option chosen
   in ``ctx.policy`` (else the documented default) is used. If the chosen option has no applicable rule in
   force on the date (e.g. the Henan regulation before 2018-03-01), the other option is used and the
   fallback is explained on the line.
4. Findings are grouped by rule. ``stacking.mode``: ``sum_units`` multiplies the per-unit amount by the units
   counted over all findings (000§五(二): several failed dust measures at one site stack; fire points; machines);
   ``once_per_inspection`` makes one case of one inspection. ``stacking.cap_fen`` caps the total when a source
   sets a cap (none of the shipped sources does). Units that count objects (``per_machine``, ``per_vehicle``,
   ``per_fire_point``, ``per_item_seized``) come from ``Finding.counts``; as all findings of one rule describe
   the same objects, the largest reported count is used (1 when no finding reports one). ``per_failed_measure``
   counts one unit per finding (or its ``failed_measures`` count).
5. Amount: fixed → that amount per unit; range → the discretion method below; ``to_be_set`` → no amount, status
   ``blocked_amount_to_be_set`` (issuing stays blocked until an admin sets it); measures → ``non_monetary``.

Discretion method ``factor_position_v1`` (documented, deterministic, configurable)
------------------------------------------------------------------------------------
The amount is a *position* (0-100 %) inside [min, max]: ``amount = min + (max - min) * position / 100``.
All parameters are integers in ``DEFAULT_DISCRETION`` and may be overridden per jurisdiction through
``ctx.policy["discretion"]`` (a dict with the same keys). Henan's own benchmark formula (豫环文〔2020〕177号)
was not available (penalties.md §5), so this method is ours; it lists factor levels like Henan decisions do.

* severity of the finding (the checklist item's severity): info 0, low 25, medium 50, high 75, critical 100
  is the starting position (the most severe finding of the group counts);
* several failed items merged into one case: +10 per extra finding (at most +30);
* repeat offence (same site and item penalised within the window, default 2 years; the caller counts prior
  penalties into ``ctx.repeat_offences``): +25 per prior penalty (at most +50);
* cooperation with the investigation: -10; prompt correction (行政处罚法 Art. 32(一) 主动消除或者减轻危害后果,
  应当从轻): -15;
* heavy-pollution alert in force at or above ``alert_upper_end_from`` (default yellow, i.e. any alert:
  003§一(二)3 "应急预警期间…上限处罚"; 003#38 orange+ "从严从重"): position 100, the upper end, overriding all
  else;
* the position is clamped to 0..100.

First offence (行政处罚法 Art. 33 "初次违法且危害后果轻微并及时改正的，可以不予行政处罚"): when
``ctx.first_offence_slight_harm`` and ``ctx.prompt_correction`` are both set, the finding is no repeat and
policy ``discretion.first_offence_exempt`` is on (default on), a statutory fine becomes ``exempt`` (0 fen).
Fiscal deductions are plan rules, not administrative penalties, and are never exempt.

Rounding: amounts are integer fen; a range position is rounded **half up to a whole yuan** (100 fen), the rule
Henan's benchmark states ("罚款金额按照'四舍五入'取整到元", penalties.md §5), then kept inside [min, max].

Daily continuous penalties (按日连续处罚)
----------------------------------------
Only for rules whose ``daily_continuous.allowed`` is true (Air Law Art. 123 categories; Henan Art. 76; Art. 79
yards under Art. 123(四)). When the context is a failed re-inspection (``order_to_correct_date`` and a later
``reinspection_date``) and ``ctx.prior_decision_amounts_fen`` holds the original fine for the rule, a
``per_day`` line is computed: days are counted from the day after the order to correct through the
re-inspection date (``(reinspection_date - order_to_correct_date).days``), amount = original amount × days
("按照原处罚数额按日连续处罚"). The original fine itself is not charged again. When ``ctx.continuing_items`` is
set, only findings of those items continue the ordered violation; other items failing under the same rule are
new violations and get an ordinary line. Measures marked
``only_on_refusal`` (停工整治 etc.) are emitted only on such a failed re-inspection.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Iterable, Mapping

from app.errors import FieldError, RuleViolation, ValidationFailed
from app.penalties.rules import MONETARY_KINDS, all_keys, policy_defaults, rules_in_force
from app.vocabulary import ALERT_RANK, ALERT_ZH

SEVERITY_POSITION = {"info": 0, "low": 25, "medium": 50, "high": 75, "critical": 100}
# Level of the supervision team that found the problem (000§五(二)).
FINDER_LEVELS = ("national", "provincial", "city", "district", "town")

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
}

UNIT_COUNT_KEY = {
    "per_machine": "machines",
    "per_vehicle": "vehicles",
    "per_fire_point": "fire_points",
    "per_item_seized": "items_seized",
    "per_failed_measure": "failed_measures",
}
# Units that count physical objects (as opposed to failed measures, one per finding).
OBJECT_COUNT_KEYS = frozenset({"machines", "vehicles", "fire_points", "items_seized"})
FACTOR_ZH = {
    "severity": "违法情节", "failed_items_in_case": "同案不合格项数", "repeat_offence": "两年内同类违法",
    "cooperation": "配合调查", "prompt_correction": "及时改正", "heavy_pollution_alert": "重污染天气预警",
}
UNIT_ZH = {
    "per_case": "起", "per_failed_measure": "项未落实措施", "per_machine": "台机械", "per_vehicle": "辆车",
    "per_fire_point": "个火点", "per_day": "日", "per_item_seized": "件物品",
}
UNIT_EN = {
    "per_case": "case(s)", "per_failed_measure": "failed measure(s)", "per_machine": "machine(s)",
    "per_vehicle": "vehicle(s)", "per_fire_point": "fire point(s)", "per_day": "day(s)",
    "per_item_seized": "item(s) seized",
}


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class Finding:
    """One failed checklist item of an inspection."""

    checklist_key: str
    item_key: str
    penalty_keys: tuple[str, ...]
    source_refs: tuple[str, ...] = ()
    # Counted units by name: machines, vehicles, fire_points, items_seized, failed_measures (default 1 each).
    counts: Mapping[str, int] = field(default_factory=dict)
    severity: str = "medium"  # checklist vocabulary: info | low | medium | high | critical
    serious_consequence: bool = False  # 造成严重后果 (Henan Art. 79), decided by the inspector/supervisor


@dataclass(frozen=True)
class Party:
    """The violator. ``kind`` is ``unit`` (has a 统一社会信用代码) or ``individual``."""

    name: str
    credit_code: str | None = None
    kind: str | None = None

    @property
    def resolved_kind(self) -> str | None:
        if self.kind:
            return self.kind
        return "unit" if self.credit_code else None


@dataclass(frozen=True)
class JurisdictionRef:
    code: str
    name: str


@dataclass(frozen=True)
class PenaltyContext:
    inspection_date: date
    jurisdiction_chain: tuple[str, ...]  # e.g. ("410000", "410800", "410811", "410811001")
    responsible_subdistrict: JurisdictionRef | None = None
    violator: Party | None = None
    alert_level: str | None = None  # none | blue | yellow | orange | red
    repeat_offences: Mapping[str, int] = field(default_factory=dict)  # item_key -> prior penalties in window
    cooperation: bool = False
    prompt_correction: bool = False
    first_offence_slight_harm: bool = False
    policy: Mapping[str, Any] = field(default_factory=dict)  # setting -> option; "discretion" -> dict
    order_to_correct_date: date | None = None
    reinspection_date: date | None = None
    prior_decision_amounts_fen: Mapping[str, int] = field(default_factory=dict)  # rule_key -> original fine
    finder_level: str | None = None  # national | provincial | city | district | town (000§五(二))
    # Items the order to correct was about (failed at the earlier inspection). Empty: every finding continues
    # the ordered violation. Findings of other items are new violations and get ordinary lines.
    continuing_items: frozenset[str] = frozenset()

    @property
    def is_failed_reinspection(self) -> bool:
        return (self.order_to_correct_date is not None and self.reinspection_date is not None
                and self.reinspection_date > self.order_to_correct_date)


# --------------------------------------------------------------------------- outputs
@dataclass(frozen=True)
class Payer:
    type: str  # violator | responsible_jurisdiction
    code: str | None
    name: str | None


@dataclass(frozen=True)
class Factor:
    name: str
    level: str
    effect: str  # e.g. "+25%", "upper end", "exempt", "n/a (fixed amount)"


@dataclass(frozen=True)
class Override:
    amount_before_fen: int | None
    amount_after_fen: int
    reason: str
    by: str | None = None


@dataclass(frozen=True)
class PenaltyLine:
    rule_key: str
    rule_version: str
    rule_hash: str
    kind: str
    title_zh: str
    title_en: str
    payer: Payer
    basis: tuple[tuple[str, str], ...]  # (ref, quoted text)
    authority_zh: str
    authority_en: str
    unit: str
    counted_units: int
    base_amount_fen: int | None  # per unit (fixed amount, or the discretion result inside the range)
    range_fen: tuple[int, int] | None  # legal range per unit (None for fixed / no amount)
    factors: tuple[Factor, ...]
    amount_fen: int | None
    status: str  # computed | blocked_amount_to_be_set | exempt | non_monetary
    explanation_zh: tuple[str, ...]
    explanation_en: tuple[str, ...]
    source_refs: tuple[str, ...]
    item_keys: tuple[str, ...]
    verified: bool
    blocking_reasons: tuple[str, ...] = ()  # amount_to_be_set | payer_unresolved | party_kind_unknown | unverified
    daily_days: int | None = None
    override: Override | None = None

    @property
    def legal_total_range_fen(self) -> tuple[int, int] | None:
        """Lowest and highest lawful total for this line (per-unit range × units, or the fixed total)."""
        if self.range_fen is not None:
            lo, hi = self.range_fen
        elif self.base_amount_fen is not None:
            lo = hi = self.base_amount_fen
        else:
            return None
        mult = self.counted_units
        return lo * mult, hi * mult

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_key": self.rule_key, "rule_version": self.rule_version, "rule_hash": self.rule_hash,
            "kind": self.kind, "title": {"zh": self.title_zh, "en": self.title_en},
            "payer": {"type": self.payer.type, "code": self.payer.code, "name": self.payer.name},
            "basis": [{"ref": r, "text": t} for r, t in self.basis],
            "authority": {"zh": self.authority_zh, "en": self.authority_en},
            "unit": self.unit, "counted_units": self.counted_units,
            "base_amount_fen": self.base_amount_fen,
            "range_fen": list(self.range_fen) if self.range_fen else None,
            "factors": [{"name": f.name, "level": f.level, "effect": f.effect} for f in self.factors],
            "amount_fen": self.amount_fen, "status": self.status,
            "explanation": {"zh": list(self.explanation_zh), "en": list(self.explanation_en)},
            "source_refs": list(self.source_refs), "item_keys": list(self.item_keys),
            "verified": self.verified, "blocking_reasons": list(self.blocking_reasons),
            "daily_days": self.daily_days,
            "override": None if self.override is None else {
                "amount_before_fen": self.override.amount_before_fen,
                "amount_after_fen": self.override.amount_after_fen,
                "reason": self.override.reason, "by": self.override.by},
        }


@dataclass(frozen=True)
class PenaltyResult:
    lines: tuple[PenaltyLine, ...]
    skipped: tuple[tuple[str, str], ...]  # (rule key, reason) for keys that produced no line
    policy_used: Mapping[str, str]

    @property
    def blocking(self) -> tuple[PenaltyLine, ...]:
        return tuple(line for line in self.lines if line.blocking_reasons)

    @property
    def issuable(self) -> bool:
        return not self.blocking

    def total_fen(self, kind: str) -> int:
        return sum(line.amount_fen or 0 for line in self.lines if line.kind == kind)

    @property
    def total_fiscal_fen(self) -> int:
        return self.total_fen("fiscal_deduction")

    @property
    def total_fines_fen(self) -> int:
        return self.total_fen("statutory_fine")


# --------------------------------------------------------------------------- helpers
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


def _discretion_params(ctx: PenaltyContext) -> dict[str, Any]:
    params = dict(DEFAULT_DISCRETION)
    params.update(dict(ctx.policy.get("discretion", {}) or {}))
    return params


def _count(finding: Finding, unit: str) -> int:
    key = UNIT_COUNT_KEY.get(unit)
    if key is None:
        return 1
    value = finding.counts.get(key, 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed("计数必须为非负整数", "Counts must be non-negative integers",
                               errors=[FieldError(f"{finding.item_key}.counts.{key}", "bad_count",
                                                  "计数必须为非负整数", "Count must be a non-negative integer")])
    return value


def _jurisdiction_ok(rule: dict[str, Any], ctx: PenaltyContext) -> bool:
    codes = rule["jurisdictions"]
    return "all" in codes or any(code in codes for code in ctx.jurisdiction_chain)


def _applies_when(rule: dict[str, Any], group: list[Finding], ctx: PenaltyContext) -> str | None:
    """None if the rule applies; else a reason (English) why not."""
    cond = rule.get("applies_when") or {}
    if "finder_levels" in cond and ctx.finder_level is not None and ctx.finder_level not in cond["finder_levels"]:
        return f"finder level {ctx.finder_level} not in {cond['finder_levels']} (000§五(二))"
    if "party_kinds" in cond:
        kind = ctx.violator.resolved_kind if ctx.violator else None
        if kind is not None and kind not in cond["party_kinds"]:
            return f"party kind {kind} not in {cond['party_kinds']}"
    serious = any(f.serious_consequence for f in group)
    if "serious_consequence" in cond and cond["serious_consequence"] != serious:
        return f"serious_consequence is {serious}"
    if (cond.get("only_on_refusal") and not ctx.is_failed_reinspection
            and not (cond.get("also_without_refusal_if_serious_consequence") and serious)):
        return "only after a refusal to correct (failed re-inspection)"
    return None


def _payer(rule: dict[str, Any], ctx: PenaltyContext) -> Payer:
    if rule["payer"] == "responsible_jurisdiction":
        sub = ctx.responsible_subdistrict
        return Payer("responsible_jurisdiction", sub.code if sub else None, sub.name if sub else None)
    party = ctx.violator
    return Payer("violator", party.credit_code if party else None, party.name if party else None)


# --------------------------------------------------------------------------- discretion
def _discretion(rule: dict[str, Any], group: list[Finding], ctx: PenaltyContext,
                params: dict[str, Any]) -> tuple[int, list[Factor], list[str], list[str]]:
    """Position (0..100) inside the range, the factors used and explanation lines (zh, en)."""
    factors: list[Factor] = []
    zh: list[str] = []
    en: list[str] = []
    severity = max((f.severity for f in group), key=lambda s: SEVERITY_POSITION.get(s, 50))
    position = SEVERITY_POSITION.get(severity, 50)
    factors.append(Factor("severity", severity, f"start {position}%"))
    extra = len(group) - 1
    if extra > 0 and rule["stacking"]["mode"] == "once_per_inspection":
        delta = min(extra * params["extra_finding_pct"], params["extra_finding_cap_pct"])
        position += delta
        factors.append(Factor("failed_items_in_case", str(len(group)), f"+{delta}%"))
    repeats = max((ctx.repeat_offences.get(f.item_key, 0) for f in group), default=0)
    if repeats > 0:
        delta = min(repeats * params["repeat_pct"], params["repeat_cap_pct"])
        position += delta
        factors.append(Factor("repeat_offence", f"{repeats} prior within {params['repeat_window_days']} days",
                              f"+{delta}%"))
    else:
        factors.append(Factor("repeat_offence", "none", "0%"))
    if ctx.cooperation:
        position += params["cooperation_pct"]
        factors.append(Factor("cooperation", "yes", f"{params['cooperation_pct']}%"))
    if ctx.prompt_correction:
        position += params["prompt_correction_pct"]
        factors.append(Factor("prompt_correction", "yes", f"{params['prompt_correction_pct']}%"))
    alert = ctx.alert_level or "none"
    threshold = params["alert_upper_end_from"]
    if ALERT_RANK.get(alert, 0) >= ALERT_RANK[threshold] and alert != "none":
        position = 100
        factors.append(Factor("heavy_pollution_alert", alert, "upper end (003§一(二)3, 003#38)"))
        zh.append(f"重污染天气{ALERT_ZH.get(alert, alert)}预警期间，按上限处罚（003§一(二)3、003#38）。")
        en.append(f"{alert.capitalize()} heavy-pollution alert in force: upper end of the range (003§一(二)3, 003#38).")
    else:
        factors.append(Factor("heavy_pollution_alert", alert, "0%"))
    position = max(0, min(100, position))
    return position, factors, zh, en


def _amount_in_range(lo: int, hi: int, position: int) -> int:
    # lo + (hi - lo) * position / 100, rounded half up to whole yuan, then clamped to [lo, hi].
    value = round_half_up_to_yuan(lo * 100 + (hi - lo) * position, 100)
    return max(lo, min(hi, value))


def _first_offence_exempt(group: list[Finding], ctx: PenaltyContext, params: dict[str, Any]) -> bool:
    if not params["first_offence_exempt"]:
        return False
    if not (ctx.first_offence_slight_harm and ctx.prompt_correction):
        return False
    return all(ctx.repeat_offences.get(f.item_key, 0) == 0 for f in group)


# --------------------------------------------------------------------------- policy selection
def _select(candidates: dict[str, dict[str, Any]], ctx: PenaltyContext, defaults: Mapping[str, str]) -> tuple[dict[str, str], dict[str, tuple[str, str]], list[tuple[str, str]]]:
    """Apply policy settings. Returns (kept key -> note), policy used, skipped."""
    kept: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    by_setting: dict[str, list[str]] = {}
    for key, rule in candidates.items():
        policy = rule.get("policy")
        if policy:
            by_setting.setdefault(policy["setting"], []).append(key)
        else:
            kept[key] = ""
    used: dict[str, tuple[str, str]] = {}
    for setting, keys in by_setting.items():
        chosen = ctx.policy.get(setting) or defaults.get(setting)
        matching = [k for k in keys if candidates[k]["policy"]["option"] == chosen]
        if chosen is not None and matching:  # options are non-empty strings (penalty_rule schema): same test
            used[setting] = (chosen, "")
            for k in keys:
                if k in matching:
                    kept[k] = ""
                else:
                    skipped.append((k, f"policy {setting}={chosen}"))
            continue
        # Chosen option has no applicable rule in force on this date: fall back to the other option(s).
        others = sorted({candidates[k]["policy"]["option"] for k in keys})
        fallback = others[0]
        used[setting] = (fallback, chosen or "")
        for k in keys:
            if candidates[k]["policy"]["option"] == fallback:
                kept[k] = (f"policy {setting}={chosen} has no rule in force on {ctx.inspection_date.isoformat()}; "
                           f"fell back to {fallback}")
            else:
                skipped.append((k, f"policy fallback {setting}={fallback}"))
    return kept, used, skipped


# --------------------------------------------------------------------------- main entry
def _add_findings(groups: dict[str, list[Finding]], key: str, findings: Iterable[Finding]) -> None:
    """Append findings to ``groups[key]`` (created if absent), each once, in order."""
    group = groups.setdefault(key, [])
    for f in findings:
        if f not in group:
            group.append(f)


def _candidates(groups: dict[str, list[Finding]], current: dict[str, dict[str, Any]], known: set[str],
                ctx: PenaltyContext) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """The rule version in force and applicable for each key, and (key, reason) for the keys that have none."""
    candidates: dict[str, dict[str, Any]] = {}
    skipped: list[tuple[str, str]] = []
    for key, group in groups.items():
        rule = current.get(key)
        if key not in known:
            skipped.append((key, "unknown rule key"))
        elif rule is None:
            skipped.append((key, f"no version in force on {ctx.inspection_date.isoformat()}"))
        elif not _jurisdiction_ok(rule, ctx):
            skipped.append((key, "not applicable in this jurisdiction"))
        elif reason := _applies_when(rule, group, ctx):
            skipped.append((key, reason))
        else:
            candidates[key] = rule
    return candidates, skipped


def compute_penalties(findings: Iterable[Finding], ctx: PenaltyContext,
                      rules: list[dict[str, Any]]) -> PenaltyResult:
    """Map the failed items of one inspection to penalty lines (see the module docstring for the method)."""
    findings = list(findings)
    params = _discretion_params(ctx)
    if params["alert_upper_end_from"] not in ALERT_RANK:
        raise ValidationFailed("预警等级设置无效", "Invalid alert threshold setting",
                               errors=[FieldError("policy.discretion.alert_upper_end_from", "bad_value",
                                                  "预警等级设置无效", "Invalid alert level")])
    defaults = policy_defaults(rules)
    current = rules_in_force(rules, ctx.inspection_date)
    known = all_keys(rules)

    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        for key in finding.penalty_keys:
            _add_findings(groups, key, [finding])

    candidates, skipped = _candidates(groups, current, known, ctx)
    kept, used, policy_skipped = _select(candidates, ctx, defaults)
    skipped.extend(policy_skipped)

    lines: list[PenaltyLine] = []
    measure_keys: dict[str, list[Finding]] = {}
    for key in sorted(kept):
        rule = candidates[key]
        group = groups[key]
        if rule["kind"] in MONETARY_KINDS:
            for companion in rule.get("companion_measures", []):
                _add_findings(measure_keys, companion, group)
            if rule["kind"] == "statutory_fine" and ctx.is_failed_reinspection and key in ctx.prior_decision_amounts_fen:
                continuing = [f for f in group if not ctx.continuing_items or f.item_key in ctx.continuing_items]
                fresh = [f for f in group if f not in continuing]
                if continuing:
                    daily = _daily_line(rule, continuing, ctx)
                    if daily is not None:
                        lines.append(daily)
                    else:
                        skipped.append((key, "already decided; daily continuous penalty not allowed for this rule"))
                if fresh:  # another item failing under the same rule is a new violation, fined as usual
                    lines.append(_money_line(rule, fresh, ctx, params, kept[key]))
                continue
            lines.append(_money_line(rule, group, ctx, params, kept[key]))
        else:
            _add_findings(measure_keys, key, group)

    for key in sorted(measure_keys):
        if any(line.rule_key == key for line in lines):
            continue
        measure = current.get(key)
        if measure is None or not _jurisdiction_ok(measure, ctx):
            skipped.append((key, "measure not in force or not applicable here"))
            continue
        reason = _applies_when(measure, measure_keys[key], ctx)
        if reason:
            skipped.append((key, reason))
            continue
        lines.append(_measure_line(measure, measure_keys[key], ctx))

    lines.sort(key=lambda l: ({"fiscal_deduction": 0, "statutory_fine": 1}.get(l.kind, 2), l.rule_key,
                              l.daily_days or 0))
    policy_used = {setting: option for setting, (option, _requested) in sorted(used.items())}
    return PenaltyResult(tuple(lines), tuple(sorted(set(skipped))), policy_used)


def _common(rule: dict[str, Any], group: list[Finding]) -> dict[str, Any]:
    return {
        "rule_key": rule["key"], "rule_version": rule["version"], "rule_hash": rule["rule_hash"],
        "kind": rule["kind"], "title_zh": rule["title"]["zh"], "title_en": rule["title"]["en"],
        "basis": tuple((b["ref"], b["text"]) for b in rule["basis"]),
        "authority_zh": rule["authority"]["zh"], "authority_en": rule["authority"]["en"],
        "source_refs": tuple(sorted({ref for f in group for ref in f.source_refs})),
        "item_keys": tuple(sorted({f.item_key for f in group})),
        "verified": bool(rule["verified"]["status"]),
    }


def _units(rule: dict[str, Any], group: list[Finding]) -> int:
    if rule["stacking"]["mode"] == "once_per_inspection":
        return 1
    key = UNIT_COUNT_KEY.get(rule["unit"])
    if key is not None and key in OBJECT_COUNT_KEYS:
        # Counted objects (machines, vehicles, fire points, items seized): the findings of one rule describe
        # the same objects (e.g. "no fire point" failed and "fire points found: 3"), so the largest count
        # reported wins; findings that report no count stand for one object together.
        reported = [_count(f, rule["unit"]) for f in group if key in f.counts]
        return max(reported) if reported else 1
    return sum(_count(f, rule["unit"]) for f in group)


def _basis_lines(rule: dict[str, Any]) -> tuple[list[str], list[str]]:
    refs = "；".join(b["ref"] for b in rule["basis"])
    return [f"依据：{refs}。"], [f"Basis: {refs}."]


def _money_line(rule: dict[str, Any], group: list[Finding], ctx: PenaltyContext, params: dict[str, Any],
                policy_note: str) -> PenaltyLine:
    zh, en = _basis_lines(rule)
    payer = _payer(rule, ctx)
    units = _units(rule, group)
    blocking: list[str] = []
    if payer.name is None and payer.code is None:
        blocking.append("payer_unresolved")
        zh.append("缴纳方未确定（需先确定责任街道/乡镇或当事人）。")
        en.append("Payer not resolved (responsible sub-district/town or party needed).")
    cond = rule.get("applies_when") or {}
    if "party_kinds" in cond and (ctx.violator is None or ctx.violator.resolved_kind is None):
        blocking.append("party_kind_unknown")
        zh.append("当事人为单位或个人未确定，幅度取决于此。")
        en.append("Whether the party is an organisation or an individual is unknown; the range depends on it.")
    if "finder_levels" in cond and ctx.finder_level is None:
        zh.append("提示：000§五(二)适用于国家、省、市环保督导组发现的问题；本次发现主体未记录，请复核。")
        en.append("Note: 000§五(二) applies to problems found by national/provincial/city supervision teams; "
                  "the finder was not recorded, please check.")
    if not rule["verified"]["status"]:
        blocking.append("unverified")
        zh.append(f"本规则未经核实（{rule['verified']['source']}），须管理员确认后方可引用。")
        en.append(f"Rule not verified ({rule['verified']['source']}); an admin must confirm it before it is cited.")
    if policy_note:
        zh.append(f"政策设置回退：{policy_note}。")
        en.append(f"Policy fallback: {policy_note}.")
    unit_zh, unit_en = UNIT_ZH[rule["unit"]], UNIT_EN[rule["unit"]]
    common = _common(rule, group)

    if rule["amount_status"] == "to_be_set":
        blocking.insert(0, "amount_to_be_set")
        zh.append("金额由辖区设定，尚未设定：在管理员设定前不能出具。")
        en.append("Amount to be set by the jurisdiction and not yet set: issuing is blocked until an admin sets it.")
        return PenaltyLine(**common, payer=payer, unit=rule["unit"], counted_units=units, base_amount_fen=None,
                           range_fen=None, factors=(), amount_fen=None, status="blocked_amount_to_be_set",
                           explanation_zh=tuple(zh), explanation_en=tuple(en), blocking_reasons=tuple(blocking))

    amount = rule["amount"]
    factors: list[Factor] = []
    range_fen: tuple[int, int] | None = None
    if rule["kind"] == "statutory_fine" and _first_offence_exempt(group, ctx, params):
        factors.append(Factor("first_offence_slight_harm_corrected", "yes", "exempt (行政处罚法第三十三条)"))
        zh.append("初次违法且危害后果轻微并及时改正，依行政处罚法第三十三条不予行政处罚（应进行教育）。")
        en.append("First offence, slight harm, promptly corrected: no penalty under Administrative Penalty Law "
                  "Art. 33 (the party is to be educated).")
        if isinstance(amount, dict):
            range_fen = (amount["min"], amount["max"])
        return PenaltyLine(**common, payer=payer, unit=rule["unit"], counted_units=units,
                           base_amount_fen=amount if isinstance(amount, int) else None, range_fen=range_fen,
                           factors=tuple(factors), amount_fen=0, status="exempt",
                           explanation_zh=tuple(zh), explanation_en=tuple(en),
                           blocking_reasons=tuple(b for b in blocking if b != "party_kind_unknown"))
    if isinstance(amount, int):
        per_unit = amount
        factors.append(Factor("amount", "fixed", "n/a (fixed amount)"))
    else:
        lo, hi = amount["min"], amount["max"]
        range_fen = (lo, hi)
        position, factors, dzh, den = _discretion(rule, group, ctx, params)
        per_unit = _amount_in_range(lo, hi, position)
        zh.append("裁量因素：" + "；".join(f"{FACTOR_ZH.get(f.name, f.name)}={f.level}（{f.effect}）" for f in factors) + "。")
        en.append("Discretion factors: " + "; ".join(f"{f.name}={f.level} ({f.effect})" for f in factors) + ".")
        zh.extend(dzh)
        en.extend(den)
        zh.append(f"法定幅度 {yuan(lo)}–{yuan(hi)} 元，裁量位置 {position}%，四舍五入取整到元：{yuan(per_unit)} 元。")
        en.append(f"Legal range {yuan(lo)}–{yuan(hi)} yuan, discretion position {position}%, "
                  f"rounded half up to whole yuan: {yuan(per_unit)} yuan.")
    total = per_unit * units
    cap = rule["stacking"]["cap_fen"]
    if cap is not None and total > cap:
        zh.append(f"合计超过上限，按上限 {yuan(cap)} 元计。")
        en.append(f"Total exceeds the cap; capped at {yuan(cap)} yuan.")
        total = cap
    zh.append(f"计数：{units} {unit_zh} × {yuan(per_unit)} 元 = {yuan(total)} 元。")
    en.append(f"Count: {units} {unit_en} × {yuan(per_unit)} yuan = {yuan(total)} yuan.")
    if payer.name:
        who_zh = "责任单位" if payer.type == "responsible_jurisdiction" else "当事人"
        who_en = "Charged to the responsible unit" if payer.type == "responsible_jurisdiction" else "Payable by"
        zh.append(f"{who_zh}：{payer.name}" + (f"（{payer.code}）" if payer.code else "") + "。")
        en.append(f"{who_en}: {payer.name}" + (f" ({payer.code})" if payer.code else "") + ".")
    if rule["kind"] == "statutory_fine" and not rule["daily_continuous"]["allowed"]:
        zh.append("本规则不适用按日连续处罚。")
        en.append("Daily continuous penalties do not apply to this rule.")
    return PenaltyLine(**common, payer=payer, unit=rule["unit"], counted_units=units, base_amount_fen=per_unit,
                       range_fen=range_fen, factors=tuple(factors), amount_fen=total, status="computed",
                       explanation_zh=tuple(zh), explanation_en=tuple(en), blocking_reasons=tuple(blocking))


def _daily_line(rule: dict[str, Any], group: list[Finding], ctx: PenaltyContext) -> PenaltyLine | None:
    if not rule["daily_continuous"]["allowed"]:
        return None
    assert ctx.order_to_correct_date is not None and ctx.reinspection_date is not None
    days = (ctx.reinspection_date - ctx.order_to_correct_date).days  # from the day after the order, inclusive
    original = ctx.prior_decision_amounts_fen[rule["key"]]
    if isinstance(original, bool) or not isinstance(original, int) or original < 0:
        raise ValidationFailed("原处罚数额必须为整数（分）", "Original fine must be integer fen",
                               errors=[FieldError(f"prior_decision_amounts_fen.{rule['key']}", "bad_amount",
                                                  "原处罚数额必须为非负整数（分）", "Must be a non-negative integer (fen)")])
    refs = "；".join(b["ref"] for b in rule["daily_continuous"].get("basis", []))
    start = date.fromordinal(ctx.order_to_correct_date.toordinal() + 1)
    total = original * days
    payer = _payer(rule, ctx)
    zh = [f"按日连续处罚依据：{refs}。",
          f"责令改正日 {ctx.order_to_correct_date.isoformat()}，复查日 {ctx.reinspection_date.isoformat()} 仍未改正；"
          f"自次日 {start.isoformat()} 起计 {days} 日。",
          f"按照原处罚数额 {yuan(original)} 元 × {days} 日 = {yuan(total)} 元。"]
    en = [f"Daily continuous penalty basis: {refs}.",
          f"Ordered to correct on {ctx.order_to_correct_date.isoformat()}, still failing at re-inspection on "
          f"{ctx.reinspection_date.isoformat()}; {days} day(s) counted from {start.isoformat()}.",
          f"Original fine {yuan(original)} yuan × {days} day(s) = {yuan(total)} yuan."]
    blocking: tuple[str, ...] = () if (payer.name or payer.code) else ("payer_unresolved",)
    if not rule["verified"]["status"]:
        blocking = blocking + ("unverified",)
    return PenaltyLine(**_common(rule, group), payer=payer, unit="per_day", counted_units=days,
                       base_amount_fen=original, range_fen=None,
                       factors=(Factor("daily_continuous", f"{days} days", f"× {days}"),),
                       amount_fen=total, status="computed", explanation_zh=tuple(zh), explanation_en=tuple(en),
                       blocking_reasons=blocking, daily_days=days)


def _measure_line(rule: dict[str, Any], group: list[Finding], ctx: PenaltyContext) -> PenaltyLine:
    zh, en = _basis_lines(rule)
    units = _units(rule, group)
    zh.append(f"措施：{rule['title']['zh']}（{units} {UNIT_ZH[rule['unit']]}）。")
    en.append(f"Measure: {rule['title']['en']} ({units} {UNIT_EN[rule['unit']]}).")
    return PenaltyLine(**_common(rule, group), payer=_payer(rule, ctx), unit=rule["unit"], counted_units=units,
                       base_amount_fen=None, range_fen=None, factors=(), amount_fen=None, status="non_monetary",
                       explanation_zh=tuple(zh), explanation_en=tuple(en))


# --------------------------------------------------------------------------- supervisor override
def apply_override(line: PenaltyLine, amount_fen: int, reason: str, *, by: str | None = None) -> PenaltyLine:
    """A supervisor sets the amount of a monetary line within its legal range, with a written reason.

    The legal range is the rule's per-unit range (or fixed amount) times the counted units. 0 is allowed for a
    statutory fine only (不予行政处罚, 行政处罚法 Art. 33) and makes the line ``exempt``. Lines whose rule has no
    amount (``blocked_amount_to_be_set``) cannot be overridden: an admin sets the rule's amount instead.
    Auditing the override is the caller's job (it persists ``line.override``).
    """
    errors: list[FieldError] = []
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        errors.append(FieldError("amount_fen", "not_integer_fen", "金额必须为整数（分），不得使用浮点数",
                                 "Amount must be an integer number of fen, never a float"))
    if not isinstance(reason, str) or len(reason.strip()) < 4:
        errors.append(FieldError("reason", "reason_required", "调整金额必须填写书面理由",
                                 "A written reason is required to override an amount"))
    if errors:
        raise ValidationFailed("调整无效", "Invalid override", errors=errors)
    if line.kind not in MONETARY_KINDS:
        raise RuleViolation("非罚款类措施不能调整金额", "Non-monetary measures have no amount to override",
                            code="override_not_monetary")
    if line.status == "blocked_amount_to_be_set":
        raise RuleViolation("规则金额未设定，须由管理员先设定", "The rule has no amount yet; an admin must set it first",
                            code="override_amount_to_be_set")
    legal = line.legal_total_range_fen
    assert legal is not None
    lo, hi = legal
    exempting = amount_fen == 0 and line.kind == "statutory_fine"
    if not exempting and not (lo <= amount_fen <= hi):
        raise RuleViolation(
            f"金额 {yuan(amount_fen)} 元超出法定幅度 {yuan(lo)}–{yuan(hi)} 元",
            f"Amount {yuan(amount_fen)} yuan is outside the legal range {yuan(lo)}–{yuan(hi)} yuan",
            code="override_out_of_range", extra={"range_fen": [lo, hi]})
    reason = reason.strip()
    zh = line.explanation_zh + (f"审核人调整金额：{yuan(line.amount_fen or 0)} 元 → {yuan(amount_fen)} 元；理由：{reason}",)
    en = line.explanation_en + (f"Supervisor override: {yuan(line.amount_fen or 0)} → {yuan(amount_fen)} yuan; "
                                f"reason: {reason}",)
    return replace(line, amount_fen=amount_fen, status="exempt" if exempting else "computed",
                   override=Override(line.amount_fen, amount_fen, reason, by),
                   explanation_zh=zh, explanation_en=en)


def repeat_count(prior_penalty_dates: Iterable[date], on_date: date, window_days: int = 730) -> int:
    """Prior penalties for the same site and item within the window before ``on_date`` (default 2 years)."""
    return sum(1 for d in prior_penalty_dates if 0 < (on_date - d).days <= window_days)
