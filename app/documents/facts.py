"""What a document says, as frozen values (pure): every document renders from one ``DocumentFacts``.

Built today from an inspection, its penalty computation and the site's operator
(``facts_from_inspection``) plus the request fields only a case will know (the order's deadline, the
service record, the decided amount); a case builder can produce the same values later. Facts are frozen
into the document row at issue (``to_json``/``from_json``) so the background render prints exactly what
was checked when the number was taken.
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from typing import Any, TypeVar, Union


@dataclass(frozen=True)
class AuthorityFacts:
    """The issuing authority and what the jurisdiction's settings said at issue (documents.md §0.3, §4)."""

    name: str | None
    review_body: str | None = None  # 行政复议机关 (行政复议法第二十条, 第二十四条): a jurisdiction setting
    court: str | None = None  # 行政诉讼 court (行政诉讼法第四十六条): a jurisdiction setting
    statement_period_days: int | None = None  # 陈述申辩 period: no source gives Henan's (documents.md §3)
    hearing_threshold_fen: int | None = None  # 较大数额 for this party kind: no source gives Henan's
    payment_text: str | None = None  # bank / 非税 payment channel (documents.md §4 item 5: data)
    address: str | None = None


@dataclass(frozen=True)
class PartyFacts:
    """当事人 (documents.md §0.2): unit or individual."""

    kind: str  # unit | individual
    name: str
    credit_code: str | None = None
    address: str | None = None
    legal_representative: str | None = None  # 法定代表人(负责人) / 经营者


@dataclass(frozen=True)
class OfficerFacts:
    name: str
    badge: str | None  # 执法证号


@dataclass(frozen=True)
class PhotoFacts:
    photo_id: str
    sha256: str  # of the original, byte for byte as uploaded
    item_key: str


@dataclass(frozen=True)
class ItemFacts:
    """One checked item: what was checked, the reading, the verdict, the photos."""

    item_key: str
    verdict: str  # pass | fail | na
    text: str  # the finding's explanation (zh)
    value: float | None = None
    photos: tuple[PhotoFacts, ...] = ()


@dataclass(frozen=True)
class InspectionFacts:
    inspection_id: str
    site_name: str
    place: str
    started_at: datetime | None
    ended_at: datetime | None
    officers: tuple[OfficerFacts, ...]
    items: tuple[ItemFacts, ...]

    @property
    def failed_items(self) -> tuple[ItemFacts, ...]:
        return tuple(i for i in self.items if i.verdict == "fail")

    @property
    def inspection_date(self) -> date | None:
        return self.started_at.date() if self.started_at is not None else None


@dataclass(frozen=True)
class BasisFacts:
    ref: str
    text: str


@dataclass(frozen=True)
class LineFacts:
    """One penalty line as computed (app/penalties), with why it may not be printed yet."""

    rule_key: str
    kind: str  # statutory_fine | fiscal_deduction | a measure
    title: str
    basis: tuple[BasisFacts, ...]
    amount_fen: int | None
    status: str
    blocking_reasons: tuple[str, ...]
    explanation: tuple[str, ...]
    payer_type: str  # violator | responsible_jurisdiction
    payer_name: str | None
    item_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentRef:
    """An earlier document this one cites (the decision repeats the 责改 and 告知 numbers, documents.md §0.1)."""

    kind: str
    number: str | None
    issued_on: date
    voided: bool = False


@dataclass(frozen=True)
class OrderFacts:
    """What the party must correct and by when (责令改正, 行政处罚法第二十八条)."""

    text: str | None
    deadline: date | None
    immediately: bool = False
    decided_on: date | None = None  # the case's recorded order (app/cases/orders.py): its real dates
    served_on: date | None = None


@dataclass(frozen=True)
class OnSiteFacts:
    """Who represented the party on site, what they said, and whether they signed (documents.md §1 item 8)."""

    present_name: str | None = None
    present_role: str | None = None
    statement: str | None = None
    signature: str | None = None  # signed | refused
    witness: str | None = None  # required when the party refused to sign
    signature_sha256: str | None = None  # the uploaded signature image / photo of the witnessed refusal
    signature_photo_id: str | None = None


