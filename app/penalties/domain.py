"""The engine's values: findings and context in, penalty lines out (pure: no Flask, no SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.checklists.groups import ObjectRef

# Level of the supervision team that found the problem (000§五(二)).
FINDER_LEVELS = ("national", "provincial", "city", "district", "town")
# Rule kinds that carry an amount of money (the others are measures: orders, seizure, stop work).
MONETARY_KINDS = frozenset({"statutory_fine", "fiscal_deduction"})

UNIT_COUNT_KEY = {
    "per_machine": "machines",
    "per_vehicle": "vehicles",
    "per_fire_point": "fire_points",
    "per_item_seized": "items_seized",
    "per_failed_measure": "failed_measures",
}
# Units that count physical objects (as opposed to failed measures, one per finding).
OBJECT_COUNT_KEYS = frozenset({"machines", "vehicles", "fire_points", "items_seized"})


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class FindingInput:
    """One failed checklist item of an inspection."""

    checklist_key: str
    item_key: str
    penalty_keys: tuple[str, ...]
    source_refs: tuple[str, ...] = ()
    # Counted units by name: machines, vehicles, fire_points, items_seized, failed_measures (default 1 each).
    counts: Mapping[str, int] = field(default_factory=dict)
    severity: str = "medium"  # checklist vocabulary: info | low | medium | high | critical
    serious_consequence: bool = False  # 造成严重后果 (Henan Art. 79), decided by the inspector/supervisor
    # The object of a repeatable group (one machine, tank, vehicle): findings of distinct objects count apart.
    object_ref: ObjectRef | None = None


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
    # Facts the inspection's failed items establish (checklist ``establishes``), for rules whose article has a
    # precondition (e.g. 大气污染防治法第一百一十八条第一款: fumes over the standard).
    established_facts: frozenset[str] = frozenset()
    # Objects the inspector counted, by unit name (items_seized, fire_points, ...), from every answered count item
    # of the inspection (checklist ``counts``), failed or not: a recorded 0 is a count too.
    recorded_counts: Mapping[str, int] = field(default_factory=dict)
    # Where each jurisdiction setting came from ("discretion.<name>" -> jurisdiction code).
    settings_sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_failed_reinspection(self) -> bool:
        return (
            self.order_to_correct_date is not None
            and self.reinspection_date is not None
            and self.reinspection_date > self.order_to_correct_date
        )


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
    # amount_to_be_set | payer_unresolved | party_kind_unknown | unverified | finder_unknown |
    # precondition_not_established | count_not_recorded
    blocking_reasons: tuple[str, ...] = ()
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
            "rule_key": self.rule_key,
            "rule_version": self.rule_version,
            "rule_hash": self.rule_hash,
            "kind": self.kind,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "payer": {"type": self.payer.type, "code": self.payer.code, "name": self.payer.name},
            "basis": [{"ref": r, "text": t} for r, t in self.basis],
            "authority": {"zh": self.authority_zh, "en": self.authority_en},
            "unit": self.unit,
            "counted_units": self.counted_units,
            "base_amount_fen": self.base_amount_fen,
            "range_fen": list(self.range_fen) if self.range_fen else None,
            "factors": [{"name": f.name, "level": f.level, "effect": f.effect} for f in self.factors],
            "amount_fen": self.amount_fen,
            "status": self.status,
            "explanation": {"zh": list(self.explanation_zh), "en": list(self.explanation_en)},
            "source_refs": list(self.source_refs),
            "item_keys": list(self.item_keys),
            "verified": self.verified,
            "blocking_reasons": list(self.blocking_reasons),
            "daily_days": self.daily_days,
            "override": None
            if self.override is None
            else {
                "amount_before_fen": self.override.amount_before_fen,
                "amount_after_fen": self.override.amount_after_fen,
                "reason": self.override.reason,
                "by": self.override.by,
            },
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
