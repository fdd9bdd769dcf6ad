"""``flask checklists validate | sync | set-param``.

- ``validate`` prints every problem with its path (``<file>.<json path>``) and exits 1 when there is any.
- ``sync`` validates first, then stores each file whose content hash is new as a new immutable version
  (a changed file must bump its ``version``; see ``sync.sync_checklists``). Idempotent; ``make run``
  runs it on every start.
- ``set-param`` sets a jurisdiction's value for a checklist parameter no plan fixes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.checklists.files import checklist_files
from app.checklists.parameters import set_checklist_parameter
from app.checklists.sync import sync_checklists, validate_checklist_files
from app.cli_support import echo_field_errors, exit_with_problem
from app.context import set_actor
from app.errors import AppError, ValidationFailed
from app.extensions import current_session, db

checklists_cli = AppGroup("checklists", help="Checklist catalogue: validate and sync the files under checklists/.")

_dir_option = click.option("--dir", "checklists_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Checklists folder (default: CHECKLISTS_DIR).")


def _resolve_dir(checklists_dir: Path | None) -> Path:
    return Path(checklists_dir or current_app.config["CHECKLISTS_DIR"])


@checklists_cli.command("validate")
@_dir_option
def validate_command(checklists_dir: Path | None) -> None:
    """Validate every checklist file (schema, keys, seed references, conditions, penalty rule keys)."""
    root = _resolve_dir(checklists_dir)
    errors = validate_checklist_files(root)
    if errors:
        echo_field_errors(errors)
        sys.exit(1)
    click.echo(f"{len(checklist_files(root))} checklist file(s) valid")


@checklists_cli.command("sync")
@_dir_option
def sync_command(checklists_dir: Path | None) -> None:
    """Validate, then store new or changed checklist files as new versions (no-op when nothing changed)."""
    set_actor(None, "checklists-sync")
    try:
        report = sync_checklists(current_session(), _resolve_dir(checklists_dir))
    except ValidationFailed as exc:
        db.session.rollback()
        exit_with_problem(exc)
    db.session.commit()
    for line in report.lines():
        click.echo(line)
    click.echo("checklists synced" if report.changed else "checklists already up to date")


@checklists_cli.command("set-param")
@click.argument("jurisdiction_code")
@click.argument("checklist_key")
@click.argument("name")
@click.argument("value")
def set_param_command(jurisdiction_code: str, checklist_key: str, name: str, value: str) -> None:
    """Set a jurisdiction's parameter value (VALUE is JSON, e.g. 5000), e.g. a monitoring floor-area threshold."""
    set_actor(None, "cli")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="VALUE") from exc
    try:
        set_checklist_parameter(current_session(), jurisdiction_code, checklist_key, name, parsed)
    except AppError as exc:
        db.session.rollback()
        exit_with_problem(exc)
    db.session.commit()
    click.echo(f"set {checklist_key}.{name} = {parsed!r} for {jurisdiction_code}")
