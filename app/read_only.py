"""One-statement reads without a transaction: no ``BEGIN`` before, no ``ROLLBACK`` after.

A request through the ORM session pays two round trips around its statement: psycopg sends ``BEGIN`` before the
first statement, and the session's teardown sends ``ROLLBACK`` (py-spy: 14 % + 5 % of a nearby-sites request).
A request that reads with ONE statement needs neither: PostgreSQL runs a statement outside a transaction block
in a transaction of its own, with one snapshot.

``ReadOnlyDatabase`` runs such statements on its own pool whose connections are

- in AUTOCOMMIT (psycopg sends no ``BEGIN``; its ``rollback()`` on return to the pool is a no-op while the
  connection is idle, so nothing is sent when the request ends), and
- opened with ``default_transaction_read_only=on``: PostgreSQL itself refuses any write on them
  (``25006 read_only_sql_transaction``), so a write can never run in autocommit by accident. Writes (audit,
  session changes) go through the request's session, which the entry point commits.

``ReadStatement`` is compiled once, where it is defined (module level, one per filter shape), with bound
parameters: no SQLAlchemy statement building, compilation or cache key per request; rows come back as the
driver's plain tuples.

Use it only for an endpoint whose data is ONE statement. Reads of several statements that must agree (the sync
feed, one inspection with its findings) keep the session's transaction: in autocommit each statement would see
a different snapshot. Grep ``read_only.`` for every user.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, Engine, Select, TextClause, create_engine
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from app.db_liveness import watch_pool

_DIALECT = PGDialect_psycopg()
# What a connected dialect learns from the server: standard_conforming_strings is on (PostgreSQL's default since
# 9.1, and Lantian's clusters), so a backslash in a literal (``ESCAPE '\\'``) is one character, not an escape.
_DIALECT._backslash_escapes = False

# What may start a read: a query, or a CTE ending in one (a data-modifying CTE is refused below, and by
# PostgreSQL in any case).
_READ_KEYWORDS = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})
_WRITE_KEYWORDS = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "COPY",
        "CALL",
        "SET",
        "LOCK",
        "FOR UPDATE",
        "FOR SHARE",
        "FOR NO",
        "FOR KEY",
    }
)


class NotARead(ValueError):
    """A statement given to ``ReadStatement`` that is not a plain read (a programming error, found at import)."""


@dataclass(frozen=True)
class ReadStatement:
    """A SELECT compiled once for psycopg: SQL text with ``%(name)s`` placeholders, the parameters a run binds and
    the values fixed at build time."""

    sql: str
    parameters: frozenset[str]  # what each run binds
    fixed: Mapping[str, Any]  # values given when the statement was built

    @classmethod
    def compile(cls, statement: Select[Any] | CompoundSelect | TextClause) -> ReadStatement:
        """Compile ``statement`` (Core ``select()``/``union_all()`` with ``bindparam()``s, or ``text()``) once.

        Refuses anything but a read: the statement's own kind, and its SQL's keywords (a ``text()`` can say
        anything). Values are always bound parameters, never rendered into the SQL.
        """
        if not isinstance(statement, (Select, CompoundSelect, TextClause)):
            raise NotARead(f"not a SELECT: {type(statement).__name__}")
        compiled = statement.compile(dialect=_DIALECT)
        required = {compiled.bind_names[bind] for bind in compiled.binds.values() if bind.required}
        sql = str(compiled)
        words = re.findall(r"[A-Z_][A-Z_0-9]*", sql.upper())  # identifiers and keywords, e.g. ST_SETSRID, DELETE
        pairs = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
        if not words or words[0] not in _READ_KEYWORDS or not _WRITE_KEYWORDS.isdisjoint({*words, *pairs}):
            raise NotARead(f"not a plain read: {sql[:200]}")
        # Values fixed when the statement was built (a LIMIT 1, a constant) are bound on every run as given.
        fixed = {name: value for name, value in compiled.params.items() if name not in required}
        return cls(sql, frozenset(required), fixed)


class ReadOnlyDatabase:
    """The read-only autocommit pool (built once by ``create_app``, handed to services through ``wiring()``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_config(cls, url: str, engine_options: Mapping[str, Any]) -> ReadOnlyDatabase:
        """Same server, role and connection settings as the session's engine; AUTOCOMMIT and read-only."""
        options = copy.deepcopy(dict(engine_options))
        connect_args = options.setdefault("connect_args", {})
        connect_args["options"] = f"{connect_args.get('options', '')} -c default_transaction_read_only=on".strip()
        options.pop("isolation_level", None)
        engine = create_engine(url, isolation_level="AUTOCOMMIT", **options)
        watch_pool(engine)  # a connection the server closed is replaced at checkout, as for the session's pool
        return cls(engine)

    def all(self, statement: ReadStatement, params: Mapping[str, Any]) -> Sequence[tuple[Any, ...]]:
        """Run ``statement`` with ``params`` in a transaction of its own (one snapshot); every row, as tuples.

        Errors come as SQLAlchemy's (``DBAPIError``; a lost connection invalidates the pool), so the app's
        database-outage handling (503) applies as for the session.
        """
        missing = statement.parameters - params.keys()
        if missing:
            raise KeyError(f"parameters not given: {sorted(missing)}")
        with self.engine.connect() as conn:
            result = conn.exec_driver_sql(statement.sql, {**statement.fixed, **params})
            rows: Sequence[tuple[Any, ...]] = result.cursor.fetchall() if result.cursor is not None else []
            return rows

    def dispose(self) -> None:
        self.engine.dispose()
