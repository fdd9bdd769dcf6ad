"""``flask map refresh | rebuild``: the low-zoom tiles' rollup by hand (after a bulk import, or to catch up)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import current_session, db
from app.maplayers.rollup import rebuild_all, refresh_dirty

map_cli = AppGroup("map", help="Map layers' rollup (low-zoom tiles).")


@map_cli.command("refresh")
def refresh_command() -> None:
    """Recompute the sites changed since the last refresh."""
    total = 0
    while (sites := refresh_dirty(current_session())) > 0:
        db.session.commit()
        total += sites
    db.session.commit()
    click.echo(f"{total} sites refreshed")


@map_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute the whole rollup from the base tables."""
    rebuild_all(current_session())
    db.session.commit()
    click.echo("map rollup rebuilt")
