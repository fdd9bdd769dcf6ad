"""One penalty line from one rule and the findings that cite it; a supervisor's override (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from app.errors import FieldError, RuleViolation, ValidationFailed
from app.penalties import amounts, discretion, explanation
from app.penalties.amounts import yuan
from app.penalties.domain import MONETARY_KINDS, Factor, FindingInput, Override, Payer, PenaltyContext, PenaltyLine
from app.penalties.explanation import Sentence
from app.penalties.rule_spec import Fixed, Range, RuleVersion, ToBeSet


def payer_for(rule: RuleVersion, ctx: PenaltyContext) -> Payer:
    """Fiscal deductions fall on the responsible sub-district (000§五(二)); fines on the violator."""
    if rule.payer == "responsible_jurisdiction":
        sub = ctx.responsible_subdistrict
        return Payer("responsible_jurisdiction", sub.code if sub else None, sub.name if sub else None)
    party = ctx.violator
    return Payer("violator", party.credit_code if party else None, party.name if party else None)


def _common(rule: RuleVersion, group: list[FindingInput]) -> dict[str, Any]:
    return {
        "rule_key": rule.key,
        "rule_version": rule.version,
        "rule_hash": rule.rule_hash,
        "kind": rule.kind,
        "title_zh": rule.title.zh,
        "title_en": rule.title.en,
        "basis": tuple((b.ref, b.text) for b in rule.basis),
        "authority_zh": rule.authority.zh,
        "authority_en": rule.authority.en,
        "source_refs": tuple(sorted({ref for f in group for ref in f.source_refs})),
        "item_keys": tuple(sorted({f.item_key for f in group})),
        "verified": rule.verified.status,
    }


def _preamble(
    rule: RuleVersion, ctx: PenaltyContext, payer: Payer, policy_note: str, params: dict[str, Any]
) -> tuple[list[Sentence], list[str]]:
    """The opening sentences of a money line and what blocks issuing it."""
    sentences = [explanation.basis(b.ref for b in rule.basis)]
    blocking: list[str] = []
    if payer.name is None and payer.code is None:
        blocking.append("payer_unresolved")
        sentences.append(explanation.payer_unresolved())
    cond = rule.applies_when
    if cond.party_kinds is not None and (ctx.violator is None or ctx.violator.resolved_kind is None):
        blocking.append("party_kind_unknown")
        sentences.append(explanation.party_kind_unknown())
    if cond.finder_levels is not None and ctx.finder_level is None:
        # 000§五(二) charges only problems found by national/provincial/city teams: an unknown finder blocks the
        # line until someone records it, unless the jurisdiction's settings say to charge anyway (named source).
        if params.get("charge_fiscal_when_finder_unknown"):
            source = ctx.settings_sources.get("discretion.charge_fiscal_when_finder_unknown")
            sentences.append(explanation.finder_unknown_charged_by_setting(source))
        else:
            blocking.append("finder_unknown")
            sentences.append(explanation.finder_not_recorded())
    missing = [p for p in cond.requires if p.fact not in ctx.established_facts]
    if missing:
        # The article punishes the act only together with these facts (e.g. 大气污染防治法第一百一十八条第一款:
        # 超过排放标准排放油烟): not issuable until a finding establishes them.
        blocking.append("precondition_not_established")
        sentences += [explanation.precondition_missing(p.description.zh, p.description.en) for p in missing]
    if not rule.verified.status:
        blocking.append("unverified")
        sentences.append(explanation.unverified(rule.verified.source))
    if policy_note:
        sentences.append(explanation.policy_fallback(policy_note))
    return sentences, blocking


def money_line(
    rule: RuleVersion, group: list[FindingInput], ctx: PenaltyContext, params: dict[str, Any], policy_note: str
) -> PenaltyLine:
    """A fine or fiscal deduction: blocked (amount to be set), exempt (first offence) or computed."""
    payer = payer_for(rule, ctx)
    sentences, blocking = _preamble(rule, ctx, payer, policy_note, params)
    named = explanation.objects(group)
    if named is not None:
        sentences.append(named)
    units = amounts.units(rule, group, ctx.recorded_counts)
    base = {**_common(rule, group), "payer": payer, "unit": rule.unit, "counted_units": units}
    amount = rule.amount
    if amount is None:  # the schema gives every fine and fiscal deduction an amount status of set | to_be_set
        raise ValueError(f"monetary rule {rule.key}@{rule.version} has no amount")
    if isinstance(amount, ToBeSet):
        # Never invent a number: issuing stays blocked until an admin sets the jurisdiction's amount.
        zh, en = explanation.split([*sentences, explanation.amount_to_be_set()])
        return PenaltyLine(
            **base,
            base_amount_fen=None,
            range_fen=None,
            factors=(),
            amount_fen=None,
            status="blocked_amount_to_be_set",
            explanation_zh=zh,
            explanation_en=en,
            blocking_reasons=("amount_to_be_set", *blocking),
        )
    if rule.kind == "statutory_fine" and discretion.first_offence_exempt(group, ctx, params):
        zh, en = explanation.split([*sentences, explanation.first_offence_exempt()])
        return PenaltyLine(
            **base,
            base_amount_fen=amount.fen if isinstance(amount, Fixed) else None,
            range_fen=(amount.min_fen, amount.max_fen) if isinstance(amount, Range) else None,
            factors=(Factor("first_offence_slight_harm_corrected", "yes", "exempt (行政处罚法第三十三条)"),),
            amount_fen=0,
            status="exempt",
            explanation_zh=zh,
            explanation_en=en,
            blocking_reasons=tuple(b for b in blocking if b != "party_kind_unknown"),
        )
    return _priced_line(rule, amount, group, ctx, params, base, sentences, tuple(blocking))


def _priced_line(
    rule: RuleVersion,
    amount: Fixed | Range,
    group: list[FindingInput],
    ctx: PenaltyContext,
    params: dict[str, Any],
    base: dict[str, Any],
    sentences: list[Sentence],
    blocking: tuple[str, ...],
) -> PenaltyLine:
    range_fen: tuple[int, int] | None = None
    if isinstance(amount, Fixed):
        per_unit = amount.fen
        factors = [Factor("amount", "fixed", "n/a (fixed amount)")]
    else:
        lo, hi = amount.min_fen, amount.max_fen
        range_fen = (lo, hi)
        at, factors, notes = discretion.position(rule, group, ctx, params)
        per_unit = amounts.amount_in_range(lo, hi, at)
        sentences += [explanation.discretion_factors(factors), *notes, explanation.range_position(lo, hi, at, per_unit)]
    units = base["counted_units"]
    total = per_unit * units
    cap = rule.stacking.cap_fen
    if cap is not None and total > cap:
        sentences.append(explanation.capped(cap))
        total = cap
    sentences.append(explanation.counted(units, rule.unit, per_unit, total))
    if base["payer"].name:
        sentences.append(explanation.payable_by(base["payer"]))
    if rule.kind == "statutory_fine" and not rule.daily_continuous.allowed:
        sentences.append(explanation.no_daily_penalty())
    zh, en = explanation.split(sentences)
    return PenaltyLine(
        **base,
        base_amount_fen=per_unit,
        range_fen=range_fen,
        factors=tuple(factors),
        amount_fen=total,
        status="computed",
        explanation_zh=zh,
        explanation_en=en,
        blocking_reasons=blocking,
    )


def daily_line(rule: RuleVersion, group: list[FindingInput], ctx: PenaltyContext) -> PenaltyLine | None:
    """按日连续处罚 (大气污染防治法第一百二十三条): the original fine × days since the order; None if not allowed."""
    if not rule.daily_continuous.allowed:
        return None
    assert ctx.order_to_correct_date is not None and ctx.reinspection_date is not None
    days = amounts.daily_days(ctx.order_to_correct_date, ctx.reinspection_date)
    original = amounts.check_original_amount(rule.key, ctx.prior_decision_amounts_fen[rule.key])
    start = date.fromordinal(ctx.order_to_correct_date.toordinal() + 1)
    total = original * days
    payer = payer_for(rule, ctx)
    zh, en = explanation.split(
        explanation.daily_penalty(
            (b.ref for b in rule.daily_continuous.basis),
            ctx.order_to_correct_date,
            ctx.reinspection_date,
            start,
            days,
            original,
            total,
        )
    )
    blocking: tuple[str, ...] = () if (payer.name or payer.code) else ("payer_unresolved",)
    if not rule.verified.status:
        blocking = blocking + ("unverified",)
    return PenaltyLine(
        **_common(rule, group),
        payer=payer,
        unit="per_day",
        counted_units=days,
        base_amount_fen=original,
        range_fen=None,
        factors=(Factor("daily_continuous", f"{days} days", f"× {days}"),),
        amount_fen=total,
        status="computed",
        explanation_zh=zh,
        explanation_en=en,
        blocking_reasons=blocking,
        daily_days=days,
    )


def measure_line(
    rule: RuleVersion,
    group: list[FindingInput],
    ctx: PenaltyContext,
    finding_basis: dict[str, tuple[tuple[str, str], ...]] | None = None,
) -> PenaltyLine:
    """A non-monetary measure (order to correct, stop work, seal and stop use, stop use, confiscation).

    An order to correct cites what it orders corrected: the articles of the fines its findings draw, else the
    plan clauses the findings enforce (``finding_basis``: item key -> (ref, text) pairs), not a generic range of
    articles. Counted objects (items seized, machines) come from the inspector's counts; a confiscation whose
    count was never recorded is blocked (``count_not_recorded``) rather than assumed to be one item."""
    units = amounts.units(rule, group, ctx.recorded_counts)
    common = _common(rule, group)
    refs = [b.ref for b in rule.basis]
    if rule.kind == "order_to_correct" and finding_basis:
        pairs = list(dict.fromkeys(pair for f in group for pair in finding_basis.get(f.item_key, ())))
        if pairs:
            common["basis"] = tuple(pairs)
            refs = [ref for ref, _ in pairs]
    sentences = [explanation.basis(refs), explanation.measure(rule.title.zh, rule.title.en, units, rule.unit)]
    named = explanation.objects(group)
    if named is not None:
        sentences.append(named)
    blocking: tuple[str, ...] = ()
    if rule.kind == "confiscation" and not amounts.count_recorded(rule, group, ctx.recorded_counts):
        blocking = ("count_not_recorded",)
        sentences.append(explanation.count_not_recorded(rule.unit))
    zh, en = explanation.split(sentences)
    return PenaltyLine(
        **common,
        payer=payer_for(rule, ctx),
        unit=rule.unit,
        counted_units=units,
        base_amount_fen=None,
        range_fen=None,
        factors=(),
        amount_fen=None,
        status="non_monetary",
        explanation_zh=zh,
        explanation_en=en,
        blocking_reasons=blocking,
    )


def _override_errors(amount_fen: object, reason: object) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        errors.append(
            FieldError(
                "amount_fen",
                "not_integer_fen",
                "金额必须为整数（分），不得使用浮点数",
                "Amount must be an integer number of fen, never a float",
            )
        )
    if not isinstance(reason, str) or len(reason.strip()) < 4:
        errors.append(
            FieldError(
                "reason",
                "reason_required",
                "调整金额必须填写书面理由",
                "A written reason is required to override an amount",
            )
        )
    return errors


def apply_override(line: PenaltyLine, amount_fen: int, reason: str, *, by: str | None = None) -> PenaltyLine:
    """A supervisor sets the amount of a monetary line within its legal range, with a written reason.

    The legal range is the rule's per-unit range (or fixed amount) times the counted units. 0 is allowed for a
    statutory fine only (不予行政处罚, 行政处罚法第三十三条) and makes the line ``exempt``. Lines whose rule has no
    amount (``blocked_amount_to_be_set``) cannot be overridden: an admin sets the rule's amount instead.
    Auditing the override is the caller's job (it persists ``line.override``).
    """
    errors = _override_errors(amount_fen, reason)
    if errors:
        raise ValidationFailed("调整无效", "Invalid override", errors=errors)
    if line.kind not in MONETARY_KINDS:
        raise RuleViolation(
            "非罚款类措施不能调整金额", "Non-monetary measures have no amount to override", code="override_not_monetary"
        )
    if line.status == "blocked_amount_to_be_set":
        raise RuleViolation(
            "规则金额未设定，须由管理员先设定",
            "The rule has no amount yet; an admin must set it first",
            code="override_amount_to_be_set",
        )
    legal = line.legal_total_range_fen
    assert legal is not None
    lo, hi = legal
    exempting = amount_fen == 0 and line.kind == "statutory_fine"
    if not exempting and not (lo <= amount_fen <= hi):
        raise RuleViolation(
            f"金额 {yuan(amount_fen)} 元超出法定幅度 {yuan(lo)}–{yuan(hi)} 元",
            f"Amount {yuan(amount_fen)} yuan is outside the legal range {yuan(lo)}–{yuan(hi)} yuan",
            code="override_out_of_range",
            extra={"range_fen": [lo, hi]},
        )
    reason = reason.strip()
    zh, en = explanation.override(line.amount_fen or 0, amount_fen, reason)
    return replace(
        line,
        amount_fen=amount_fen,
        status="exempt" if exempting else "computed",
        override=Override(line.amount_fen, amount_fen, reason, by),
        explanation_zh=line.explanation_zh + (zh,),
        explanation_en=line.explanation_en + (en,),
    )
