"""The statistics refresh on the job queue: every minute, recompute the groups triggers marked dirty."""

from __future__ import annotations

import logging

from procrastinate import JobContext

from app.extensions import current_session, db
from app.jobs.errors import flask_app_of
from app.jobs.queue import queue
from app.stats.rollup import refresh_dirty

log = logging.getLogger(__name__)

REFRESH_STATISTICS = "refresh_statistics"


# Every minute: the bound on how stale a figure can be (rollup.MAX_STALENESS_SECONDS).
@queue.periodic(cron="* * * * *")
@queue.task(name=REFRESH_STATISTICS, queueing_lock=REFRESH_STATISTICS, pass_context=True)
def refresh_statistics(context: JobContext, timestamp: int) -> int:
    """Recompute every dirty (jurisdiction, month) group → how many (in batches, each committed)."""
    app = flask_app_of(context)
    done = 0
    with app.app_context():
        try:
            while True:
                result = refresh_dirty(current_session())
                db.session.commit()
                done += result.groups
                if result.groups == 0:
                    break
        finally:
            db.session.remove()
    if done:
        log.info("statistics: %d groups refreshed", done)
    return done
