"""The engine's inputs for one inspection: failed findings, payers, repeats, re-inspection facts, settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.cases.queries import order_for_inspection
from app.checklists.evaluation import passes, resolve_limit
from app.checklists.groups import ObjectRef, item_doc, object_identity, split_key
from app.checklists.spec import Limit
from app.inspections.models import Finding, Inspection
from app.jurisdictions.services import chain_codes
from app.notified_cache import NotifiedCache
from app.penalties.amounts import is_int
from app.penalties.discretion import DEFAULT_DISCRETION, repeat_count
from app.penalties.domain import OBJECT_COUNT_KEYS, FindingInput, JurisdictionRef, Party, PenaltyContext
from app.penalties.models import PenaltyLineRow
from app.penalties.records import current_computation
from app.penalties.rule_spec import AmountSetting, RuleVersion, ToBeSet
from app.penalties.settings import EffectiveSettings, effective_penalty_settings
from app.sites.models import Site
from app.sites.services import responsible_subdistrict_ref

# Earlier inspections whose failed items count as prior offences and can be re-inspected.
COUNTED_STATES = ("submitted", "approved")


def _responsible_subdistrict(session: Session, site: Site, cache: NotifiedCache | None) -> JurisdictionRef | None:
    # 000§五(二): fiscal deductions are charged to the sub-district whose polygon contains the site.
    found = responsible_subdistrict_ref(session, site, cache)
    if found is None and site.jurisdiction is not None and site.jurisdiction.level == "township":
        # no township boundaries imported: the site's own (township) jurisdiction
        return JurisdictionRef(site.jurisdiction.code, site.jurisdiction.name_zh)
    return JurisdictionRef(*found) if found is not None else None


def _violator(site: Site) -> Party:
    kind = {"company": "unit", "individual": "individual"}.get(site.operator_type)
    return Party(site.operator_name, site.operator_credit_code, kind)


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


def _counts(
    answer: dict[str, Any] | None, item: dict[str, Any] | None = None, params: dict[str, Any] | None = None
) -> dict[str, int]:
    """Counted units of a failed item (per machine, per fire point, per vehicle, per item seized).

    - ``count`` items: the count the inspector recorded (e.g. 3 fire points found → 3 fire points);
    - any other item whose answer carries ``count`` (e.g. a failed "meets class III in the control area"
      check with ``count: 2``): the number of objects the failure concerns;
    - ``measure`` items with ``readings.combine: all`` (one reading per object): the failing readings.
    The number stands for whichever object unit the item's rules count (machines, vehicles, fire points,
    items seized); ``per_failed_measure`` rules keep counting one per failed item. Explicit ``counts`` maps
    (unit name -> n) in stored answers are kept as given.
    """
    answer = answer or {}
    out = {k: v for k, v in (answer.get("counts") or {}).items() if is_int(v) and v >= 0}
    n: int | None = None
    if is_int(answer.get("count")) and answer["count"] > 0:
        n = answer["count"]
    elif item is not None and item.get("kind") == "measure":
        n = _failing_readings(item, answer, params)
    if n is not None:
        named = (item or {}).get("counts")  # a count item names the objects it counts (checklist ``counts``)
        for key in (named,) if named in OBJECT_COUNT_KEYS else OBJECT_COUNT_KEYS:
            out.setdefault(key, n)
    return out


def inspection_facts(inspection: Inspection) -> tuple[frozenset[str], dict[str, int]]:
    """Facts the failed items establish (checklist ``establishes``: preconditions of articles such as
    大气污染防治法第一百一十八条第一款) and the objects counted by the inspection's count items that name them
    (checklist ``counts``), failed or passed: a recorded 0 is a count."""
    content = (inspection.checklist.content if inspection.checklist is not None else None) or {}
    facts: set[str] = set()
    counted: dict[str, int] = {}
    for f in inspection.current_findings:
        item = item_doc(content, f.item_key) or {}
        if f.verdict == "fail":
            facts.update(item.get("establishes") or ())
        value = (f.answer or {}).get("count")
        unit = item.get("counts")
        if unit in OBJECT_COUNT_KEYS and is_int(value) and value >= 0:
            counted[unit] = max(counted.get(unit, 0), value)
    return frozenset(facts), counted


def penalty_findings(inspection: Inspection) -> list[FindingInput]:
    content = (inspection.checklist.content if inspection.checklist is not None else None) or {}
    params = (inspection.site_context or {}).get("parameters")
    out = []
    for f in inspection.current_findings:
        if not f.penalised or not f.penalty_keys:  # a reviewer's waiver: the verdict stands, no penalty
            continue
        answer = f.answer or {}
        out.append(
            FindingInput(
                checklist_key=f.checklist_key,
                item_key=f.item_key,
                penalty_keys=tuple(f.penalty_keys),
                source_refs=tuple(f.source_refs or ()),
                counts=_counts(answer, item_doc(content, f.item_key), params),
                severity=f.severity or "medium",
                serious_consequence=bool(answer.get("serious_consequence")),
                object_ref=ObjectRef.from_dict(f.object_ref),
            )
        )
    return out


def _violation_kind(item_key: str) -> str:
    """A group object's item counts as one kind of violation whichever object failed it (``machines.*.
    emission_stage``): the party at the site repeats the violation with any of its machines."""
    ref = split_key(item_key)
    return f"{ref.group}.*.{ref.item}" if ref is not None else item_key


def _prior_failure_dates(session: Session, inspection: Inspection, item_keys: set[str]) -> dict[str, list[date]]:
    """Per item key: dates of earlier submitted/approved inspections of the same site that failed the same kind of
    violation (an earlier inspection counts once however many of its objects failed it)."""
    if not item_keys:
        return {}
    kinds = {_violation_kind(k) for k in item_keys}
    own = sorted(k for k in kinds if "*" not in k)
    groups = sorted({k.split(".", 1)[0] for k in kinds if "*" in k})
    rows = session.execute(
        select(Finding.item_key, Inspection.id, Inspection)
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .where(
            Inspection.site_id == inspection.site_id,
            Inspection.id != inspection.id,
            Inspection.state.in_(COUNTED_STATES),
            Finding.verdict == "fail",
            # No waiver: SQL NULL, or JSON null in rows written before None was stored as NULL (app/db.py).
            func.coalesce(func.jsonb_typeof(Finding.waiver), "null") == "null",
            Finding.submission_no == Inspection.submission_count,
            Finding.revision == Inspection.findings_revision,
            or_(Finding.item_key.in_(own), *(Finding.item_key.startswith(f"{g}.", autoescape=True) for g in groups)),
        )
    ).all()
    by_kind: dict[str, dict[Any, date]] = {}
    for item_key, earlier_id, earlier in rows:
        by_kind.setdefault(_violation_kind(item_key), {})[earlier_id] = earlier.local_date
    return {k: list(by_kind[kind].values()) for k in item_keys if (kind := _violation_kind(k)) in by_kind}


# Lines of these kinds are orders (责令改正 / 责令停工整治 / 责令停止使用、封存停用): a later re-inspection
# checks whether they were obeyed (大气污染防治法第一百二十三条: 按日连续处罚 after a refused order).
ORDER_KINDS = ("order_to_correct", "stop_work", "seal_and_stop_use", "stop_use")


@dataclass(frozen=True)
class Reinspection:
    """What a re-inspection passes to the engine, and why (shown in the computation's context)."""

    earlier_id: str
    order_date: date | None = None
    continuing_items: frozenset[str] = frozenset()
    prior_amounts_fen: dict[str, int] = field(default_factory=dict)
    note: str | None = None
    order_date_source: str | None = None
    order_id: int | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "earlier_inspection": self.earlier_id,
            "order_to_correct_date": self.order_date.isoformat() if self.order_date else None,
            "order_date_source": self.order_date_source if self.order_date else None,
            "order_id": self.order_id,
            "continuing_items": sorted(self.continuing_items),
            "prior_decision_amounts_fen": self.prior_amounts_fen,
            "note": self.note,
        }


