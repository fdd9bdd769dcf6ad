"""The stored review-queue risk on the job queue: every minute, recompute the inspections triggers marked dirty."""

from __future__ import annotations

import logging

from procrastinate import JobContext

from app.extensions import current_session, db
from app.jobs.errors import flask_app_of
from app.jobs.queue import queue
from app.review.risk_store import refresh_dirty
from app.wiring import wiring

log = logging.getLogger(__name__)

REFRESH_REVIEW_RISK = "refresh_review_risk"


# Every minute. The queue is exact meanwhile (dirty inspections are computed live); the period only bounds how
# long they cost live work, and how late a photo's reuse shows on the *other* inspections.
@queue.periodic(cron="* * * * *")
@queue.task(name=REFRESH_REVIEW_RISK, queueing_lock=REFRESH_REVIEW_RISK, pass_context=True)
def refresh_review_risk(context: JobContext, timestamp: int) -> int:
    """Recompute every dirty inspection's stored risk → how many (in batches, each committed)."""
    app = flask_app_of(context)
    done = 0
    with app.app_context():
        try:
            settings = wiring().risk_settings
            while not (result := refresh_dirty(current_session(), settings)).done:
                db.session.commit()
                done += result.inspections
            db.session.commit()
        finally:
            db.session.remove()
    if done:
        log.info("review risk: %d inspections recomputed", done)
    return done
