"""The one SQL form of jurisdiction scope: at or below any of the caller's jurisdictions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from app.jurisdictions.models import Jurisdiction


def scope_clause(paths: Sequence[str] | None, path_column: Any = Jurisdiction.path) -> ColumnElement[bool]:
    """Rows whose jurisdiction path lies at or below any of ``paths``; ``None`` means no restriction."""
    if paths is None:
        return true()
    if not paths:
        return false()
    return or_(*[path_column.startswith(p) for p in paths])


def jurisdictions_in_scope(session: Session, paths: Sequence[str]) -> list[Jurisdiction]:
    """The caller's jurisdictions and everything below them, root first."""
    return list(session.scalars(select(Jurisdiction).where(scope_clause(paths)).order_by(Jurisdiction.path)))
