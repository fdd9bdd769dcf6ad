"""``flask penalties validate | sync``.

- ``validate`` prints every problem in ``<CHECKLISTS_DIR>/penalties/*.yaml`` and exits 1 when there is any.
- ``sync`` validates, then stores each rule entry whose ``rule_hash`` is new as a new immutable
  ``PenaltyRuleVersion`` and retires entries no longer in the files (old versions stay readable; computed
  inspection lines keep citing them). Idempotent; ``make run`` runs it on every start.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli_support import echo_field_errors, exit_with_problem
from app.context import set_actor
from app.errors import ValidationFailed
from app.extensions import current_session, db
from app.penalties.catalogue import sync_penalty_rules, validate_penalty_rules

penalties_cli = AppGroup("penalties", help="Penalty rules: validate and sync checklists/penalties/*.yaml.")

_dir_option = click.option("--dir", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Penalty rules folder (default: CHECKLISTS_DIR/penalties).")


def _resolve(rules_dir: Path | None) -> Path:
    return Path(rules_dir) if rules_dir else Path(current_app.config["CHECKLISTS_DIR"]) / "penalties"


@penalties_cli.command("validate")
@_dir_option
def validate_command(rules_dir: Path | None) -> None:
    """Validate every penalty rule file (schema, periods, policy defaults, companion measures)."""
    root = _resolve(rules_dir)
    errors = validate_penalty_rules(root)
    if errors:
        echo_field_errors(errors)
        sys.exit(1)
    click.echo(f"{len(sorted(root.glob('*.yaml')))} penalty rule file(s) valid")


@penalties_cli.command("sync")
@_dir_option
def sync_command(rules_dir: Path | None) -> None:
    """Validate, then store new or changed rule entries as new versions (no-op when nothing changed)."""
    set_actor(None, "penalties-sync")
    try:
        report = sync_penalty_rules(current_session(), _resolve(rules_dir))
    except ValidationFailed as exc:
        db.session.rollback()
        exit_with_problem(exc)
    db.session.commit()
    for line in report.lines():
        click.echo(line)
    click.echo("penalty rules synced" if report.changed else "penalty rules already up to date")
