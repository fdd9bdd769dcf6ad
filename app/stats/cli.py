"""``flask stats refresh | rebuild``: the rollups by hand (after a bulk import, or to catch up at once)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import current_session, db
from app.stats.rollup import rebuild_all, refresh_dirty

stats_cli = AppGroup("stats", help="Statistics rollups.")


@stats_cli.command("refresh")
def refresh_command() -> None:
    """Recompute the groups changed since the last refresh."""
    total = 0
    while (groups := refresh_dirty(current_session()).groups) > 0:
        db.session.commit()
        total += groups
    db.session.commit()
    click.echo(f"{total} groups refreshed")


@stats_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every rollup from the base tables."""
    rebuild_all(current_session())
    db.session.commit()
    click.echo("statistics rebuilt")
