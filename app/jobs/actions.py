"""An administrator retries a failed job or cancels a queued one (audited with a reason; flushes, never commits).

Both run procrastinate's own SQL functions in the caller's transaction, so the job's change, the audit row
and (for a photo) its derivative state commit together. ``flask jobs retry`` does the same from a shell.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import Conflict
from app.jobs.listing import JobRow, get_job
from app.jobs.visibility import CANCELLABLE, RETRYABLE
from app.photos.derivatives import reopen_failed_derivatives
from app.photos.tasks import MAKE_DERIVATIVES


def _wrong_status(job: JobRow, action_zh: str, action_en: str, allowed: str) -> Conflict:
    return Conflict(
        f"任务 {job.id} 当前状态为 {job.status}，只有 {allowed} 状态的任务可以{action_zh}。",
        f"Job {job.id} is {job.status}; only {allowed} jobs can be {action_en}.",
        code="job_wrong_status",
        extra={"job_status": job.status},
    )


def retry_job(session: Session, principal: Principal, job_id: int, reason: str) -> JobRow:
    """A failed job back in the queue, due now (404 outside the caller's scope; 409 unless failed)."""
    job = get_job(session, principal, job_id)
    if job.status not in RETRYABLE:
        raise _wrong_status(job, "重试", "retried", "failed")
    reopened = False
    if job.task_name == MAKE_DERIVATIVES and "photo_id" in job.args:
        # The photo waits for its derivatives again, or the retried job would find it failed and skip it.
        reopened = reopen_failed_derivatives(session, uuid.UUID(str(job.args["photo_id"])))
    session.execute(text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"), {"id": job.id})
    record_audit(
        session,
        "job.retry",
        "job",
        job.id,
        before={"status": job.status, "attempts": job.attempts},
        after={"status": "todo", "task_name": job.task_name, "reason": reason, "photo_reopened": reopened},
    )
    return get_job(session, principal, job_id)


def cancel_job(session: Session, principal: Principal, job_id: int, reason: str) -> JobRow:
    """A queued job that has not started is cancelled: no worker will run it (409 unless queued)."""
    job = get_job(session, principal, job_id)
    if job.status not in CANCELLABLE:
        raise _wrong_status(job, "取消", "cancelled", "todo")
    cancelled = session.scalar(text("SELECT procrastinate_cancel_job_v1(:id, false, false)"), {"id": job.id})
    if cancelled is None:  # a worker took it meanwhile
        raise _wrong_status(get_job(session, principal, job_id), "取消", "cancelled", "todo")
    record_audit(
        session,
        "job.cancel",
        "job",
        job.id,
        before={"status": job.status},
        after={"status": "cancelled", "task_name": job.task_name, "reason": reason},
    )
    return get_job(session, principal, job_id)
