"""Render an issued document's frozen facts to its PDF, once (the render job's use case), and previews."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.documents.facts import DocumentFacts, facts_hash, from_json
from app.documents.models import Document
from app.documents.render import RenderInput, render_pdf
from app.photos.derivatives import DerivativeUnavailable
from app.photos.evidence_links import EvidenceLinks
from app.photos.models import Photo
from app.photos.notice import render_watermarked
from app.photos.storage import PhotoStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderEnv:
    """What rendering needs from the app: the photo store and evidence links (notice copies), limits, font."""

    store: PhotoStore
    links: EvidenceLinks
    max_pixels: int
    font_path: str | None
    photo_font_path: str | None
    verify_base_url: str


def notice_copies(session: Session, env: RenderEnv, facts: DocumentFacts) -> dict[str, bytes]:
    """Original sha256 → the watermarked notice copy of each photo the facts cite (missing ones left out)."""
    ids = {uuid.UUID(p.photo_id) for i in facts.all_inspections for item in i.items for p in item.photos}
    if facts.onsite is not None and facts.onsite.signature_photo_id:
        ids.add(uuid.UUID(facts.onsite.signature_photo_id))
    out: dict[str, bytes] = {}
    for photo in session.scalars(select(Photo).where(Photo.id.in_(ids))) if ids else []:
        try:
            out[photo.sha256] = render_watermarked(
                session, env.store, photo, env.links, max_pixels=env.max_pixels, font_path=env.photo_font_path
            )
        except (DerivativeUnavailable, FileNotFoundError) as exc:
            log.warning("document appendix: no notice copy of photo %s (%s)", photo.id, exc)
    return out


def verify_url(env: RenderEnv, token: str) -> str:
    return f"{env.verify_base_url.rstrip('/')}/verify/{token}"


def render_issued(session: Session, env: RenderEnv, document_id: uuid.UUID) -> Document | None:
    """Write the PDF of a document still rendering (idempotent: a rendered one is left alone)."""
    document = session.scalars(
        select(Document).where(Document.id == document_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if document is None or document.state != "rendering":
        return document
    facts = from_json(document.facts)
    pdf = render_pdf(
        RenderInput(
            facts=facts,
            number=document.number,
            issued_on=document.issued_on,
            content_sha256=document.content_sha256,
            verify_url=verify_url(env, document.verify_token),
            draft=False,
            images=notice_copies(session, env, facts),
        ),
        font_path=env.font_path,
    )
    document.pdf = pdf
    document.pdf_sha256 = sha256(pdf).hexdigest()
    document.rendered_at = datetime.now(UTC)
    document.state = "issued"
    session.flush()
    record_audit(
        session,
        "document.rendered",
        "document",
        document.id,
        before={"state": "rendering"},
        after={"state": "issued", "pdf_sha256": document.pdf_sha256},
    )
    return document


def mark_render_failed(session: Session, document_id: uuid.UUID, error: str) -> None:
    """A render that failed for good stays visible (the number stays taken; retry or void it)."""
    document = session.scalars(select(Document).where(Document.id == document_id).with_for_update()).first()
    if document is None or document.state != "rendering":
        return
    document.state = "failed"
    document.render_error = error[:2000]
    session.flush()
    record_audit(session, "document.render_failed", "document", document.id, after={"error": document.render_error})


def render_preview(session: Session, env: RenderEnv, facts: DocumentFacts, language: str = "zh") -> bytes:
    """A draft: marked 样稿/DRAFT on every page, no number taken, nothing stored (``en``: an English reading
    copy, which is never issued)."""
    return render_pdf(
        RenderInput(
            facts=facts,
            number=None,
            issued_on=datetime.now(UTC).date(),
            content_sha256=facts_hash(facts, None),
            verify_url=None,
            draft=True,
            images=notice_copies(session, env, facts),
            language=language,
        ),
        font_path=env.font_path,
    )
