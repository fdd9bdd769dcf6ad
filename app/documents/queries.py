"""Documents of a case, oldest first: what ``facts_from_case`` cites and what the case's page and timeline
list (app/cases imports this module; it imports nothing from app/cases)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.models import Document


def case_documents(session: Session, case_id: int) -> list[Document]:
    """Every document issued from the case (voided ones included), in issue order."""
    return list(
        session.scalars(select(Document).where(Document.case_id == case_id).order_by(Document.issued_at, Document.id))
    )
