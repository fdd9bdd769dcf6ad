"""``flask checklists validate | sync | set-param``.

- ``validate`` prints every problem with its path (``<file>.<json path>``) and exits 1 when there is any.
- ``sync`` validates first, then stores each file whose content hash is new as a new immutable version
  (a changed file must bump its ``version``; see ``sync.sync_checklists``). Idempotent; ``make run``
  runs it on every start.
- ``set-param`` sets a jurisdiction's value for a checklist parameter no plan fixes.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.checklists.files import checklist_files
from app.checklists.parameters import set_checklist_parameter
from app.checklists.sync import sync_checklists, validate_checklist_files
from app.cli_support import Catalogue, add_catalogue_commands, exit_with_problem
from app.context import set_actor
from app.errors import AppError
from app.extensions import current_session, db

checklists_cli = AppGroup("checklists", help="Checklist catalogue: validate and sync the files under checklists/.")


def _folder(checklists_dir: Path | None) -> Path:
    return Path(checklists_dir or current_app.config["CHECKLISTS_DIR"])


add_catalogue_commands(
    checklists_cli,
    Catalogue(
        name="checklists",
        file_label="checklist",
        actor="checklists-sync",
        folder=_folder,
        count_files=lambda root: len(checklist_files(root)),
        validate=validate_checklist_files,
        sync=sync_checklists,
    ),
    dir_help="Checklists folder (default: CHECKLISTS_DIR).",
    validate_help="Validate every checklist file (schema, keys, seed references, conditions, penalty rule keys).",
    sync_help="Validate, then store new or changed checklist files as new versions (no-op when nothing changed).",
)


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
