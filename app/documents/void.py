"""Void an issued document with a reason. The row, its number and its bytes stay: the number is never
reused, and a reissue names the voided document (issue.issue_document with ``replaces_id``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.documents.access import get_document
from app.documents.models import Document
from app.errors import Conflict


def void_document(session: Session, principal: Principal, document_id: uuid.UUID, reason: str) -> Document:
    """Void an issued (or failed) document; voiding a voided one again is refused (409). Audited."""
    document = get_document(session, principal, document_id, for_update=True)
    if document.state not in ("issued", "failed"):
        raise Conflict(
            f"文书状态为{document.state}，不能作废",
            f"A {document.state} document cannot be voided",
            code="document_not_voidable",
        )
    before = {"state": document.state}
    document.state = "voided"
    document.voided_at = datetime.now(UTC)
    document.voided_by_id = principal.user_id
    document.void_reason = reason
    session.flush()
    record_audit(
        session,
        "document.void",
        "document",
        document.id,
        before=before,
        after={"state": "voided", "reason": reason, "number": document.number},
    )
    return document