def reinspection_facts(session: Session, inspection: Inspection, findings: list[FindingInput]) -> Reinspection | None:
    """Order date, continuing items and original fines for a re-inspection; None if not one.

    The order date is the **decision date of the order to correct recorded on the earlier inspection**
    (cases.orders; 大气污染防治法第一百二十三条 counts "自责令改正之日的次日起"), and the order's items are the
    ones whose failure continues the violation. Where no order is recorded but the earlier computation
    gave one (``measure.order_to_correct`` or another ``ORDER_KINDS`` line: the order made on site), the
    date is the earlier inspection's own date (``Inspection.local_date``: its start on the phone, Asia/
    Shanghai), never its submission time nor the server's clock — a submission days after the visit
    would otherwise move the order past a re-inspection made meanwhile and drop both the daily penalty
    and the measures that follow a refusal (停工整治 etc.). Days are counted from the day after the order
    (the engine). Only items that failed at the earlier inspection (and were ordered) and fail again
    continue the ordered violation; the original amounts are the earlier current computation's statutory
    fines on those items (after override; for a daily line of an earlier re-inspection, its per-day
    original amount). Exempt/blocked lines have no amount and start no daily penalty.
    """
    if inspection.reinspection_of_id is None:
        return None
    earlier_id = str(inspection.reinspection_of_id)
    earlier = session.get(Inspection, inspection.reinspection_of_id)
    if earlier is None or earlier.site_id != inspection.site_id or earlier.state not in COUNTED_STATES:
        return Reinspection(earlier_id, note="earlier inspection not usable (other site or not submitted/approved)")
    computation = current_computation(session, earlier.id)
    lines: list[PenaltyLineRow] = list(computation.lines) if computation is not None else []
    # Items are matched across the two visits by what they are about (a group object by its label, not by the
    # order it was listed in: app.checklists.groups.object_identity).
    earlier_failed = {
        object_identity(f.item_key, (f.object_ref or {}).get("label")): f.item_key
        for f in earlier.current_findings
        if f.verdict == "fail"
    }
    order = order_for_inspection(session, earlier.id)
    if order is not None:
        order_date, order_id = order.decided_on, order.id
        source = "recorded order to correct: its decision date"
        named = set(order.item_keys or ())
        ordered = {i for i, key in earlier_failed.items() if not named or key in named}
    elif any(l.kind in ORDER_KINDS for l in lines):
        order_date, order_id, ordered = earlier.local_date, None, set(earlier_failed)
        source = "no order recorded: the earlier inspection's own date (Asia/Shanghai)"
    else:
        return Reinspection(earlier_id, note="the earlier inspection gave no order to correct")
    now_failing = {
        object_identity(f.item_key, f.object_ref.label if f.object_ref else None): f.item_key for f in findings
    }
    again_ids = ordered & now_failing.keys()
    continuing = frozenset(now_failing[i] for i in again_ids)  # this inspection's keys, as the engine reads them
    if not continuing:
        return Reinspection(
            earlier_id, note="no item ordered to be corrected fails again", order_date_source=source, order_id=order_id
        )
    continuing_earlier = {earlier_failed[i] for i in again_ids}  # the same items under the earlier visit's keys
    prior: dict[str, int] = {}
    for line in lines:
        if line.kind != "statutory_fine" or line.status != "computed" or not set(line.item_keys) & continuing_earlier:
            continue
        original = line.base_amount_fen if line.daily_days is not None else line.amount_fen
        if original:
            prior[line.rule_key] = original
    return Reinspection(earlier_id, order_date, continuing, prior, None, source, order_id)


