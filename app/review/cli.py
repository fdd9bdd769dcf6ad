"""``flask review refresh``: the stored review-queue risk by hand (after a bulk import, or to catch up at once)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import current_session, db
from app.review.risk_store import refresh_dirty
from app.wiring import wiring

review_cli = AppGroup("review", help="Review queue.")


@review_cli.command("refresh")
@click.option("--batch", default=5000, show_default=True, help="Inspections per committed batch.")
def refresh_command(batch: int) -> None:
    """Recompute the stored risk of every dirty inspection (all of them under new settings)."""
    total = 0
    settings = wiring().risk_settings
    while not (result := refresh_dirty(current_session(), settings, batch=batch)).done:
        db.session.commit()
        total += result.inspections
        if result.marked_all:
            click.echo("settings changed (or first run): every inspection marked for recomputation")
    db.session.commit()
    click.echo(f"{total} inspections recomputed")
