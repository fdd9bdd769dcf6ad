"""``flask photos worker`` and ``flask photos gc``."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import current_session, db
from app.photos.gc import delete_orphans, find_orphans
from app.photos.worker import run_worker
from app.wiring import wiring

photos_cli = AppGroup("photos", help="Photo derivatives worker and storage checks.")


@photos_cli.command("worker")
@click.option("--once", is_flag=True, help="Process what is pending now, then exit.")
@click.option("--poll", type=float, default=None, help="Seconds between polls (default PHOTO_WORKER_POLL_SECONDS).")
def worker_command(once: bool, poll: float | None) -> None:
    """Make display images and thumbnails for uploaded photos (runs until SIGTERM/Ctrl-C)."""
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"photo worker: signal {signum}, finishing the current photo …", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # The worker runs outside this app context, so it needs the app itself, not the proxy;
    # Flask types current_app as Flask, hiding the proxy's _get_current_object().
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    done = run_worker(app, once=once, poll_seconds=poll, stop=stop)
    click.echo(f"photo worker: {done} photo(s) processed")


@photos_cli.command("gc")
@click.option("--delete", is_flag=True, help="Delete the orphan FILES listed (rows are never deleted).")
@click.option(
    "--min-age-minutes",
    type=int,
    default=60,
    show_default=True,
    help="Ignore originals and temp files younger than this (uploads in flight).",
)
@click.option(
    "--partial-age-days",
    type=int,
    default=7,
    show_default=True,
    help="Resumable uploads untouched this long are stale.",
)
def gc_command(delete: bool, min_age_minutes: int, partial_age_days: int) -> None:
    """Find files without rows, rows without files, temp leftovers and stale partial uploads."""
    store = wiring().photo_store
    report = find_orphans(
        current_session(),
        store,
        min_age=timedelta(minutes=min_age_minutes),
        partial_age=timedelta(days=partial_age_days),
    )
    db.session.rollback()
    for line in report.lines():
        click.echo(line)
    if report.rows_without_originals:
        click.echo("WARNING: photo rows whose original is missing; restore them from backup (rows are kept).", err=True)
    if delete:
        removed = delete_orphans(store, report)
        click.echo(f"deleted {removed} file(s)")
    elif not report.clean:
        click.echo("dry run: nothing deleted (use --delete to remove the orphan files)")
    if report.rows_without_originals:
        raise SystemExit(2)
