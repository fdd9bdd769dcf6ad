"""Issue a document: check it may be issued, take its number, freeze its facts, queue its rendering.

Numbers come from one counter row per (authority, prefix, type code, year), stepped by an upsert in the
issuing transaction: concurrent issues queue on that row, and a rolled-back issue gives its number back
with it, so the sequence has no gap and no duplicate (documents.md §0.3). A voided document keeps its
number. The client names the document id, so a retried issue returns the same document, never a second
number.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.cases.case_file import CaseFile, load_case_file
from app.documents.access import get_document
from app.documents.blocking import Blocker, blockers
from app.documents.facts import DocumentFacts, DocumentRef, facts_hash, to_json
from app.documents.facts_from_case import build_case_facts, case_inspection_id
from app.documents.facts_from_inspection import References, build_facts
from app.documents.kinds import (
    ADVANCE_NOTICE,
    KINDS,
    ORDER_TO_CORRECT,
    PENALTY_DECISION,
)
from app.documents.models import Document
from app.documents.numbering import format_number
from app.documents.settings import EffectiveDocumentSettings, effective_document_settings
from app.documents.tasks import RENDER_DOCUMENT
from app.errors import Conflict, FieldError, RuleViolation, ValidationFailed
from app.inspections.access import get_inspection
from app.inspections.models import Inspection
from app.jobs.queue import defer_in
from app.localtime import today_local

ISSUABLE_STATES = ("submitted", "approved")


@dataclass(frozen=True)
class Prepared:
    inspection: Inspection
    case_file: CaseFile | None
    facts: DocumentFacts
    settings: EffectiveDocumentSettings
    blockers: list[Blocker]


def _belongs(document: Document, inspection: Inspection, case_id: int | None) -> bool:
    """An earlier document may be cited when it is about the same inspection or was issued from the case."""
    return document.inspection_id == inspection.id or (case_id is not None and document.case_id == case_id)


def _ref(
    session: Session, principal: Principal, raw: Any, kind: str, inspection: Inspection, case_id: int | None, path: str
) -> DocumentRef:
    document = get_document(session, principal, uuid.UUID(str(raw)))
    if (
        document.kind != kind
        or not _belongs(document, inspection, case_id)
        or document.state not in ("issued", "voided")
    ):
        raise ValidationFailed(
            "引用的文书不符",
            "The referenced document does not fit",
            errors=[
                FieldError(
                    path,
                    "bad_reference",
                    f"须为本次检查已签发的{KINDS[kind].title_zh}",
                    f"Must be an issued {kind} of this inspection",
                )
            ],
        )
    return DocumentRef(document.kind, document.number, document.issued_on, document.state == "voided")


def _references(session: Session, principal: Principal, inspection: Inspection, data: dict[str, Any]) -> References:
    refs = data.get("references") or {}
    case_id = data.get("case_id")
    served = []
    for i, raw in enumerate(refs.get("served") or []):
        document = get_document(session, principal, uuid.UUID(str(raw)))
        if document.state != "issued" or not _belongs(document, inspection, case_id):
            raise ValidationFailed(
                "送达的文书须为本次检查已签发的文书",
                "Served documents must be issued documents of this inspection",
                errors=[FieldError(f"references.served.{i}", "bad_reference", "文书未签发", "not issued")],
            )
        served.append(DocumentRef(document.kind, document.number, document.issued_on))
    replaces = None
    if data.get("replaces_id"):
        old = get_document(session, principal, uuid.UUID(str(data["replaces_id"])))
        if old.state != "voided" or old.kind != data["kind"] or not _belongs(old, inspection, case_id):
            raise ValidationFailed(
                "只能重新签发本次检查同类已作废的文书",
                "Only a voided document of the same kind and inspection can be reissued",
                errors=[
                    FieldError(
                        "replaces_id", "not_voided", "须为已作废的同类文书", "must be a voided document of this kind"
                    )
                ],
            )
        if session.scalar(select(Document.id).where(Document.replaces_id == old.id)) is not None:
            raise Conflict("该作废文书已重新签发", "This voided document was already reissued", code="already_reissued")
        replaces = DocumentRef(old.kind, old.number, old.issued_on, True)
    return References(
        order=_ref(session, principal, refs["order"], ORDER_TO_CORRECT, inspection, case_id, "references.order")
        if refs.get("order")
        else None,
        notice=_ref(session, principal, refs["notice"], ADVANCE_NOTICE, inspection, case_id, "references.notice")
        if refs.get("notice")
        else None,
        decision=_ref(
            session, principal, refs["decision"], PENALTY_DECISION, inspection, case_id, "references.decision"
        )
        if refs.get("decision")
        else None,
        replaces=replaces,
        served=tuple(served),
    )


def prepare(session: Session, principal: Principal, data: dict[str, Any]) -> Prepared:
    """The facts of the requested document and every reason it cannot be issued now."""
    case_file = None
    if data.get("case_id") is not None:
        # Issued from a case (facts_from_case): 404 outside the caller's scope, like the case itself.
        case_file = load_case_file(session, principal, data["case_id"])
        inspection_id = case_inspection_id(case_file, data.get("inspection_id"))
    else:
        inspection_id = data["inspection_id"]
    inspection = get_inspection(session, principal, inspection_id)
    settings = effective_document_settings(session, inspection.site.jurisdiction.path)
    refs = _references(session, principal, inspection, data)
    fields_in = data.get("fields") or {}
    if case_file is not None:
        facts = build_case_facts(session, case_file, inspection, data["kind"], fields_in, settings, refs)
    else:
        facts = build_facts(session, inspection, data["kind"], fields_in, settings, refs)
    found = blockers(facts, type_code=settings.type_code(facts.kind), number_prefix=settings.prefix)
    if inspection.state not in ISSUABLE_STATES:
        found.insert(0, Blocker("inspection_not_submitted", "检查尚未提交", "The inspection is not submitted"))
    return Prepared(inspection, case_file, facts, settings, found)


def next_number(session: Session, *, authority: str, prefix: str, type_code: str, year: int) -> int:
    """Take the next number of a sequence in the caller's transaction (row-locked until it ends)."""
    value = session.execute(
        text(
            "INSERT INTO document_number_counters (authority, prefix, type_code, year, last_value) "
            "VALUES (:a, :p, :t, :y, 1) ON CONFLICT (authority, prefix, type_code, year) "
            "DO UPDATE SET last_value = document_number_counters.last_value + 1 RETURNING last_value"
        ),
        {"a": authority, "p": prefix, "t": type_code, "y": year},
    ).scalar_one()
    return int(value)


