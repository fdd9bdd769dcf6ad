"""Shared output for CLI commands: field errors and problems printed the same way everywhere."""
from __future__ import annotations

import sys
from typing import NoReturn

import click

from app.errors import AppError, FieldError


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
