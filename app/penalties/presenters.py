"""Response bodies of the penalty endpoints, from the values services return (called only from routes)."""

from __future__ import annotations

from typing import Any

from app.penalties.amounts import yuan
from app.penalties.carry import LineIdentity, line_identity
from app.penalties.computation import InspectionPenalties, RecomputedPenalties
from app.penalties.discretion import DEFAULT_DISCRETION
from app.penalties.models import PenaltyLineRow
from app.penalties.records import MONEY_KINDS, line_from_row, totals_fen
from app.penalties.rule_spec import Fixed, Range, ToBeSet
from app.penalties.rules import policy_defaults, policy_options
from app.penalties.settings import JurisdictionSettings, RuleInForce


def money(fen: int) -> dict[str, Any]:
    return {"fen": fen, "yuan": yuan(fen)}


def line_view(row: PenaltyLineRow) -> dict[str, Any]:
    line = line_from_row(row)
    legal = line.legal_total_range_fen
    return {
        "id": row.id,
        "rule_key": row.rule_key,
        "rule_version": row.rule_version,
        "rule_hash": row.rule_hash,
        "kind": row.kind,
        "title": row.title,
        "basis": row.basis,
        "authority": row.authority,
        "payer": {"type": row.payer_type, "code": row.payer_code, "name": row.payer_name},
        "unit": row.unit,
        "counted_units": row.counted_units,
        "base_amount_fen": row.base_amount_fen,
        "range_fen": [row.range_min_fen, row.range_max_fen] if row.range_min_fen is not None else None,
        "legal_total_range_fen": list(legal) if legal else None,
        "factors": row.factors,
        "amount_fen": row.amount_fen,
        "amount_yuan": yuan(row.amount_fen) if row.amount_fen is not None else None,
        "status": row.status,
        "explanation": row.explanation,
        "source_refs": row.source_refs,
        "item_keys": row.item_keys,
        "verified": row.verified,
        "blocking_reasons": row.blocking_reasons,
        "daily_days": row.daily_days,
        "amount_setting": row.amount_setting,
        "override": row.override,
    }


def penalties_view(penalties: InspectionPenalties) -> dict[str, Any]:
    """Lines with their full breakdown, totals per kind and per payer (fen and 元), and whether issuable."""
    computation = penalties.computation
    if computation is None:
        return {
            "inspection_id": str(penalties.inspection_id),
            "computed": False,
            "computation": None,
            "lines": [],
            "totals": {k: money(0) for k in MONEY_KINDS},
            "payers": [],
            "issuable": False,
            "blocking": [{"line_id": None, "rule_key": None, "reasons": ["not_computed"]}],
        }
    rows = list(computation.lines)
    payers: dict[tuple[str, str | None, str | None], dict[str, int]] = {}
    for r in rows:
        if r.kind in MONEY_KINDS:
            per = payers.setdefault((r.payer_type, r.payer_code, r.payer_name), dict.fromkeys(MONEY_KINDS, 0))
            per[r.kind] += r.amount_fen or 0
    blocking = [
        {"line_id": r.id, "rule_key": r.rule_key, "reasons": r.blocking_reasons} for r in rows if r.blocking_reasons
    ]
    return {
        "inspection_id": str(penalties.inspection_id),
        "computed": True,
        "computation": {
            "id": computation.id,
            "trigger": computation.trigger,
            "reason": computation.reason,
            "computed_by": computation.computed_by,
            "computed_at": computation.computed_at.isoformat(),
            "inspection_date": computation.inspection_date.isoformat(),
            "context": computation.context,
            "policy_used": computation.policy_used,
            "skipped": computation.skipped,
            "discretion_factors": computation.discretion_factors,
        },
        "lines": [line_view(r) for r in rows],
        "totals": {k: money(v) for k, v in totals_fen(rows).items()},
        "payers": [
            {"type": t, "code": c, "name": n, "totals": {k: money(v) for k, v in per.items()}}
            for (t, c, n), per in payers.items()
        ],
        "issuable": not blocking,
        "blocking": blocking,
    }


