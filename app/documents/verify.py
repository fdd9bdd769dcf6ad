"""Public verification: anyone holding a document (its QR token, or its bytes) learns whether it is genuine.

Shows only the number, kind, issuing authority, date, amount and the file's SHA-256 — never the party or
the facts. The token is 24 random bytes (``secrets.token_urlsafe``): unguessable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from hashlib import sha256

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.facts import from_json
from app.documents.kinds import KINDS
from app.documents.models import Document
from app.errors import NotFound


@dataclass(frozen=True)
class PublicView:
    number: str | None
    kind: str
    kind_title: str
    authority: str | None
    issued_on: date
    amount_fen: int | None
    sha256: str | None
    status: str  # valid | voided | rendering | failed


def public_view(document: Document) -> PublicView:
    facts = from_json(document.facts)
    amount: int | None = None
    kind = KINDS[document.kind]
    if kind.lines == "fiscal":
        amount = facts.fiscal_total_fen
    elif document.kind == "daily_penalty_decision" and facts.daily is not None:
        amount = facts.daily.total_fen
    elif kind.lines == "violator" and document.kind != "order_to_correct":
        amount = facts.decided_amount_fen if facts.decided_amount_fen is not None else facts.proposed_total_fen
        if document.kind == "advance_notice" and facts.case is not None and facts.case.proposed_fine_fen is not None:
            amount = facts.case.proposed_fine_fen  # what the case's notice proposed, as printed
    status = {"issued": "valid"}.get(document.state, document.state)
    return PublicView(
        document.number,
        document.kind,
        kind.title_zh,
        facts.authority.name,
        document.issued_on,
        amount,
        document.pdf_sha256,
        status,
    )


def verify_token(session: Session, token: str) -> PublicView:
    """The public facts of the document printed with ``token`` (404 for any other string)."""
    document = session.scalar(select(Document).where(Document.verify_token == token)) if len(token) <= 64 else None
    if document is None:
        raise NotFound("无此文书。", "No such document.", code="document_unknown")
    return public_view(document)


@dataclass(frozen=True)
class UploadVerdict:
    genuine: bool
    sha256: str
    document: PublicView | None


def verify_bytes(session: Session, data: bytes) -> UploadVerdict:
    """Whether ``data`` are, byte for byte, the bytes of an issued document (voided ones say so)."""
    digest = sha256(data).hexdigest()
    document = session.scalar(select(Document).where(Document.pdf_sha256 == digest))
    if document is None:
        return UploadVerdict(False, digest, None)
    view = public_view(document)
    return UploadVerdict(view.status == "valid", digest, view)
