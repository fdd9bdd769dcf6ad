"""A case's facts in one frozen value, for other features to read (``load_case_file``).

Intended reader: the documents feature (责令改正违法行为决定书, 行政处罚事先(听证)告知书, 行政处罚决定书,
按日连续处罚决定书, 财政扣缴通知) — it can fill every field from a ``CaseFile`` without touching case tables:

- ``party``: 当事人 block (name, 统一社会信用代码 or ID number, legal representative, address), unmasked;
- ``authority``: the jurisdiction whose bureau decides: the county-level jurisdiction above the site (大气污染防治法
  gives the power to 县级以上人民政府 departments), else the site's own;
- ``inspections``: each member inspection with its date, officers (name, badge), failed items, photo evidence
  hashes and its current penalty lines (statutory fines, daily lines with their days, measures, fiscal lines);
- ``orders``: each order to correct with its real decision date, service date, deadline and outcome;
- ``stages``: the stage dates (立案, 告知 served, 听证 requested, 决定, 决定 served, paid, closed) and amounts;
- ``deadlines``: every computed deadline with the rule it follows (working or calendar days) and its basis.

Access is checked (``get_case``: supervisors in scope; 404 otherwise); pass the caller's ``Principal``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.actions import case_lines
from app.cases.deadlines import Deadline
from app.cases.models import Case
from app.cases.party import PartyFacts, party_of
from app.cases.queries import get_case
from app.cases.schedule import case_deadlines
from app.inspections.models import Inspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes
from app.penalties.models import PenaltyLineRow
from app.penalties.records import current_computation
from app.photos.models import Photo


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    path: str


@dataclass(frozen=True)
class Officer:
    user_id: int
    name: str | None
    badge_number: str | None


@dataclass(frozen=True)
class Evidence:
    item_key: str
    photo_id: uuid.UUID
    sha256: str | None  # None while the photo has not arrived


@dataclass(frozen=True)
class PenaltyLineFact:
    line_id: int
    rule_key: str
    kind: str  # statutory_fine | fiscal_deduction | order_to_correct | stop_work | …
    payer_type: str
    payer_code: str | None
    amount_fen: int | None
    daily_days: int | None
    status: str
    basis: tuple[str, ...]
    item_keys: tuple[str, ...]


@dataclass(frozen=True)
class InspectionFact:
    inspection_id: uuid.UUID
    role: str  # initial | reinspection
    on_date: date
    state: str
    reinspection_of: uuid.UUID | None
    officers: tuple[Officer, ...]
    failed_items: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    lines: tuple[PenaltyLineFact, ...]


@dataclass(frozen=True)
class OrderFact:
    order_id: int
    inspection_id: uuid.UUID
    item_keys: tuple[str, ...]
    decided_on: date
    served_on: date | None
    deadline: date
    status: str  # open | complied | refused
    reinspection_id: uuid.UUID | None
    outcome_on: date | None


@dataclass(frozen=True)
class StageFacts:
    stage: str
    round: int
    filed_on: date | None
    notice_served_on: date | None
    proposed_fine_fen: int | None
    hearing_right: bool | None
    hearing_requested_on: date | None
    rights_waived: bool
    decided_on: date | None
    decided_fine_fen: int | None
    decided_measures: tuple[str, ...]
    decision_served_on: date | None
    paid_on: date | None
    paid_fen: int | None
    closed_on: date | None
    close_reason: str | None


@dataclass(frozen=True)
class CaseFile:
    case_id: int
    version: int
    site_id: int
    site_name: str
    site_address: str | None
    party: PartyFacts
    authority: Authority
    inspections: tuple[InspectionFact, ...]
    orders: tuple[OrderFact, ...]
    stages: StageFacts
    deadlines: tuple[Deadline, ...]


def line_fact(line: PenaltyLineRow) -> PenaltyLineFact:
    return PenaltyLineFact(
        line.id,
        line.rule_key,
        line.kind,
        line.payer_type,
        line.payer_code,
        line.amount_fen,
        line.daily_days,
        line.status,
        tuple(str(b.get("ref", "")) for b in line.basis or []),
        tuple(line.item_keys or ()),
    )


def inspection_fact(session: Session, inspection: Inspection, role: str) -> InspectionFact:
    links = [(l.item_key, l.photo_id) for l in inspection.photo_links]
    hashes = dict(
        session.execute(select(Photo.id, Photo.sha256).where(Photo.id.in_([p for _, p in links]))).tuples().all()
    )
    computation = current_computation(session, inspection.id)
    return InspectionFact(
        inspection.id,
        role,
        inspection.local_date,
        inspection.state,
        inspection.reinspection_of_id,
        tuple(Officer(o.user_id, o.name, o.badge_number) for o in inspection.officers),
        tuple(sorted(f.item_key for f in inspection.current_findings if f.verdict == "fail")),
        tuple(Evidence(k, p, hashes.get(p)) for k, p in links),
        tuple(line_fact(l) for l in (computation.lines if computation is not None else [])),
    )


def _authority(session: Session, case: Case) -> Jurisdiction:
    county = session.scalar(
        select(Jurisdiction).where(
            Jurisdiction.code.in_(chain_codes(case.jurisdiction.path)), Jurisdiction.level == "county"
        )
    )
    return county or case.jurisdiction


def case_file_of(session: Session, case: Case) -> CaseFile:
    """The facts of a case already loaded and checked."""
    inspections = []
    for member in case.inspections:
        inspection = session.get(Inspection, member.inspection_id)
        assert inspection is not None
        inspections.append(inspection_fact(session, inspection, member.role))
    j = _authority(session, case)
    return CaseFile(
        case.id,
        case.version,
        case.site_id,
        case.site.name,
        case.site.address,
        party_of(case),
        Authority(j.code, j.name_zh, j.path),
        tuple(inspections),
        tuple(
            OrderFact(
                o.id,
                o.inspection_id,
                tuple(o.item_keys),
                o.decided_on,
                o.served_on,
                o.deadline,
                o.status,
                o.reinspection_id,
                o.outcome_on,
            )
            for o in case.orders
        ),  # fmt: skip
        StageFacts(
            case.stage,
            case.round,
            case.filed_on,
            case.notice_served_on,
            case.proposed_fine_fen,
            case.hearing_right,
            case.hearing_requested_on,
            case.rights_waived,
            case.decided_on,
            case.decided_fine_fen,
            tuple(case.decided_measures or ()),
            case.decision_served_on,
            case.paid_on,
            case.paid_fen,
            case.closed_on,
            case.close_reason,
        ),  # fmt: skip
        tuple(case_deadlines(session, case)),
    )


def load_case_file(session: Session, principal: Principal, case_id: int) -> CaseFile:
    """The facts of a case the caller may see (404 otherwise)."""
    return case_file_of(session, get_case(session, principal, case_id))


__all__ = ["CaseFile", "case_file_of", "case_lines", "load_case_file"]