def build_penalty_context(
    session: Session,
    inspection: Inspection,
    findings: list[FindingInput],
    factors: dict[str, Any] | None,
    again: Reinspection | None,
    cache: NotifiedCache | None = None,
) -> tuple[PenaltyContext, EffectiveSettings]:
    """The engine's context for an inspection: date, chain, payers, alert, repeats, jurisdiction policy,
    re-inspection facts (``again``, from ``reinspection_facts``) and the discretion factors a supervisor set."""
    site = inspection.site
    on_date = inspection.local_date
    chain = chain_codes(site.jurisdiction.path)
    sub = _responsible_subdistrict(session, site, cache)
    if sub is not None and sub.code not in chain:
        chain.append(sub.code)
    settings = effective_penalty_settings(session, chain, cache)
    window = int(settings.discretion.get("repeat_window_days", DEFAULT_DISCRETION["repeat_window_days"]))
    prior = _prior_failure_dates(session, inspection, {f.item_key for f in findings})
    repeats = {k: n for k, dates in prior.items() if (n := repeat_count(dates, on_date, window))}
    policy: dict[str, Any] = dict(settings.policy)
    if settings.discretion:
        policy["discretion"] = dict(settings.discretion)
    factors = factors or {}
    established, counted = inspection_facts(inspection)
    ctx = PenaltyContext(
        inspection_date=on_date,
        jurisdiction_chain=tuple(chain),
        responsible_subdistrict=sub,
        violator=_violator(site),
        # The server's level (app.alerts), never the phone's claim: money depends on it (003#3, 003#38).
        alert_level=inspection.alert_level_in_force or "none",
        repeat_offences=repeats,
        policy=policy,
        finder_level=factors.get("finder_level"),
        cooperation=bool(factors.get("cooperation")),
        prompt_correction=bool(factors.get("prompt_correction")),
        first_offence_slight_harm=bool(factors.get("first_offence_slight_harm")),
        order_to_correct_date=again.order_date if again else None,
        reinspection_date=on_date if again and again.order_date else None,
        prior_decision_amounts_fen=dict(again.prior_amounts_fen) if again else {},
        continuing_items=again.continuing_items if again else frozenset(),
        established_facts=established,
        recorded_counts=counted,
        settings_sources=dict(settings.sources),
    )
    return ctx, settings


