"""``flask photos gc`` (derivatives are jobs now: ``flask jobs worker``)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.extensions import current_session, db
from app.photos.gc import delete_orphans, find_orphans
from app.wiring import wiring

photos_cli = AppGroup("photos", help="Photo storage checks.")


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
