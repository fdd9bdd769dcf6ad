"""``flask jobs worker|list|failed|retry``: run and inspect the job queue (procrastinate's tables)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from procrastinate.jobs import Job, Status

from app.extensions import current_session, db
from app.jobs import catalogue  # noqa: F401 - puts every task on the queue
from app.jobs.errors import last_errors
from app.jobs.queue import opened
from app.jobs.worker import run_worker
from app.photos.derivatives import reopen_failed_derivatives
from app.photos.tasks import MAKE_DERIVATIVES

jobs_cli = AppGroup("jobs", help="Background jobs: the worker and the queue.")

STATUSES = [status.value for status in Status]


@jobs_cli.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs that are ready now, then exit.")
@click.option("--concurrency", type=int, default=None, help="Jobs run at once (default JOBS_CONCURRENCY).")
def worker_command(once: bool, concurrency: int | None) -> None:
    """Run background jobs (photo derivatives, periodic upkeep) until SIGTERM/Ctrl-C."""
    # The worker hands the app to jobs running in other threads: the app itself, not the proxy
    # (Flask types current_app as Flask, hiding the proxy's _get_current_object()).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_worker(app, once=once, concurrency=concurrency)


def _lines(jobs: list[Job], with_errors: bool) -> list[str]:
    errors = last_errors(current_session(), [job.id for job in jobs if job.id is not None]) if with_errors else {}
    db.session.rollback()
    lines = []
    for job in jobs:
        scheduled = job.scheduled_at.isoformat(timespec="seconds") if job.scheduled_at else "-"
        line = f"{job.id}\t{job.status}\t{job.task_name}\tattempts={job.attempts}\tscheduled={scheduled}\t{job.task_kwargs}"
        error = errors.get(job.id) if job.id is not None else None
        if error is not None:
            line += f"\terror={error.error}"
        lines.append(line)
    return lines


@jobs_cli.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only jobs in this state.")
@click.option("--task", default=None, help="Only jobs of this task, e.g. make_derivatives.")
@click.option("--limit", type=int, default=50, show_default=True, help="The most recent jobs shown.")
def list_command(status: str | None, task: str | None, limit: int) -> None:
    """Jobs, oldest first: id, status, task, attempts, when due, arguments (and the last error)."""
    with opened(current_app._get_current_object()) as queue:  # type: ignore[attr-defined]
        jobs = queue.job_manager.list_jobs(status=status, task=task)
    for line in _lines(jobs[-limit:] if limit > 0 else jobs, with_errors=True):
        click.echo(line)


@jobs_cli.command("failed")
@click.option("--limit", type=int, default=50, show_default=True)
def failed_command(limit: int) -> None:
    """Dead letters: jobs that failed for good, with the error of their last attempt."""
    with opened(current_app._get_current_object()) as queue:  # type: ignore[attr-defined]
        jobs = queue.job_manager.list_jobs(status=Status.FAILED.value)
    for line in _lines(jobs[-limit:] if limit > 0 else jobs, with_errors=True):
        click.echo(line)
    click.echo(f"{len(jobs)} failed job(s)" + ("; retry one with: flask jobs retry ID" if jobs else ""))


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def retry_command(job_id: int) -> None:
    """Put a failed job back in the queue, due now."""
    with opened(current_app._get_current_object()) as queue:  # type: ignore[attr-defined]
        found = queue.job_manager.list_jobs(id=job_id)
        if not found:
            raise click.ClickException(f"no job {job_id}")
        if found[0].status != Status.FAILED.value:
            raise click.ClickException(f"job {job_id} is {found[0].status}; only failed jobs are retried")
        job = found[0]
        if job.task_name == MAKE_DERIVATIVES and reopen_failed_derivatives(
            current_session(), uuid.UUID(str(job.task_kwargs["photo_id"]))
        ):
            click.echo(f"photo {job.task_kwargs['photo_id']} waits for its derivatives again")
        db.session.commit()
        queue.job_manager.retry_job_by_id(job_id, retry_at=datetime.now(UTC))
    click.echo(f"job {job_id} queued again")
