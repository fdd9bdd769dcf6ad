"""Typed, read-only views of a penalty rule version (the shape of ``checklists/schema/penalty_rule.schema.json``).

Pure module (no Flask, no SQLAlchemy). The stored, hashed and served form of a rule stays the plain dict
written in its file: ``RuleVersion.from_doc(entry, ...)`` builds the typed view from an entry that already
passed the JSON Schema and keeps the entry in ``doc``, so storage, ``rule_hash`` and API output are unchanged.
The engine (``app.penalties.engine`` and the line, discretion and explanation functions) reads only these
typed values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from app.checklists.spec import Text

RuleKind = Literal[
    "statutory_fine",
    "fiscal_deduction",
    "order_to_correct",
    "seal_and_stop_use",
    "stop_use",
    "stop_work",
    "confiscation",
]
AmountStatus = Literal["set", "to_be_set", "not_applicable"]
Unit = Literal[
    "per_case", "per_failed_measure", "per_machine", "per_vehicle", "per_fire_point", "per_day", "per_item_seized"
]
StackingMode = Literal["sum_units", "once_per_inspection"]
PayerType = Literal["violator", "responsible_jurisdiction"]


def content_hash(doc: Mapping[str, Any]) -> str:
    """sha256 of a rule entry as written in its file (canonical JSON, keys sorted)."""
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- amounts
@dataclass(frozen=True)
class Fixed:
    """A fixed amount per unit, in fen."""

    fen: int


@dataclass(frozen=True)
class Range:
    """A legal range per unit, in fen; the discretion method picks the amount inside it."""

    min_fen: int
    max_fen: int


@dataclass(frozen=True)
class ToBeSet:
    """No source gives the amount: it is to be set by the jurisdiction. Blocks issuing until an admin sets it
    (never invent a number)."""


#: The amount of a monetary rule. Non-monetary measures have none (``RuleVersion.amount is None``).
Amount = Fixed | Range | ToBeSet


def amount_from_doc(amount: Any, status: str) -> Amount | None:
    if status == "to_be_set":
        return ToBeSet()
    if amount is None:
        return None
    if isinstance(amount, Mapping):
        return Range(min_fen=amount["min"], max_fen=amount["max"])
    return Fixed(fen=amount)


# --------------------------------------------------------------------------- parts of a rule
@dataclass(frozen=True)
class BasisRef:
    """A law article or plan clause (``SEED#ITEM``, ``SEED§…``) and a short quote of it."""

    ref: str
    text: str

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> BasisRef:
        return cls(ref=doc["ref"], text=doc["text"])


def _basis(docs: Any) -> tuple[BasisRef, ...]:
    return tuple(BasisRef.from_doc(b) for b in docs or ())


@dataclass(frozen=True)
class Stacking:
    """``sum_units``: amount × counted units (000§五(二)); ``once_per_inspection``: one case per inspection."""

    mode: StackingMode
    cap_fen: int | None = None
    note: Text | None = None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Stacking:
        note = doc.get("note")
        return cls(mode=doc["mode"], cap_fen=doc["cap_fen"], note=Text.from_doc(note) if note else None)


@dataclass(frozen=True)
class Period:
    """Effective period, Asia/Shanghai dates, both ends inclusive (``end`` None: open)."""

    start: date
    end: date | None = None

    def contains(self, on_date: date) -> bool:
        return self.start <= on_date and (self.end is None or on_date <= self.end)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Period:
        """Raises ``ValueError`` for a date that matches the schema's pattern but does not exist."""
        return cls(start=date.fromisoformat(doc["from"]), end=date.fromisoformat(doc["to"]) if doc["to"] else None)


@dataclass(frozen=True)
class Verification:
    """Whether an admin confirmed the rule text and amount against an official source, and which."""

    status: bool
    source: str

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Verification:
        return cls(status=bool(doc["status"]), source=doc["source"])


@dataclass(frozen=True)
class JurisdictionScope:
    """GB/T 2260 codes (9 digits for towns/sub-districts) where the rule applies, or ``all``."""

    codes: tuple[str, ...]

    @property
    def everywhere(self) -> bool:
        return "all" in self.codes

    def covers(self, chain: tuple[str, ...]) -> bool:
        """True when any code of the inspection's jurisdiction chain is listed (or the rule applies everywhere)."""
        return self.everywhere or any(code in self.codes for code in chain)


@dataclass(frozen=True)
class DailyContinuous:
    """按日连续处罚: allowed only for the categories of 大气污染防治法第一百二十三条 (and Henan Art. 76/79)."""

    allowed: bool
    basis: tuple[BasisRef, ...] = ()

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> DailyContinuous:
        return cls(allowed=bool(doc["allowed"]), basis=_basis(doc.get("basis")))


@dataclass(frozen=True)
class Precondition:
    """A fact the article requires besides the act (e.g. 超过排放标准排放油烟), established by a failed checklist
    item that declares it (``establishes``); until then a line of the rule cannot be issued."""

    fact: str
    description: Text

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Precondition:
        return cls(fact=doc["fact"], description=Text.from_doc(doc["description"]))


@dataclass(frozen=True)
class AppliesWhen:
    """Conditions beyond date and jurisdiction; a missing condition does not restrict."""

    finder_levels: tuple[str, ...] | None = None  # 000§五(二): found by national/provincial/city teams
    party_kinds: tuple[str, ...] | None = None  # unit | individual
    serious_consequence: bool | None = None  # 造成严重后果 (Henan Art. 79)
    only_on_refusal: bool = False  # 拒不改正: after a failed re-inspection only
    also_without_refusal_if_serious_consequence: bool = False
    requires: tuple[Precondition, ...] = ()  # the article's preconditions (see Precondition)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> AppliesWhen:
        doc = doc or {}
        levels, kinds = doc.get("finder_levels"), doc.get("party_kinds")
        return cls(
            finder_levels=tuple(levels) if levels is not None else None,
            party_kinds=tuple(kinds) if kinds is not None else None,
            serious_consequence=doc.get("serious_consequence"),
            only_on_refusal=bool(doc.get("only_on_refusal")),
            also_without_refusal_if_serious_consequence=bool(doc.get("also_without_refusal_if_serious_consequence")),
            requires=tuple(Precondition.from_doc(p) for p in doc.get("requires") or ()),
        )


@dataclass(frozen=True)
class PolicyChoice:
    """Where national and Henan rules conflict: the option of a jurisdiction setting this rule stands for."""

    setting: str
    option: str
    default: bool = False
    default_reason: Text | None = None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> PolicyChoice:
        reason = doc.get("default_reason")
        return cls(
            setting=doc["setting"],
            option=doc["option"],
            default=bool(doc.get("default")),
            default_reason=Text.from_doc(reason) if reason else None,
        )


# --------------------------------------------------------------------------- one rule version
@dataclass(frozen=True)
class RuleVersion:
    """One version of a penalty rule, with where it was read from (file, or stored row) and its content hash."""

    key: str
    version: str
    title: Text
    kind: RuleKind
    basis: tuple[BasisRef, ...]
    authority: Text
    amount: Amount | None  # None: a non-monetary measure
    unit: Unit
    stacking: Stacking
    effective: Period
    verified: Verification
    payer: PayerType
    jurisdictions: JurisdictionScope
    daily_continuous: DailyContinuous
    rule_hash: str
    source_file: str
    applies_when: AppliesWhen = AppliesWhen()
    policy: PolicyChoice | None = None
    discretion: str | None = None  # method inside a range: factor_position_v1
    companion_measures: tuple[str, ...] = ()
    notes: Text | None = None
    source_index: int | None = None  # position in its file (files only)
    row_id: int | None = None  # ``PenaltyRuleVersion.id`` (stored rules only)
    doc: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def amount_status(self) -> AmountStatus:
        if isinstance(self.amount, ToBeSet):
            return "to_be_set"
        return "not_applicable" if self.amount is None else "set"

    def in_force(self, on_date: date) -> bool:
        return self.effective.contains(on_date)

    def with_amount_setting(self, setting: AmountSetting) -> RuleVersion:
        """The rule with the amount a jurisdiction set for it (a ``ToBeSet`` rule only). The admin's document is
        the verification of the amount the rule file could not give. ``doc`` and ``rule_hash`` stay the stored
        version's: lines keep citing it."""
        assert isinstance(self.amount, ToBeSet)
        return replace(
            self,
            amount=setting.amount,
            discretion="factor_position_v1" if isinstance(setting.amount, Range) else self.discretion,
            verified=Verification(True, f"jurisdiction setting: {setting.document_ref}"),
        )

    @classmethod
    def from_doc(
        cls,
        doc: Mapping[str, Any],
        *,
        source_file: str,
        rule_hash: str | None = None,
        source_index: int | None = None,
        row_id: int | None = None,
    ) -> RuleVersion:
        """The typed view of one (schema-valid) rule entry; ``rule_hash`` defaults to the entry's content hash.
        Raises ``ValueError`` for an impossible effective date."""
        policy, notes = doc.get("policy"), doc.get("notes")
        return cls(
            key=doc["key"],
            version=doc["version"],
            title=Text.from_doc(doc["title"]),
            kind=doc["kind"],
            basis=_basis(doc["basis"]),
            authority=Text.from_doc(doc["authority"]),
            amount=amount_from_doc(doc["amount"], doc["amount_status"]),
            unit=doc["unit"],
            stacking=Stacking.from_doc(doc["stacking"]),
            effective=Period.from_doc(doc["effective"]),
            verified=Verification.from_doc(doc["verified"]),
            payer=doc["payer"],
            jurisdictions=JurisdictionScope(tuple(doc["jurisdictions"])),
            daily_continuous=DailyContinuous.from_doc(doc["daily_continuous"]),
            rule_hash=rule_hash if rule_hash is not None else content_hash(doc),
            source_file=source_file,
            applies_when=AppliesWhen.from_doc(doc.get("applies_when")),
            policy=PolicyChoice.from_doc(policy) if policy else None,
            discretion=doc.get("discretion"),
            companion_measures=tuple(doc.get("companion_measures") or ()),
            notes=Text.from_doc(notes) if notes else None,
            source_index=source_index,
            row_id=row_id,
            doc=doc,
        )


# --------------------------------------------------------------------------- a jurisdiction's amount
@dataclass(frozen=True)
class AmountSetting:
    """The amount a jurisdiction's admin set for a ``ToBeSet`` rule version, per a named document.

    ``doc`` is the stored/served form (``JurisdictionPenaltySettings.amounts[key]`` plus ``jurisdiction_code``,
    the jurisdiction of the chain that set it).
    """

    rule_version: str
    amount: Fixed | Range
    document_ref: str | None
    set_by: str | None = None
    set_at: str | None = None
    jurisdiction_code: str | None = None
    doc: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> AmountSetting:
        """From a stored setting (validated when it was put: a fixed ``amount_fen`` or ``min_fen``/``max_fen``)."""
        amount: Fixed | Range
        if doc.get("amount_fen") is not None:
            amount = Fixed(int(doc["amount_fen"]))
        else:
            amount = Range(int(doc["min_fen"]), int(doc["max_fen"]))
        return cls(
            rule_version=doc["rule_version"],
            amount=amount,
            document_ref=doc.get("document_ref"),
            set_by=doc.get("set_by"),
            set_at=doc.get("set_at"),
            jurisdiction_code=doc.get("jurisdiction_code"),
            doc=doc,
        )
