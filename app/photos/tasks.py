"""Photo jobs on the queue (``app.jobs``): ``make_derivatives`` per uploaded photo and the periodic expiry
of stale resumable uploads.

An upload defers ``make_derivatives`` in its own transaction (``defer_derivatives``), so a committed photo
always has its job and a rolled-back upload leaves none. The job reuses ``derivatives.make_pending_derivatives``:
idempotent (a photo made on demand meanwhile is left alone), a permanent verdict (undecodable, too many
pixels, unsupported) ends the job ``failed`` at once, a transient failure is retried with backoff until
the photo's own ``MAX_DERIVATIVE_ATTEMPTS`` marks it failed.

Both jobs need the app servers' data folder (originals of the filesystem store, resumable partials).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from procrastinate import BaseRetryStrategy, JobContext, RetryDecision
from procrastinate.jobs import Job
from sqlalchemy.orm import Session

from app.extensions import current_session, db
from app.jobs.errors import flask_app_of
from app.jobs.queue import defer_in, queue
from app.photos.derivatives import MAX_DERIVATIVE_ATTEMPTS, make_pending_derivatives
from app.photos.storage import PhotoStore
from app.wiring import wiring

log = logging.getLogger(__name__)

MAKE_DERIVATIVES = "make_derivatives"
EXPIRE_STALE_PARTIALS = "expire_stale_partials"
RETRY_BASE_SECONDS = 10  # our choice: waits of 10 s, 30 s, 90 s … between attempts
RETRY_MAX_SECONDS = 3600
# Failures outside the photo (database restarting, store unreachable) do not count against the photo's
# own attempts; the queue gives up on the job after this many.
MAX_JOB_ATTEMPTS = 8


class DerivativesRetrying(Exception):
    """A transient failure; the photo still waits (retried)."""


class DerivativesFailed(Exception):
    """The photo's derivatives failed for good (not retried)."""


class DerivativeRetryStrategy(BaseRetryStrategy):
    """Retry everything except a photo that failed for good, with exponential backoff."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, DerivativesFailed) or job.attempts + 1 >= MAX_JOB_ATTEMPTS:
            return None
        return RetryDecision(retry_in={"seconds": min(RETRY_BASE_SECONDS * 3**job.attempts, RETRY_MAX_SECONDS)})


def defer_derivatives(session: Session, photo_id: uuid.UUID) -> int:
    """Queue ``make_derivatives`` for a new photo in the caller's transaction → the job id."""
    return defer_in(session, MAKE_DERIVATIVES, photo_id=str(photo_id))


@queue.task(name=MAKE_DERIVATIVES, pass_context=True, retry=DerivativeRetryStrategy())
def make_derivatives(context: JobContext, photo_id: str) -> str:
    """Make the display image and thumbnail of one photo → its derivative state."""
    app = flask_app_of(context)
    with app.app_context():
        try:
            photo = make_pending_derivatives(
                current_session(),
                wiring(app).photo_store,
                uuid.UUID(photo_id),
                max_pixels=int(app.config["MAX_IMAGE_PIXELS"]),
            )
            outcome = (
                (photo.derivatives_state, photo.derivatives_error, photo.derivatives_attempts)
                if photo is not None
                else None
            )
            db.session.commit()
        finally:
            db.session.remove()
    if outcome is None:
        log.warning("photo %s: no such photo, nothing to make", photo_id)
        return "missing"
    state, error, attempts = outcome
    log.info("photo %s derivatives %s", photo_id, state)
    if state == "failed":
        raise DerivativesFailed(f"photo {photo_id}: {error}")
    if state == "pending":
        raise DerivativesRetrying(f"photo {photo_id}: {error} (attempt {attempts} of {MAX_DERIVATIVE_ATTEMPTS})")
    return state


def expire_stale_partials(store: PhotoStore, max_age: timedelta) -> int:
    """Remove resumable uploads untouched for ``max_age`` (their phones start over) → how many."""
    expired = store.spool.expire_partials(max_age)
    for upload_id, size in expired:
        log.info("expired resumable upload %s (%s bytes)", upload_id, size)
    return len(expired)


# An upload's quota is only freed when its partial goes; ages are hours, so every ten minutes is plenty.
@queue.periodic(cron="*/10 * * * *")
@queue.task(name=EXPIRE_STALE_PARTIALS, queueing_lock=EXPIRE_STALE_PARTIALS, pass_context=True)
def expire_stale_partials_job(context: JobContext, timestamp: int) -> int:
    """Expire resumable uploads untouched for ``PHOTO_PARTIAL_MAX_AGE_HOURS`` → how many."""
    app = flask_app_of(context)
    max_age = timedelta(hours=float(app.config.get("PHOTO_PARTIAL_MAX_AGE_HOURS", 72)))
    return expire_stale_partials(wiring(app).photo_store, max_age)
