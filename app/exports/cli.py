"""``flask exports run``: an export to a file from the command line, with a progress bar (rate, ETA)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from app.auth.principal import Principal
from app.context import set_actor
from app.exports.columns import FORMATS, KINDS
from app.exports.export import export_chunks, plan_export
from app.extensions import current_session, db
from app.inspections.rules import STATES
from app.review.queries import QueueFilter

exports_cli = AppGroup("exports", help="Exports to files.")


@exports_cli.command("run")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv")
@click.option("--jurisdiction", default=None, help="Division code: that subtree only.")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Repeatable; default all.")
def run_export(kind: str, out: str, fmt: str, jurisdiction: str | None, states: tuple[str, ...]) -> None:
    """Write an export to OUT (audited as the CLI)."""
    set_actor(None, "cli")
    session = current_session()
    flt = QueueFilter(states=tuple(sorted(states or STATES)))
    plan = plan_export(session, Principal(0, "cli", "admin", ("/",)), kind, fmt, flt, jurisdiction_code=jurisdiction)
    db.session.commit()
    columns = (TextColumn(kind), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"))
    with Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn()) as progress, open(out, "wb") as f:
        task = progress.add_task(kind, total=plan.rows, rate="")
        done = [0]

        def tick() -> None:
            done[0] += 1
            if done[0] % 5000 == 0:
                progress.update(task, completed=done[0], rate=f"{progress.tasks[0].speed or 0:,.0f} rows/s")

        for chunk in export_chunks(session, plan, tick):
            f.write(chunk)
        progress.update(task, completed=plan.rows)
    click.echo(f"{plan.rows} rows → {out}")
