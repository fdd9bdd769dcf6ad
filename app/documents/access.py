"""Who may see a document: supervisors and admins covering its jurisdiction (others: 404)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.documents.models import Document
from app.errors import NotFound
from app.jurisdictions.models import Jurisdiction


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


def list_documents(session: Session, principal: Principal, inspection_id: uuid.UUID | None) -> list[Document]:
    """Documents in the caller's jurisdictions (of one inspection when given), newest first."""
    query = select(Document, Jurisdiction.path).join(Jurisdiction, Jurisdiction.id == Document.jurisdiction_id)
    if inspection_id is not None:
        query = query.where(Document.inspection_id == inspection_id)
    rows = session.execute(query.order_by(Document.issued_at.desc(), Document.id)).tuples().all()
    return [d for d, path in rows if principal.covers(path)]
