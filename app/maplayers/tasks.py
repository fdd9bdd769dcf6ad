"""The map layers' rollup refresh on the job queue: every minute, recompute the sites triggers marked dirty."""

from __future__ import annotations

import logging

from procrastinate import JobContext

from app.extensions import current_session, db
from app.jobs.errors import flask_app_of
from app.jobs.queue import queue
from app.maplayers.rollup import refresh_dirty

log = logging.getLogger(__name__)

REFRESH_MAP_LAYERS = "refresh_map_layers"


# Every minute: the bound on how stale an aggregated tile can be (rollup.MAX_STALENESS_SECONDS).
@queue.periodic(cron="* * * * *")
@queue.task(name=REFRESH_MAP_LAYERS, queueing_lock=REFRESH_MAP_LAYERS, pass_context=True)
def refresh_map_layers(context: JobContext, timestamp: int) -> int:
    """Recompute every dirty site → how many (in batches, each committed)."""
    app = flask_app_of(context)
    done = 0
    with app.app_context():
        try:
            while (sites := refresh_dirty(current_session())) > 0:
                db.session.commit()
                done += sites
            db.session.commit()
        finally:
            db.session.remove()
    if done:
        log.info("map layers: %d sites refreshed", done)
    return done