@dataclass(frozen=True)
class DailyFacts:
    """按日连续处罚 (令28 第十七条, 第十九条): days from the day after service of the order to the 复查."""

    order_served_on: date
    reinspected_on: date
    per_day_fen: int

    @property
    def first_day(self) -> date:
        return date.fromordinal(self.order_served_on.toordinal() + 1)

    @property
    def days(self) -> int:
        return max(0, (self.reinspected_on - self.order_served_on).days)

    @property
    def total_fen(self) -> int:
        return self.per_day_fen * self.days


@dataclass(frozen=True)
class ServiceFacts:
    """送达回证 fields (documents.md §6; 民事诉讼法第八十七条至第九十五条)."""

    served: tuple[DocumentRef, ...]
    method: str | None
    served_at: datetime | None
    place: str | None
    recipient: str | None
    signer: str | None = None
    relation: str | None = None
    witness: str | None = None
    servers: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class DeadlineFacts:
    """A deadline the case computed (app/cases/deadlines.py), printed as the date it falls on."""

    key: str  # statement | hearing_request | payment | correction
    label: str
    counted_from: date
    due_on: date | None
    rule: str  # working_days | calendar_days | as_ordered
    basis: str


@dataclass(frozen=True)
class CaseFacts:
    """The case a document is issued from, as it stood at issue (app/cases/case_file.py)."""

    case_id: int
    stage: str
    filed_on: date | None = None
    notice_served_on: date | None = None
    proposed_fine_fen: int | None = None
    hearing_right: bool | None = None
    hearing_requested_on: date | None = None
    rights_waived: bool = False
    decided_on: date | None = None
    decided_fine_fen: int | None = None
    decided_measures: tuple[str, ...] = ()
    decision_served_on: date | None = None
    deadlines: tuple[DeadlineFacts, ...] = ()

    def deadline(self, key: str) -> DeadlineFacts | None:
        return next((d for d in self.deadlines if d.key == key), None)


@dataclass(frozen=True)
class DocumentFacts:
    kind: str
    authority: AuthorityFacts
    party: PartyFacts
    inspection: InspectionFacts
    lines: tuple[LineFacts, ...] = ()
    decided_amount_fen: int | None = None
    order: OrderFacts | None = None
    onsite: OnSiteFacts | None = None
    daily: DailyFacts | None = None
    service: ServiceFacts | None = None
    order_ref: DocumentRef | None = None
    notice_ref: DocumentRef | None = None
    decision_ref: DocumentRef | None = None
    replaces_ref: DocumentRef | None = None  # the voided document this one reissues
    case_id: str | None = None
    extra: tuple[str, ...] = field(default=())  # free remarks printed as given
    case: CaseFacts | None = None  # issued from a case: its stage, dates, decision and deadlines
    other_inspections: tuple[InspectionFacts, ...] = ()  # the case's other inspections (evidence appendix)
    signed_on: date | None = None  # the decision date the document states (第五十九条第一款第六项); None: issue date

    @property
    def all_inspections(self) -> tuple[InspectionFacts, ...]:
        return (self.inspection, *self.other_inspections)

    @property
    def proposed_total_fen(self) -> int:
        return sum(line.amount_fen or 0 for line in self.lines if line.kind == "statutory_fine")

    @property
    def fiscal_total_fen(self) -> int:
        return sum(line.amount_fen or 0 for line in self.lines if line.kind == "fiscal_deduction")


# --------------------------------------------------------------------------- JSON codec

T = TypeVar("T")


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(tp: Any, raw: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        if raw is None:
            return None
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(inner[0], raw)
    if origin is tuple:
        return tuple(_decode(typing.get_args(tp)[0], v) for v in raw)
    if tp is datetime:
        return datetime.fromisoformat(raw)
    if tp is date:
        return date.fromisoformat(raw)
    if isinstance(tp, type) and is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: _decode(hints[f.name], raw[f.name]) for f in fields(tp) if f.name in raw})
    return raw


def to_json(facts: DocumentFacts) -> dict[str, Any]:
    """The facts as JSON (dates as ISO strings), for the document row."""
    encoded: dict[str, Any] = _encode(facts)
    return encoded


def from_json(raw: dict[str, Any]) -> DocumentFacts:
    """The facts a document row froze."""
    facts: DocumentFacts = _decode(DocumentFacts, raw)
    return facts


def facts_hash(facts: DocumentFacts, number: str | None) -> str:
    """SHA-256 of the canonical facts and the number: printed in the PDF (a file cannot print its own hash;
    the file's hash is shown by the verification page)."""
    canonical = json.dumps({"facts": to_json(facts), "number": number}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