def context_summary(ctx: PenaltyContext) -> dict[str, Any]:
    return {
        "inspection_date": ctx.inspection_date.isoformat(),
        "jurisdiction_chain": list(ctx.jurisdiction_chain),
        "responsible_subdistrict": None
        if ctx.responsible_subdistrict is None
        else {"code": ctx.responsible_subdistrict.code, "name": ctx.responsible_subdistrict.name},
        "violator": None
        if ctx.violator is None
        else {"name": ctx.violator.name, "credit_code": ctx.violator.credit_code, "kind": ctx.violator.resolved_kind},
        "alert_level": ctx.alert_level,
        "repeat_offences": dict(ctx.repeat_offences),
        "finder_level": ctx.finder_level,
        "policy": dict(ctx.policy),
        "cooperation": ctx.cooperation,
        "prompt_correction": ctx.prompt_correction,
        "first_offence_slight_harm": ctx.first_offence_slight_harm,
        "order_to_correct_date": ctx.order_to_correct_date.isoformat() if ctx.order_to_correct_date else None,
        "reinspection_date": ctx.reinspection_date.isoformat() if ctx.reinspection_date else None,
        "prior_decision_amounts_fen": dict(ctx.prior_decision_amounts_fen),
        "continuing_items": sorted(ctx.continuing_items),
        "established_facts": sorted(ctx.established_facts),
        "recorded_counts": dict(ctx.recorded_counts),
    }


def apply_amount_settings(
    rules: list[RuleVersion], settings: EffectiveSettings
) -> tuple[list[RuleVersion], dict[str, AmountSetting]]:
    """The rules with the amounts an admin set for this jurisdiction on `to_be_set` versions, and key -> setting."""
    out: list[RuleVersion] = []
    used: dict[str, AmountSetting] = {}
    for rule in rules:
        spec = settings.amounts.get(rule.key)
        if not isinstance(rule.amount, ToBeSet) or not spec or spec.get("rule_version") != rule.version:
            out.append(rule)
            continue
        setting = AmountSetting.from_doc({**spec, "jurisdiction_code": settings.sources.get(f"amounts.{rule.key}")})
        out.append(rule.with_amount_setting(setting))
        used[rule.key] = setting
    return out, used
