"""Typed, read-only views of a checklist document (the shape of ``checklists/schema/checklist.schema.json``).

Pure module (no Flask, no SQLAlchemy). The stored and served document stays the plain dict: it is the
content-hashed wire format. ``ChecklistSpec.from_doc(doc)`` / ``ItemSpec.from_doc(item)`` build the typed
view from a document that already passed the JSON Schema (sync validates every file before storing it), so
decisions (applicability, answer evaluation, semantic validation) read named fields instead of dict keys.
Each view keeps the mapping it was built from in ``doc`` so the wire form can be served unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

ItemKind = Literal["check", "measure", "choice", "code", "count", "text"]
#: How a reading must relate to the limit to PASS: le 不高于/不超过, lt 低于, ge 不低于, gt 高于.
Comparison = Literal["lt", "le", "gt", "ge"]
#: all: every reading must pass; mean: the mean is compared; max: the largest reading is compared.
Combine = Literal["all", "mean", "max"]
Number = int | float


@dataclass(frozen=True)
class Text:
    """A bilingual text (``{"zh", "en"}``)."""

    zh: str
    en: str

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Text:
        return cls(zh=doc["zh"], en=doc["en"])


def _text(doc: Mapping[str, Any] | None) -> Text | None:
    return Text.from_doc(doc) if doc else None


@dataclass(frozen=True)
class Limit:
    """The limit a reading or count is compared with: a number from the plan, or a jurisdiction parameter."""

    comparison: Comparison
    wording_zh: str
    value: Number | None = None  # fixed by the plan
    param: str | None = None  # ``{"param": name}``: set by the jurisdiction

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Limit:
        value = doc["value"]
        if isinstance(value, Mapping):
            return cls(comparison=doc["comparison"], wording_zh=doc["wording_zh"], param=value["param"])
        return cls(comparison=doc["comparison"], wording_zh=doc["wording_zh"], value=value)


@dataclass(frozen=True)
class Readings:
    min_count: int
    combine: Combine

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Readings:
        return cls(min_count=doc["min_count"], combine=doc["combine"])


@dataclass(frozen=True)
class Range:
    """Plausible values: readings outside are rejected as implausible (not a limit)."""

    min: Number
    max: Number

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Range:
        return cls(min=doc["min"], max=doc["max"])


@dataclass(frozen=True)
class CodeFormat:
    pattern: str
    description: Text
    param: str | None = None  # a jurisdiction parameter whose value, when set, replaces ``pattern``
    normalize: Literal["upper_strip", "none"] = "upper_strip"

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> CodeFormat:
        return cls(
            pattern=doc["pattern"],
            description=Text.from_doc(doc["description"]),
            param=doc.get("param"),
            normalize=doc.get("normalize", "upper_strip"),
        )


@dataclass(frozen=True)
class Option:
    key: str
    label: Text
    noncompliant: bool

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Option:
        return cls(key=doc["key"], label=Text.from_doc(doc["label"]), noncompliant=doc["noncompliant"])


@dataclass(frozen=True)
class Evidence:
    """Photo evidence an answer needs."""

    photos_when_failed: bool = False
    always: bool = False
    min_photos: int = 1

    @property
    def photos_required(self) -> bool:
        return self.photos_when_failed or self.always

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Evidence:
        doc = doc or {}
        return cls(
            photos_when_failed=bool(doc.get("photos_when_failed")),
            always=bool(doc.get("always")),
            min_photos=doc.get("min_photos", 1),
        )


@dataclass(frozen=True)
class LegalBasis:
    """A law article that makes an item apply wider than its plan sources (``legal_basis`` entry): where
    (GB/T 2260 codes, None = everywhere) and from when (Asia/Shanghai dates, inclusive; ``end`` None = open)."""

    ref: str
    text: str
    jurisdictions: tuple[str, ...] | None
    start: str
    end: str | None = None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> LegalBasis:
        jur = doc["jurisdictions"]
        return cls(
            ref=doc["ref"],
            text=doc["text"],
            jurisdictions=None if jur == "all" else tuple(jur),
            start=doc["from"],
            end=doc.get("to"),
        )


@dataclass(frozen=True)
class ItemSpec:
    """One checklist item. ``applies_when`` is JSON Logic (None = always applies)."""

    key: str
    kind: ItemKind
    prompt: Text
    severity: str
    sources: tuple[str, ...]
    required: bool = True
    na_allowed: bool = False
    unit: str | None = None
    limit: Limit | None = None
    readings: Readings | None = None
    range: Range | None = None
    format: CodeFormat | None = None
    options: tuple[Option, ...] = ()
    evidence: Evidence = Evidence()
    applies_when: Any = None
    penalties: tuple[str, ...] = ()
    guidance: Text | None = None
    legal_basis: tuple[LegalBasis, ...] = ()
    section: str | None = None  # key of the checklist section it is shown under (order and heading)
    doc: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ItemSpec:
        """The typed view of one (schema-valid) item; keys the schema does not know (e.g. a resolved
        item's ``applies_because``) are ignored."""
        return cls(
            key=doc["key"],
            kind=doc["kind"],
            prompt=Text.from_doc(doc["prompt"]),
            severity=doc.get("severity", "medium"),
            sources=tuple(doc.get("source") or ()),
            required=doc.get("required", True),
            na_allowed=bool(doc.get("na_allowed")),
            unit=doc.get("unit"),
            limit=Limit.from_doc(doc["limit"]) if doc.get("limit") else None,
            readings=Readings.from_doc(doc["readings"]) if doc.get("readings") else None,
            range=Range.from_doc(doc["range"]) if doc.get("range") else None,
            format=CodeFormat.from_doc(doc["format"]) if doc.get("format") else None,
            options=tuple(Option.from_doc(o) for o in doc.get("options") or ()),
            evidence=Evidence.from_doc(doc.get("evidence")),
            applies_when=doc.get("applies_when"),
            penalties=tuple(doc.get("penalties") or ()),
            guidance=_text(doc.get("guidance")),
            legal_basis=tuple(LegalBasis.from_doc(b) for b in doc.get("legal_basis") or ()),
            section=doc.get("section"),
            doc=doc,
        )


@dataclass(frozen=True)
class ParameterSpec:
    """A value no plan gives, set per jurisdiction (``default: None`` = unset until a jurisdiction sets it)."""

    name: str
    description: Text
    type: Literal["number", "string"] | None = None
    unit: str | None = None
    default: Number | str | None = None
    sources: tuple[str, ...] = ()

    @classmethod
    def from_doc(cls, name: str, doc: Mapping[str, Any]) -> ParameterSpec:
        return cls(
            name=name,
            description=Text.from_doc(doc["description"]),
            type=doc.get("type"),
            unit=doc.get("unit"),
            default=doc.get("default"),
            sources=tuple(doc.get("source") or ()),
        )


@dataclass(frozen=True)
class SourceDoc:
    """A plan a checklist cites (``sources`` entry): seed number, title, and where and when the plan has force:
    the issuing jurisdiction (GB/T 2260 code and name) and its period (``period_end`` None: no stated end)."""

    seed: str
    title: str
    doc_number: str | None = None
    jurisdiction: str | None = None
    jurisdiction_name: str | None = None
    period_start: str | None = None
    period_end: str | None = None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> SourceDoc:
        period = doc.get("period") or {}
        return cls(
            seed=doc["seed"],
            title=doc["title"],
            doc_number=doc.get("doc_number"),
            jurisdiction=doc.get("jurisdiction"),
            jurisdiction_name=doc.get("jurisdiction_name"),
            period_start=period.get("from"),
            period_end=period.get("to"),
        )


@dataclass(frozen=True)
class Variant:
    """Where plans of different jurisdictions differ, each variant is its own checklist of one ``family``."""

    family: str
    note: Text | None = None


@dataclass(frozen=True)
class GroupSpec:
    """A repeatable group (``groups`` entry): items checked once per object (machine, tank, vehicle, road).
    ``label_item``: the group item whose answer names the object; ``min``/``max``: objects per inspection."""

    key: str
    title: Text
    items: tuple[ItemSpec, ...]
    min: int = 0
    max: int | None = None
    label_item: str | None = None
    object_name: Text | None = None
    section: str | None = None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> GroupSpec:
        return cls(
            key=doc["key"],
            title=Text.from_doc(doc["title"]),
            items=tuple(ItemSpec.from_doc(i) for i in doc.get("items") or ()),
            min=doc.get("min", 0),
            max=doc.get("max"),
            label_item=doc.get("label_item"),
            object_name=_text(doc.get("object_name")),
            section=doc.get("section"),
        )


@dataclass(frozen=True)
class ChecklistSpec:
    """One checklist. ``jurisdictions`` is None for "all", else the GB/T 2260 codes it applies in."""

    key: str
    version: str
    title: Text
    site_kinds: tuple[str, ...]
    jurisdictions: tuple[str, ...] | None
    sources: tuple[SourceDoc, ...]
    items: tuple[ItemSpec, ...]
    parameters: tuple[ParameterSpec, ...] = ()
    effective_from: str | None = None  # YYYY-MM-DD (Asia/Shanghai), inclusive
    effective_to: str | None = None
    variant: Variant | None = None
    sections: tuple[tuple[str, Text], ...] = ()  # (key, title) in display order
    groups: tuple[GroupSpec, ...] = ()  # repeatable groups (app/checklists/groups.py)
    doc: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def parameter(self, name: str) -> ParameterSpec | None:
        return next((p for p in self.parameters if p.name == name), None)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ChecklistSpec:
        """The typed view of one (schema-valid) checklist document."""
        jur = doc.get("jurisdictions", "all")
        eff = doc.get("effective") or {}
        var = doc.get("variant")
        return cls(
            key=doc["key"],
            version=str(doc["version"]),
            title=Text.from_doc(doc["title"]),
            site_kinds=tuple(doc.get("site_kinds") or ()),
            jurisdictions=None if jur == "all" else tuple(cast(list[str], jur)),
            sources=tuple(SourceDoc.from_doc(s) for s in doc.get("sources") or ()),
            items=tuple(ItemSpec.from_doc(i) for i in doc.get("items") or ()),
            parameters=tuple(ParameterSpec.from_doc(n, p) for n, p in (doc.get("parameters") or {}).items()),
            effective_from=eff.get("from"),
            effective_to=eff.get("to"),
            variant=Variant(family=var["family"], note=_text(var.get("note"))) if var else None,
            sections=tuple((s["key"], Text.from_doc(s["title"])) for s in doc.get("sections") or ()),
            groups=tuple(GroupSpec.from_doc(g) for g in doc.get("groups") or ()),
            doc=doc,
        )
