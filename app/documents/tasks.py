"""The render job on the queue (``app.jobs``): one ``render_document`` per issued document, deferred in the
issuing transaction, so a committed issue always has its job and a rolled-back one leaves none."""

from __future__ import annotations

import logging
import uuid

from flask import Flask
from procrastinate import JobContext, RetryStrategy

from app.documents.rendering import RenderEnv, mark_render_failed, render_issued
from app.extensions import current_session, db
from app.jobs.errors import flask_app_of
from app.jobs.queue import queue
from app.wiring import wiring

log = logging.getLogger(__name__)

RENDER_DOCUMENT = "render_document"
MAX_ATTEMPTS = 5


def render_env(app: Flask) -> RenderEnv:
    """Rendering's adapters and settings from the app's wiring and configuration."""
    w = wiring(app)
    return RenderEnv(
        store=w.photo_store,
        links=w.photo_evidence,
        max_pixels=int(app.config["MAX_IMAGE_PIXELS"]),
        font_path=app.config.get("DOCUMENT_FONT_PATH"),
        photo_font_path=app.config.get("PHOTO_WATERMARK_FONT"),
        verify_base_url=str(app.config.get("DOCUMENT_VERIFY_BASE_URL") or ""),
    )


@queue.task(name=RENDER_DOCUMENT, pass_context=True, retry=RetryStrategy(max_attempts=MAX_ATTEMPTS, wait=10))
def render_document(context: JobContext, document_id: str) -> str:
    """Render one issued document's PDF → its state."""
    app = flask_app_of(context)
    job = context.job
    with app.app_context():
        try:
            try:
                document = render_issued(current_session(), render_env(app), uuid.UUID(document_id))
                state = document.state if document is not None else "missing"
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                if job.attempts + 1 >= MAX_ATTEMPTS:
                    mark_render_failed(current_session(), uuid.UUID(document_id), repr(exc))
                    db.session.commit()
                raise
        finally:
            db.session.remove()
    log.info("document %s: %s", document_id, state)
    return state