def blocked_error(found: list[Blocker]) -> RuleViolation:
    return RuleViolation(
        "文书暂不能签发：" + "；".join(b.zh for b in found),
        "The document cannot be issued yet: " + "; ".join(b.en for b in found),
        code="document_blocked",
        errors=[FieldError(b.rule_key or "document", b.code, b.zh, b.en) for b in found],
    )


def issue_document(session: Session, principal: Principal, data: dict[str, Any]) -> tuple[Document, bool]:
    """Issue (or, for a retried id, return) a document → (document, created). Audited."""
    existing = session.get(Document, data["id"])
    if existing is not None:
        document = get_document(session, principal, data["id"])
        same_inspection = data.get("inspection_id") in (None, document.inspection_id)
        same_case = data.get("case_id") is None or data["case_id"] == document.case_id
        if document.kind != data["kind"] or not same_inspection or not same_case:
            raise Conflict(
                "该文书编号已用于其他文书", "This document id is used by another document", code="document_id_taken"
            )
        return document, False
    prepared = prepare(session, principal, data)
    if prepared.blockers:
        raise blocked_error(prepared.blockers)
    facts, settings = prepared.facts, prepared.settings
    issued_on = today_local()
    number = sequence_key = sequence_no = None
    if KINDS[facts.kind].numbered:
        authority, prefix, type_code = facts.authority.name, settings.prefix, settings.type_code(facts.kind)
        assert authority and prefix and type_code  # blockers() refused otherwise
        sequence_no = next_number(session, authority=authority, prefix=prefix, type_code=type_code, year=issued_on.year)
        number = format_number(settings.pattern, prefix=prefix, type_code=type_code, year=issued_on.year, n=sequence_no)
        sequence_key = f"{authority}|{prefix}|{type_code}|{issued_on.year}"
    if number is not None and session.scalar(select(Document.id).where(Document.number == number)) is not None:
        # A pattern changed so that two sequences print the same number: refuse rather than duplicate.
        raise Conflict("文号已被占用", f"Number {number} is already taken", code="document_number_taken")
    document = Document(
        id=data["id"],
        kind=facts.kind,
        inspection_id=prepared.inspection.id,
        case_id=prepared.case_file.case_id if prepared.case_file is not None else None,
        jurisdiction_id=prepared.inspection.site.jurisdiction_id,
        state="rendering",
        number=number,
        sequence_key=sequence_key,
        sequence_no=sequence_no,
        facts=to_json(facts),
        content_sha256=facts_hash(facts, number),
        verify_token=secrets.token_urlsafe(24),
        issued_on=issued_on,
        issued_by_id=principal.user_id,
        replaces_id=data.get("replaces_id"),
    )
    session.add(document)
    session.flush()
    document.job_id = defer_in(session, RENDER_DOCUMENT, document_id=str(document.id))
    session.flush()
    record_audit(
        session,
        "document.issue",
        "document",
        document.id,
        after={
            "kind": document.kind,
            "number": number,
            "inspection_id": str(document.inspection_id),
            "case_id": document.case_id,
            "content_sha256": document.content_sha256,
            "replaces_id": str(document.replaces_id) if document.replaces_id else None,
        },
    )
    return document, True
