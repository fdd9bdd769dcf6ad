"""Shared pieces of CLI commands: field errors and problems printed the same way everywhere, and the
``validate | sync`` pair of the data catalogues (checklists, penalty rules)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Protocol

import click
from sqlalchemy.orm import Session

from app.context import set_actor
from app.errors import AppError, FieldError, ValidationFailed
from app.extensions import current_session, db


def echo_field_errors(errors: list[FieldError]) -> None:
    for e in errors:
        click.echo(f"{e.path}: [{e.code}] {e.message_zh} / {e.message_en}", err=True)
    click.echo(f"{len(errors)} problem(s)", err=True)


def exit_with_problem(exc: AppError) -> NoReturn:
    """Print an AppError (and its field errors) on stderr and exit 1; the caller has rolled back."""
    click.echo(f"{exc.detail_zh} / {exc.detail_en}", err=True)
    if exc.errors:
        echo_field_errors(exc.errors)
    sys.exit(1)


class SyncReport(Protocol):
    @property
    def changed(self) -> bool: ...

    def lines(self) -> list[str]: ...


@dataclass(frozen=True)
class Catalogue:
    """A folder of data files that ``validate`` checks and ``sync`` stores as immutable versions."""

    name: str  # "checklists", "penalty rules": used in messages
    file_label: str  # "checklist", "penalty rule": "12 checklist file(s) valid"
    actor: str  # audit actor of a sync
    folder: Callable[[Path | None], Path]  # the --dir option, or the configured default
    count_files: Callable[[Path], int]
    validate: Callable[[Path], list[FieldError]]
    sync: Callable[[Session, Path], SyncReport]


def add_catalogue_commands(
    group: click.Group, catalogue: Catalogue, *, dir_help: str, validate_help: str, sync_help: str
) -> None:
    """``validate`` (every problem with its path; exit 1 when any) and ``sync`` (validate, then store what is
    new; idempotent) for ``catalogue``, added to ``group``."""
    dir_option = click.option(
        "--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None, help=dir_help
    )

    @group.command("validate", help=validate_help)
    @dir_option
    def validate_command(folder: Path | None) -> None:
        root = catalogue.folder(folder)
        errors = catalogue.validate(root)
        if errors:
            echo_field_errors(errors)
            sys.exit(1)
        click.echo(f"{catalogue.count_files(root)} {catalogue.file_label} file(s) valid")

    @group.command("sync", help=sync_help)
    @dir_option
    def sync_command(folder: Path | None) -> None:
        set_actor(None, catalogue.actor)
        try:
            report = catalogue.sync(current_session(), catalogue.folder(folder))
        except ValidationFailed as exc:
            db.session.rollback()
            exit_with_problem(exc)
        db.session.commit()
        for line in report.lines():
            click.echo(line)
        click.echo(f"{catalogue.name} synced" if report.changed else f"{catalogue.name} already up to date")
