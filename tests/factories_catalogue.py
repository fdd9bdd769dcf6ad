"""The shipped checklist catalogue and penalty rules in the database, test after test, cheaply.

A real sync parses and validates every file (about a second for the checklists, a third of one for the
penalty rules), and the autouse truncation empties the tables after every test. So each sync runs for real
once per test run, on a connection of its own inside a transaction that is rolled back, and the rows and
audit entries it wrote are kept. ``install_shipped_*`` re-inserts those rows (same column values, the database
fills ``id`` and ``created_at``) and records the same audit entries through ``record_audit``: the database ends
as that sync would leave it (tests/integration/test_shipped_catalogue.py compares the two).

Tests about syncing itself (changed files, versions, reports) keep calling the real services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.audit.services import record_audit
from app.checklists.files import DEFAULT_CHECKLISTS_DIR
from app.checklists.models import ChecklistVersion
from app.checklists.sync import sync_checklists
from app.penalties.catalogue import sync_penalty_rules
from app.penalties.models import PenaltyRuleVersion
from app.penalties.rules import DEFAULT_RULES_DIR

_FILLED_BY_THE_DATABASE = ("id", "created_at")


@dataclass(frozen=True)
class SyncedRows:
    """What one sync into an empty database wrote: the rows of ``model`` and its audit entries."""

    model: Any  # ChecklistVersion | PenaltyRuleVersion
    rows: tuple[dict[str, Any], ...]  # column values but those the database fills, in insert order
    audits: tuple[tuple[str, str, int, Any, Any], ...]  # action, entity type, index into rows, before, after


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def capture_sync(session: Session, model: Any, run_sync: Callable[[Session], object]) -> SyncedRows:
    """Run ``run_sync`` for real in a transaction of its own, keep what it wrote, roll it back.

    The sequences it advanced are set back, so ids in the calling test do not depend on whether it ran.
    """
    table, audit = model.__table__, AuditEntry.__table__
    sequences = [f"pg_get_serial_sequence('{t.name}', 'id')" for t in (table, audit)]
    with _engine(session).connect() as conn:
        saved = [
            conn.execute(text(f"SELECT last_value, is_called FROM {conn.scalar(text(f'SELECT {s}'))}")).one()
            for s in sequences
        ]
        try:
            row_mark = conn.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            audit_mark = conn.scalar(select(func.coalesce(func.max(audit.c.id), 0)))
            with Session(bind=conn) as sync_session:  # joins the connection's transaction, never commits it
                run_sync(sync_session)
                sync_session.flush()
            written = conn.execute(select(table).where(table.c.id > row_mark).order_by(table.c.id)).mappings().all()
            entries = conn.execute(select(audit).where(audit.c.id > audit_mark).order_by(audit.c.id)).mappings().all()
        finally:
            conn.rollback()
            for sequence, (last_value, is_called) in zip(sequences, saved):
                conn.execute(text(f"SELECT setval({sequence}, :v, :c)"), {"v": last_value, "c": is_called})
            conn.commit()
    position = {str(row["id"]): i for i, row in enumerate(written)}
    return SyncedRows(
        model=model,
        rows=tuple({k: v for k, v in row.items() if k not in _FILLED_BY_THE_DATABASE} for row in written),
        audits=tuple(
            (e["action"], e["entity_type"], position[e["entity_id"]], e["before"], e["after"]) for e in entries
        ),
    )


def _require_empty(session: Session, model: Any) -> None:
    # A replay is only what a first sync writes. (Checked in the test's own transaction before any capture:
    # a capture beside uncommitted rows of the same keys would wait on them for ever.)
    if session.scalar(select(func.count()).select_from(model)):
        raise AssertionError(f"{model.__tablename__} is not empty: install the shipped files into an empty table")


def replay(session: Session, synced: SyncedRows) -> list[int]:
    """Insert ``synced`` into the test's session (flushes, does not commit); returns the new row ids."""
    model = synced.model
    _require_empty(session, model)
    ids = list(
        session.scalars(
            insert(model).returning(model.id, sort_by_parameter_order=True), [dict(row) for row in synced.rows]
        )
    )
    for action, entity_type, index, before, after in synced.audits:
        record_audit(session, action, entity_type, ids[index], before=before, after=after)
    session.flush()
    return ids


_captured: dict[str, SyncedRows] = {}  # one entry per kind, filled on first use in the run


def _shipped(session: Session, kind: str, model: Any) -> SyncedRows:
    if kind not in _captured:
        _require_empty(session, model)
        if kind == "checklists":
            _captured[kind] = capture_sync(
                session, ChecklistVersion, lambda s: sync_checklists(s, DEFAULT_CHECKLISTS_DIR)
            )
        else:
            _captured[kind] = capture_sync(
                session, PenaltyRuleVersion, lambda s: sync_penalty_rules(s, DEFAULT_RULES_DIR)
            )
    return _captured[kind]


def install_shipped_checklists(session: Session) -> None:
    """The shipped checklist catalogue as ``flask checklists sync`` leaves an empty database (flushed)."""
    replay(session, _shipped(session, "checklists", ChecklistVersion))


def install_shipped_penalty_rules(session: Session) -> None:
    """The shipped penalty rules as ``flask penalties sync`` leaves an empty database (flushed)."""
    replay(session, _shipped(session, "penalty_rules", PenaltyRuleVersion))
