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
   ``per_fire_point``, ``per_item_seized``) come from ``FindingInput.counts``; as all findings of one rule describe
   the same objects, the largest reported count is used (1 when no finding reports one). ``per_failed_measure``
   counts one unit per finding (or its ``failed_measures`` count).
5. Amount (``RuleVersion.amount``): ``Fixed`` → that amount per unit; ``Range`` → the discretion method below;
   ``ToBeSet`` → no amount, status ``blocked_amount_to_be_set`` (issuing stays blocked until an admin sets it; the
   caller passes rules already given a jurisdiction's ``AmountSetting``); measures (no amount) → ``non_monetary``.

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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.penalties.amounts import units
from app.penalties.discretion import discretion_params
from app.penalties.domain import MONETARY_KINDS, FindingInput, PenaltyContext, PenaltyLine, PenaltyResult
from app.penalties.lines import daily_line, measure_line, money_line
from app.penalties.rule_spec import RuleVersion
from app.penalties.rules import all_keys, policy_defaults, rules_in_force

Skipped = list[tuple[str, str]]  # (rule key, reason)


# --------------------------------------------------------------------------- applicability
def _applies_when(rule: RuleVersion, group: list[FindingInput], ctx: PenaltyContext) -> str | None:
    """None if the rule applies; else a reason (English) why not."""
    cond = rule.applies_when
    levels = cond.finder_levels
    if levels is not None and ctx.finder_level is not None and ctx.finder_level not in levels:
        return f"finder level {ctx.finder_level} not in {list(levels)} (000§五(二))"
    if cond.party_kinds is not None:
        kind = ctx.violator.resolved_kind if ctx.violator else None
        if kind is not None and kind not in cond.party_kinds:
            return f"party kind {kind} not in {list(cond.party_kinds)}"
    serious = any(f.serious_consequence for f in group)
    if cond.serious_consequence is not None and cond.serious_consequence != serious:
        return f"serious_consequence is {serious}"
    # 拒不改正: measures such as 责令停工整治 follow only a refused order (a failed re-inspection).
    if (
        cond.only_on_refusal
        and not ctx.is_failed_reinspection
        and not (cond.also_without_refusal_if_serious_consequence and serious)
    ):
        return "only after a refusal to correct (failed re-inspection)"
    return None


# --------------------------------------------------------------------------- policy selection
def _select(
    candidates: dict[str, RuleVersion], ctx: PenaltyContext, defaults: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, tuple[str, str]], Skipped]:
    """Apply policy settings. Returns (kept key -> note), policy used, skipped."""
    kept: dict[str, str] = {}
    skipped: Skipped = []
    by_setting: dict[str, list[str]] = {}
    options: dict[str, str] = {}  # key -> the policy option its rule stands for
    for key, rule in candidates.items():
        if rule.policy is not None:
            by_setting.setdefault(rule.policy.setting, []).append(key)
            options[key] = rule.policy.option
        else:
            kept[key] = ""
    used: dict[str, tuple[str, str]] = {}
    for setting, keys in by_setting.items():
        chosen = ctx.policy.get(setting) or defaults.get(setting)
        matching = [k for k in keys if options[k] == chosen]
        if chosen is not None and matching:  # options are non-empty strings (penalty_rule schema): same test
            used[setting] = (chosen, "")
            for k in keys:
                if k in matching:
                    kept[k] = ""
                else:
                    skipped.append((k, f"policy {setting}={chosen}"))
            continue
        # Chosen option has no applicable rule in force on this date: fall back to the other option(s).
        fallback = sorted({options[k] for k in keys})[0]
        used[setting] = (fallback, chosen or "")
        for k in keys:
            if options[k] == fallback:
                kept[k] = (
                    f"policy {setting}={chosen} has no rule in force on {ctx.inspection_date.isoformat()}; "
                    f"fell back to {fallback}"
                )
            else:
                skipped.append((k, f"policy fallback {setting}={fallback}"))
    return kept, used, skipped


# --------------------------------------------------------------------------- main entry
def _add_findings(groups: dict[str, list[FindingInput]], key: str, findings: Iterable[FindingInput]) -> None:
    """Append findings to ``groups[key]`` (created if absent), each once, in order."""
    group = groups.setdefault(key, [])
    for f in findings:
        if f not in group:
            group.append(f)


def _candidates(
    groups: dict[str, list[FindingInput]], current: dict[str, RuleVersion], known: set[str], ctx: PenaltyContext
) -> tuple[dict[str, RuleVersion], Skipped]:
    """The rule version in force and applicable for each key, and (key, reason) for the keys that have none."""
    candidates: dict[str, RuleVersion] = {}
    skipped: Skipped = []
    for key, group in groups.items():
        rule = current.get(key)
        if key not in known:
            skipped.append((key, "unknown rule key"))
        elif rule is None:
            skipped.append((key, f"no version in force on {ctx.inspection_date.isoformat()}"))
        elif not rule.jurisdictions.covers(ctx.jurisdiction_chain):
            skipped.append((key, "not applicable in this jurisdiction"))
        elif reason := _applies_when(rule, group, ctx):
            skipped.append((key, reason))
        else:
            candidates[key] = rule
    return candidates, skipped


