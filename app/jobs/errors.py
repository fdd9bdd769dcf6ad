"""The record of failed job attempts (``job_errors``): a task middleware writes one row per exception,
so an operator sees why a job failed (``flask jobs failed``), which procrastinate does not store."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from procrastinate import JobContext
from procrastinate.middleware import SyncCallNext
from procrastinate.worker import Worker
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs.models import JobError

log = logging.getLogger(__name__)

FLASK_APP = "flask_app"  # key of the Flask application in a worker's additional_context


def flask_app_of(context: JobContext) -> Flask:
    """The Flask application the worker runs for (handed over in its additional_context)."""
    app: Flask = context.additional_context[FLASK_APP]
    return app


def record_errors(call_next: SyncCallNext, context: JobContext, worker: Worker) -> Any:
    """Task middleware (sync tasks): run the task; on an exception, record it, then let procrastinate
    decide (retry or fail)."""
    try:
        return call_next()
    except Exception as exc:
        job = context.job
        assert job.id is not None
        try:
            with flask_app_of(context).app_context():
                try:
                    db.session.add(
                        JobError(
                            job_id=job.id,
                            task_name=job.task_name,
                            attempt=job.attempts + 1,
                            error=f"{type(exc).__name__}: {exc}"[:2000],
                        )
                    )
                    db.session.commit()
                finally:
                    db.session.remove()
        except Exception:  # noqa: BLE001 - the record is for operators; the job's own outcome matters more
            log.exception("could not record the error of job %s", job.id)
        raise


def last_errors(session: Session, job_ids: list[int]) -> dict[int, JobError]:
    """The latest recorded error of each job in ``job_ids``."""
    rows = session.scalars(
        select(JobError)
        .where(JobError.job_id.in_(job_ids))
        .order_by(JobError.job_id, JobError.id.desc())
        .distinct(JobError.job_id)
    )
    return {row.job_id: row for row in rows}