def _diff_line(before: PenaltyLineRow | None, after: PenaltyLineRow | None, carried: set[int]) -> dict[str, Any]:
    row = after if after is not None else before
    assert row is not None
    return {
        "rule_key": row.rule_key,
        "kind": row.kind,
        "payer": {"type": row.payer_type, "code": row.payer_code, "name": row.payer_name},
        "item_keys": row.item_keys,
        "daily": row.daily_days is not None,
        "line_id_before": before.id if before is not None else None,
        "line_id_after": after.id if after is not None else None,
        "amount_before_fen": before.amount_fen if before is not None else None,
        "amount_after_fen": after.amount_fen if after is not None else None,
        "status_before": before.status if before is not None else None,
        "status_after": after.status if after is not None else None,
        "overridden_before": before is not None and before.override is not None,
        "override_carried": after is not None and after.id in carried,
        "override_dropped": before is not None
        and before.override is not None
        and (after is None or after.id not in carried),
    }


def recompute_diff(outcome: RecomputedPenalties) -> dict[str, Any]:
    """Each line before and after the recompute (matched as overrides are), totals before and after."""
    before_rows = list(outcome.previous.lines) if outcome.previous is not None else []
    after_rows = list(outcome.computation.lines) if outcome.computation is not None else []
    carried = {after_rows[c.position].id for c in outcome.carried}
    by_identity: dict[LineIdentity, PenaltyLineRow] = {line_identity(line_from_row(r)): r for r in before_rows}
    lines = []
    for row in after_rows:
        lines.append(_diff_line(by_identity.pop(line_identity(line_from_row(row)), None), row, carried))
    lines += [_diff_line(row, None, carried) for row in by_identity.values()]  # lines the recompute no longer gives
    return {
        "previous_computation_id": outcome.previous.id if outcome.previous is not None else None,
        "computation_id": outcome.computation.id if outcome.computation is not None else None,
        "lines": lines,
        "totals_before": {k: money(v) for k, v in totals_fen(before_rows).items()},
        "totals_after": {k: money(v) for k, v in totals_fen(after_rows).items()},
        "overrides_carried": [
            c.previous.summary() | {"to_line_id": after_rows[c.position].id} for c in outcome.carried
        ],
        "overrides_dropped": [u.summary() for u in outcome.dropped],
    }


def recompute_view(outcome: RecomputedPenalties) -> dict[str, Any]:
    """The new breakdown (as ``penalties_view``) plus ``diff``: what the recompute changed."""
    return {**penalties_view(outcome), "diff": recompute_diff(outcome)}


def rule_view(entry: RuleInForce) -> dict[str, Any]:
    """A rule in force with verified flag, amount status and the jurisdiction's set amount."""
    rule, doc = entry.rule, entry.rule.doc  # the wire form is the stored entry as written
    amount = rule.amount
    return {
        "key": rule.key,
        "version": rule.version,
        "rule_hash": rule.rule_hash,
        "kind": rule.kind,
        "title": doc["title"],
        "basis": doc["basis"],
        "authority": doc["authority"],
        "amount_fen": amount.fen if isinstance(amount, Fixed) else None,
        "range_fen": [amount.min_fen, amount.max_fen] if isinstance(amount, Range) else None,
        "amount_status": entry.amount_status,
        "amount_setting": entry.setting,
        "unit": rule.unit,
        "payer": rule.payer,
        "effective": doc["effective"],
        "verified": doc["verified"],
        "policy": doc.get("policy"),
        "jurisdictions": doc["jurisdictions"],
        "source_file": rule.source_file,
    }


def settings_view(settings: JurisdictionSettings) -> dict[str, Any]:
    """A jurisdiction's own settings, what applies there after inheritance, and the options."""
    row, rules, effective = settings.row, settings.rules, settings.effective
    defaults = policy_defaults(rules)
    return {
        "jurisdiction_code": settings.jurisdiction.code,
        "jurisdiction_name": settings.jurisdiction.name_zh,
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
            "amounts_to_be_set": sorted({f"{r.key}@{r.version}" for r in rules if isinstance(r.amount, ToBeSet)}),
        },
    }