def _money_lines(
    rule: RuleVersion,
    group: list[FindingInput],
    ctx: PenaltyContext,
    params: dict[str, Any],
    policy_note: str,
    skipped: Skipped,
) -> list[PenaltyLine]:
    """The lines of one fine or fiscal deduction: ordinary, or daily on a failed re-inspection (Air Law Art. 123)."""
    key = rule.key
    if not (rule.kind == "statutory_fine" and ctx.is_failed_reinspection and key in ctx.prior_decision_amounts_fen):
        return [money_line(rule, group, ctx, params, policy_note)]
    lines: list[PenaltyLine] = []
    continuing = [f for f in group if not ctx.continuing_items or f.item_key in ctx.continuing_items]
    fresh = [f for f in group if f not in continuing]
    if continuing:
        daily = daily_line(rule, continuing, ctx)
        if daily is not None:
            lines.append(daily)
        else:
            skipped.append((key, "already decided; daily continuous penalty not allowed for this rule"))
    if fresh:  # another item failing under the same rule is a new violation, fined as usual
        lines.append(money_line(rule, fresh, ctx, params, policy_note))
    return lines


def _finding_basis(
    findings: list[FindingInput], candidates: dict[str, RuleVersion], kept: dict[str, str]
) -> dict[str, tuple[tuple[str, str], ...]]:
    """What an order to correct cites for each finding: the articles of the fines the finding draws (first basis
    entry of each), else the plan clauses it enforces (its source refs)."""
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for f in findings:
        fines = [candidates[k] for k in f.penalty_keys if k in kept and candidates[k].kind == "statutory_fine"]
        pairs = [(r.basis[0].ref, r.basis[0].text) for r in fines if r.basis]
        if not pairs:
            pairs = [(ref, "") for ref in f.source_refs]
        out[f.item_key] = tuple(dict.fromkeys(pairs))
    return out


def _measure_lines(
    measure_keys: dict[str, list[FindingInput]],
    current: dict[str, RuleVersion],
    ctx: PenaltyContext,
    lines: list[PenaltyLine],
    skipped: Skipped,
    finding_basis: dict[str, tuple[tuple[str, str], ...]] | None = None,
) -> list[PenaltyLine]:
    """Lines of the measures cited directly or as companions of a fine, each once."""
    out: list[PenaltyLine] = []
    for key in sorted(measure_keys):
        if any(line.rule_key == key for line in lines):
            continue
        measure = current.get(key)
        if measure is None or not measure.jurisdictions.covers(ctx.jurisdiction_chain):
            skipped.append((key, "measure not in force or not applicable here"))
            continue
        reason = _applies_when(measure, measure_keys[key], ctx)
        if reason:
            skipped.append((key, reason))
            continue
        if measure.kind == "confiscation" and units(measure, measure_keys[key], ctx.recorded_counts) == 0:
            skipped.append((key, "the inspector recorded 0 objects seized"))
            continue
        out.append(measure_line(measure, measure_keys[key], ctx, finding_basis))
    return out


def compute_penalties(
    findings: Iterable[FindingInput], ctx: PenaltyContext, rules: Sequence[RuleVersion]
) -> PenaltyResult:
    """Map the failed items of one inspection to penalty lines (see the module docstring for the method)."""
    params = discretion_params(ctx)
    current = rules_in_force(rules, ctx.inspection_date)

    groups: dict[str, list[FindingInput]] = {}
    for finding in findings:
        for key in finding.penalty_keys:
            _add_findings(groups, key, [finding])

    candidates, skipped = _candidates(groups, current, all_keys(rules), ctx)
    kept, used, policy_skipped = _select(candidates, ctx, policy_defaults(rules))
    skipped.extend(policy_skipped)

    lines: list[PenaltyLine] = []
    measure_keys: dict[str, list[FindingInput]] = {}
    for key in sorted(kept):
        rule, group = candidates[key], groups[key]
        if rule.kind in MONETARY_KINDS:
            for companion in rule.companion_measures:
                _add_findings(measure_keys, companion, group)
            lines += _money_lines(rule, group, ctx, params, kept[key], skipped)
        else:
            _add_findings(measure_keys, key, group)
    all_findings: list[FindingInput] = []
    for group in groups.values():
        _add_findings({"all": all_findings}, "all", group)
    basis = _finding_basis(all_findings, candidates, kept)
    lines += _measure_lines(measure_keys, current, ctx, lines, skipped, basis)

    lines.sort(
        key=lambda l: ({"fiscal_deduction": 0, "statutory_fine": 1}.get(l.kind, 2), l.rule_key, l.daily_days or 0)
    )
    policy_used = {setting: option for setting, (option, _requested) in sorted(used.items())}
    return PenaltyResult(tuple(lines), tuple(sorted(set(skipped))), policy_used)
