"""Response bodies of the document endpoints (called only from routes)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.documents.kinds import KINDS
from app.documents.models import Document
from app.documents.settings import JurisdictionDocumentSettings


def document_view(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "kind": document.kind,
        "kind_title": KINDS[document.kind].title_zh,
        "inspection_id": document.inspection_id,
        "case_id": document.case_id,
        "state": document.state,
        "number": document.number,
        "issued_on": document.issued_on,
        "issued_at": document.issued_at,
        "issued_by_id": document.issued_by_id,
        "content_sha256": document.content_sha256,
        "pdf_sha256": document.pdf_sha256,
        "verify_path": f"/verify/{document.verify_token}",
        "replaces_id": document.replaces_id,
        "render_error": document.render_error,
        "voided_at": document.voided_at,
        "void_reason": document.void_reason,
    }


def settings_view(s: JurisdictionDocumentSettings) -> dict[str, Any]:
    effective = dict(s.effective.values)
    effective.update(
        number_pattern=s.effective.pattern,
        number_prefix=s.effective.prefix,
        type_codes={k: s.effective.type_code(k) for k, kind in KINDS.items() if kind.numbered},
    )
    return {"jurisdiction": s.jurisdiction.code, "own": s.own, "effective": effective, "sources": s.effective.sources}


def public_view_dict(view: Any) -> dict[str, Any]:
    return asdict(view)
