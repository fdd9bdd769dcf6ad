"""Who may see a document: supervisors and admins covering its jurisdiction (others: 404)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.documents.models import Document
from app.errors import NotFound
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause


def document_not_found() -> NotFound:
    return NotFound("文书不存在或不在您的辖区内。", "Document not found in your scope.", code="document_not_found")


def get_document(
    session: Session, principal: Principal, document_id: uuid.UUID, *, for_update: bool = False
) -> Document:
    """The document if the caller's jurisdictions cover it; otherwise NotFound (never 403)."""
    query = select(Document).where(Document.id == document_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    document = session.scalars(query).first()
    if document is None:
        raise document_not_found()
    path = session.scalar(select(Jurisdiction.path).where(Jurisdiction.id == document.jurisdiction_id))
    if not principal.covers(path):
        raise document_not_found()
    return document


def list_documents(
    session: Session,
    principal: Principal,
    *,
    inspection_id: uuid.UUID | None = None,
    case_id: int | None = None,
    kind: str | None = None,
) -> list[Document]:
    """Documents in the caller's jurisdictions (of one inspection, case or kind when given), newest first."""
    query = (
        select(Document)
        .join(Jurisdiction, Jurisdiction.id == Document.jurisdiction_id)
        .where(scope_clause(principal.jurisdiction_paths))
    )
    if inspection_id is not None:
        query = query.where(Document.inspection_id == inspection_id)
    if case_id is not None:
        query = query.where(Document.case_id == case_id)
    if kind is not None:
        query = query.where(Document.kind == kind)
    return list(session.scalars(query.order_by(Document.issued_at.desc(), Document.id)))
