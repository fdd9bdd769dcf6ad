"""The queue's own upkeep: jobs left ``doing`` by a worker that died are put back in the queue."""

from __future__ import annotations

import logging

import procrastinate
from procrastinate import JobContext
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Status

from app.jobs.queue import queue

log = logging.getLogger(__name__)

STALLED_AFTER = "stalled_after_seconds"  # key in a worker's additional_context


async def retry_stalled(app: procrastinate.App, stalled_after_seconds: float) -> int:
    """Jobs ``doing`` on a worker silent for ``stalled_after_seconds`` (killed, host lost) → ``todo`` again.
    → how many. Safe for our jobs: each is idempotent and its database work rolled back with the dead worker."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after_seconds))
    for job in stalled:
        log.warning("job %s (%s) stalled on a dead worker: back in the queue", job.id, job.task_name)
        try:
            await app.job_manager.retry_job(job)
        except UniqueViolation:
            # A job with a queueing lock (the periodic ones) whose twin was queued while it hung: the twin does the
            # same work, so this one ends failed (kept, visible in the jobs page) instead of stopping every worker
            # that starts with this retry.
            log.warning(
                "job %s (%s): its queueing lock is taken by a waiting twin: ended failed", job.id, job.task_name
            )
            await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
    return len(stalled)


@queue.periodic(cron="* * * * *")
@queue.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Every minute (workers also do it when they start)."""
    return await retry_stalled(context.app, float(context.additional_context[STALLED_AFTER]))
