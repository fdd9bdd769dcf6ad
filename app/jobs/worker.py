"""``flask jobs worker``: procrastinate's worker for this application.

Any number of workers, on any machine that reaches the database (and, for photo jobs, the photo store and
data folder), can run side by side: procrastinate hands each job to one worker (``FOR UPDATE SKIP LOCKED``
in its fetch function) and wakes them with LISTEN/NOTIFY. A worker stops on SIGTERM/SIGINT after its
running jobs finish. A worker killed outright leaves its jobs ``doing``; they go back in the queue once its
heartbeat is ``JOBS_STALLED_AFTER_SECONDS`` old: when the next worker starts, and every minute.
"""

from __future__ import annotations

import asyncio
import logging

from flask import Flask

from app.jobs import catalogue  # noqa: F401 - puts every task on the queue
from app.jobs.errors import FLASK_APP, record_errors
from app.jobs.queue import connector_for, queue
from app.jobs.tasks import STALLED_AFTER, retry_stalled

log = logging.getLogger(__name__)


async def _run(app: Flask, *, once: bool, concurrency: int) -> None:
    stalled_after = float(app.config.get("JOBS_STALLED_AFTER_SECONDS", 60))
    with queue.replace_connector(connector_for(app)):
        async with queue.open_async():
            await retry_stalled(queue, stalled_after)
            await queue.run_worker_async(
                name="lantian",
                wait=not once,
                concurrency=concurrency,
                listen_notify=not once,
                install_signal_handlers=not once,
                additional_context={FLASK_APP: app, STALLED_AFTER: stalled_after},
                task_middleware=[record_errors],
                update_heartbeat_interval=max(stalled_after / 4, 0.5),
                stalled_worker_timeout=stalled_after,
            )


def run_worker(app: Flask, *, once: bool = False, concurrency: int | None = None) -> None:
    """Run jobs until SIGTERM/SIGINT; ``once``: run what is ready now, then return."""
    asyncio.run(_run(app, once=once, concurrency=concurrency or int(app.config.get("JOBS_CONCURRENCY", 2))))
