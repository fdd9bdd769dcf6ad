"""A case's full history as one timeline: its own events (opening, each transition, party edits, orders and
their outcomes) and each inspection with its evidence hashes and penalty lines, in date order."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.case_file import inspection_fact
from app.cases.models import CaseEvent
from app.cases.queries import get_case
from app.documents.kinds import KINDS
from app.documents.models import Document
from app.documents.queries import case_documents
from app.inspections.models import Inspection
from app.localtime import local_date


def case_timeline(session: Session, principal: Principal, case_id: int) -> tuple[int, list[dict[str, Any]]]:
    """(case version, entries oldest first). Each entry: kind, on_date, at, by, data."""
    case = get_case(session, principal, case_id)
    entries: list[tuple[date | None, datetime | None, int, dict[str, Any]]] = []
    for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)):
        entry = {"kind": event.kind, "on_date": event.on_date, "at": event.at, "by": event.by_id, "data": event.data}
        entries.append((event.on_date, event.at, 1, entry))
    for member in case.inspections:
        inspection = session.get(Inspection, member.inspection_id)
        assert inspection is not None
        fact = inspection_fact(session, inspection, member.role)
        data = {
            "inspection_id": str(fact.inspection_id),
            "role": fact.role,
            "state": fact.state,
            "reinspection_of": str(fact.reinspection_of) if fact.reinspection_of else None,
            "officers": [{"name": o.name, "badge_number": o.badge_number} for o in fact.officers],
            "failed_items": list(fact.failed_items),
            "evidence": [
                {"item_key": e.item_key, "photo_id": str(e.photo_id), "sha256": e.sha256} for e in fact.evidence
            ],
            "penalty_lines": [
                {
                    "rule_key": l.rule_key,
                    "kind": l.kind,
                    "payer_type": l.payer_type,
                    "amount_fen": l.amount_fen,
                    "daily_days": l.daily_days,
                    "status": l.status,
                    "basis": list(l.basis),
                }
                for l in fact.lines
            ],
        }
        at = inspection.started_at or inspection.submitted_at
        entries.append(
            (
                fact.on_date,
                at,
                0,
                {"kind": "inspection", "on_date": fact.on_date, "at": at, "by": inspection.created_by_id, "data": data},
            )
        )
        if inspection.decided_at is not None:
            entries.append(
                (
                    local_date(inspection.decided_at),
                    inspection.decided_at,
                    0,
                    {
                        "kind": f"inspection_{inspection.decision}",
                        "on_date": None,
                        "at": inspection.decided_at,
                        "by": inspection.decided_by_id,
                        "data": {"inspection_id": str(inspection.id), "reason": inspection.decision_reason},
                    },
                )
            )
    for document in case_documents(session, case.id):
        entries.append((document.issued_on, document.issued_at, 2, document_entry(document)))
    entries.sort(key=lambda e: (e[0] or date.min, e[1].timestamp() if e[1] else 0.0, e[2]))
    return case.version, [e[3] for e in entries]


def document_entry(document: Document) -> dict[str, Any]:
    """A document issued from the case: what, which number, issued or voided, when and by whom."""
    return {
        "kind": "document",
        "on_date": document.issued_on,
        "at": document.issued_at,
        "by": document.issued_by_id,
        "data": {k: _iso(v) for k, v in document_summary(document).items()},
    }


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def document_summary(document: Document) -> dict[str, Any]:
    """The document as the case's page lists it."""
    return {
        "document_id": str(document.id),
        "kind": document.kind,
        "kind_title": KINDS[document.kind].title_zh,
        "number": document.number,
        "state": document.state,
        "issued_on": document.issued_on,
        "issued_at": document.issued_at,
        "issued_by": document.issued_by_id,
        "voided_at": document.voided_at,
        "voided_by": document.voided_by_id,
        "void_reason": document.void_reason,
    }
