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

from app.context import set_actor
from app.errors import FieldError, ValidationFailed
from app.extensions import db

penalties_cli = AppGroup("penalties", help="Penalty rules: validate and sync checklists/penalties/*.yaml.")

_dir_option = click.option("--dir", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Penalty rules folder (default: CHECKLISTS_DIR/penalties).")


def _resolve(rules_dir: Path | None) -> Path:
    return Path(rules_dir) if rules_dir else Path(current_app.config["CHECKLISTS_DIR"]) / "penalties"


def _print_errors(errors: list[FieldError]) -> None:
    for e in errors:
        click.echo(f"{e.path}: [{e.code}] {e.message_zh} / {e.message_en}", err=True)
    click.echo(f"{len(errors)} problem(s)", err=True)


@penalties_cli.command("validate")
@_dir_option
def validate_command(rules_dir: Path | None) -> None:
    """Validate every penalty rule file (schema, periods, policy defaults, companion measures)."""
    from app.penalties.services import validate_penalty_rules

    root = _resolve(rules_dir)
    errors = validate_penalty_rules(root)
    if errors:
        _print_errors(errors)
        sys.exit(1)
    click.echo(f"{len(sorted(root.glob('*.yaml')))} penalty rule file(s) valid")


@penalties_cli.command("sync")
@_dir_option
def sync_command(rules_dir: Path | None) -> None:
    """Validate, then store new or changed rule entries as new versions (no-op when nothing changed)."""
    from app.penalties.services import sync_penalty_rules

    set_actor(None, "penalties-sync")
    try:
        report = sync_penalty_rules(db.session, _resolve(rules_dir))
    except ValidationFailed as exc:
        db.session.rollback()
        click.echo(f"{exc.detail_zh} / {exc.detail_en}", err=True)
        _print_errors(exc.errors)
        sys.exit(1)
    db.session.commit()
    for line in report.lines():
        click.echo(line)
    click.echo("penalty rules synced" if report.changed else "penalty rules already up to date")
