"""Flask CLI commands: ``flask users …``, ``flask demo load``; the feature groups (``flask jobs …`` and more).

Run them with the project's virtualenv from the repository root, e.g.
``.venv/bin/flask users create li.si --role inspector --jurisdiction 410811 --password-stdin``.
Without ``DATABASE_URL`` they talk to the local cluster that ``make run`` manages.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.models import User
from app.auth.principal import Principal
from app.auth.services import create_user, update_user
from app.checklists.cli import checklists_cli
from app.context import set_actor
from app.demo.cases_seed import load_demo_cases
from app.demo.seed import load_demo_data
from app.exports.cli import exports_cli
from app.extensions import current_session, db
from app.geo.cli import geo_cli
from app.jobs.cli import jobs_cli
from app.maplayers.cli import map_cli
from app.penalties.cli import penalties_cli
from app.photos.cli import photos_cli
from app.review.cli import review_cli
from app.stats.cli import stats_cli
from app.vocabulary import ROLES

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data for local runs.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--jurisdiction", "jurisdictions", multiple=True, required=True, help="Division code; repeatable.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default=None)
def create_user_command(
    username: str, role: str, jurisdictions: tuple[str, ...], password_stdin: bool, display_name: str | None
) -> None:
    """Create a user (the password is read from stdin, or prompted for)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    set_actor(None, "cli")
    user = create_user(
        current_session(),
        username=username,
        role=role,
        password=password,
        jurisdiction_codes=list(jurisdictions),
        display_name=display_name,
    )
    db.session.commit()
    click.echo(f"created user {user.username} (id {user.id}, role {user.role})")


@users_cli.command("disable")
@click.argument("username")
def disable_user_command(username: str) -> None:
    """Disable a user and revoke all of its sessions."""
    set_actor(None, "cli")
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    cli_actor = Principal(0, "cli", "admin", ("/",))
    update_user(current_session(), user, actor=cli_actor, is_active=False)
    db.session.commit()
    click.echo(f"disabled {username}")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load demo jurisdictions, users and data (idempotent; skipped when already loaded)."""
    set_actor(None, "demo-loader")
    report = load_demo_data(current_session())
    db.session.commit()
    for line in report:
        click.echo(line)


@demo_cli.command("cases")
def load_demo_cases_command() -> None:
    """Demo cases, one per stage, at the demo construction sites (after `demo load` and the catalogue syncs)."""
    set_actor(None, "demo-loader")
    report = load_demo_cases(current_session())
    db.session.commit()
    for line in report:
        click.echo(line)


def register(app: Flask) -> None:
    """Every ``flask`` command group of the application."""
    for group in (
        users_cli,
        demo_cli,
        geo_cli,
        checklists_cli,
        penalties_cli,
        photos_cli,
        jobs_cli,
        stats_cli,
        review_cli,
        exports_cli,
        map_cli,
    ):
        app.cli.add_command(group)
