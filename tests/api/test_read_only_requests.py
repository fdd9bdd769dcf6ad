"""Read-only requests send PostgreSQL no BEGIN and no ROLLBACK, observed on the wire.

libpq's own protocol trace (``PQtrace``, through psycopg's ``pgconn.trace``) records every message a connection
sends to the server; it is switched on for every connection either pool hands out during a request. With the
session and checklist caches warm (as in production, where both are kept current by NOTIFY):

- nearby sites, /geo/locate and /me send their one statement and nothing else: no BEGIN before, no ROLLBACK after
  (app/read_only.py: autocommit, read-only connections);
- an authenticated checklist 304 sends nothing at all, and opens no SQLAlchemy session;
- a read through the session (the jurisdiction tree) does send BEGIN and ROLLBACK: the trace sees them when
  they happen, so the assertions above can fail.

The read-only pool refuses writes twice: ``ReadStatement`` refuses to compile one, and PostgreSQL refuses one
sent anyway (``default_transaction_read_only``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg import pq
from sqlalchemy import event, insert, text, update
from sqlalchemy.exc import DBAPIError

from app.auth.models import User
from app.auth.session_cache import SessionCache
from app.checklists.hash_cache import CurrentHashCache
from app.demo.seed import DEMO_PASSWORD, load_demo_data
from app.extensions import db
from app.read_only import NotARead, ReadStatement
from app.wiring import wiring
from tests.factories import login
from tests.factories_catalogue import install_shipped_checklists

NEAR = "/api/v1/sites?near=113.25,35.22&radius_m=3000&limit=20"
LOCATE = "/api/v1/geo/locate?lon=113.25&lat=35.22"
ME = "/api/v1/me"


class WireTrace:
    """What the connections of both pools send to PostgreSQL while ``recording`` (libpq's protocol trace)."""

    def __init__(self, app: Flask, path: Path) -> None:
        with app.app_context():
            self.engines = [db.engines[None], wiring(app).reads.engine]
        self.path = path
        self.path.write_text("")
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        self._traced: dict[int, Any] = {}
        self.checkouts = 0

    def _on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        self.checkouts += 1
        pgconn = dbapi_connection.pgconn
        if id(pgconn) not in self._traced:
            pgconn.trace(os.dup(self._fd))
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            self._traced[id(pgconn)] = pgconn

    def __enter__(self) -> WireTrace:
        for engine in self.engines:
            event.listen(engine, "checkout", self._on_checkout)
        return self

    def __exit__(self, *_exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "checkout", self._on_checkout)
        for pgconn in self._traced.values():
            pgconn.untrace()
        os.close(self._fd)

    def sent(self) -> list[str]:
        """Each message the client sent ("F" lines; a statement's text may span lines), without the length."""
        messages = re.split(r"\n(?=[FB]\t\d+\t)", self.path.read_text().strip())
        return [m.split("\t", 2)[2] for m in messages if m.startswith("F\t")]

    def commands(self) -> list[str]:
        """The SQL of every simple query and every parsed statement sent, in order."""
        out = []
        for message in self.sent():
            found = re.match(r'Query\s+"(.*)"$', message, re.S) or re.match(
                r'Parse\s+"[^"]*"\s+"(.*)"\s', message, re.S
            )
            if found:
                out.append(found.group(1).strip())
        return out


@pytest.fixture()
def warm_caches(app: Flask) -> Iterator[None]:
    """The process caches production keeps (NOTIFY-driven; here told they are listening)."""
    wired = wiring(app)
    saved = wired.session_cache, wired.checklist_hashes
    sessions, hashes = SessionCache(ttl=60), CurrentHashCache(ttl=60)
    sessions.set_listening(True)
    hashes.set_listening(True)
    wired.session_cache, wired.checklist_hashes = sessions, hashes
    yield
    wired.session_cache, wired.checklist_hashes = saved


@pytest.fixture()
def headers(client: FlaskClient, app: Flask, warm_caches: None) -> dict[str, str]:
    # Loaded in an app context of its own: each request below then has its own, ended by its teardown as in
    # production (a request inside the test's app context would share the test's session).
    with app.app_context():
        load_demo_data(db.session)
        install_shipped_checklists(db.session)
        db.session.commit()
    return {"Authorization": "Bearer " + login(client, "demo.inspector", DEMO_PASSWORD)["access_token"]}


def _transaction_control(commands: list[str]) -> list[str]:
    return [c for c in commands if c.split()[0].upper() in ("BEGIN", "ROLLBACK", "COMMIT", "START")]


@pytest.mark.parametrize("url", [NEAR, LOCATE, ME])
def test_one_statement_reads_send_no_begin_and_no_rollback(
    client: FlaskClient, app: Flask, headers: dict[str, str], tmp_path: Path, url: str
) -> None:
    first = client.get(url, headers=headers)  # warms the session cache, as any earlier request of the phone
    assert first.status_code == 200
    with WireTrace(app, tmp_path / "wire.log") as wire:
        again = client.get(url, headers=headers)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    # A statement psycopg prepared earlier in this process (after five runs on one connection) is sent as Bind
    # only, without its text: the SQL seen is one SELECT, or none when it was prepared before.
    commands = wire.commands()
    assert len(commands) <= 1 and all(c.upper().startswith("SELECT") for c in commands), commands
    assert _transaction_control(commands) == []
    # Nothing else on the wire (no BEGIN or ROLLBACK, no Sync of its own): one extended-protocol exchange.
    assert [m.split()[0] for m in wire.sent()] in (
        ["Parse", "Bind", "Describe", "Execute", "Sync"],
        ["Bind", "Describe", "Execute", "Sync"],  # psycopg prepared it on an earlier run
        ["Bind", "Execute", "Sync"],
    ), wire.sent()


def test_a_read_through_the_session_is_seen_to_begin_and_roll_back(
    client: FlaskClient, app: Flask, headers: dict[str, str], tmp_path: Path
) -> None:
    """The control: the trace sees BEGIN and ROLLBACK when a request sends them."""
    client.get("/api/v1/jurisdictions", headers=headers)
    with WireTrace(app, tmp_path / "wire.log") as wire:
        assert client.get("/api/v1/jurisdictions", headers=headers).status_code == 200
    assert _transaction_control(wire.commands()) == ["BEGIN", "ROLLBACK"]


def test_an_authenticated_checklist_304_with_warm_caches_sends_nothing(
    client: FlaskClient, app: Flask, headers: dict[str, str], tmp_path: Path
) -> None:
    key = client.get("/api/v1/checklists", headers=headers).get_json()[0]["key"]
    etag = client.get(f"/api/v1/checklists/{key}", headers=headers).headers["ETag"]
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    with WireTrace(app, tmp_path / "wire.log") as wire:
        for engine in wire.engines:
            event.listen(engine, "before_cursor_execute", count)
        try:
            answer = client.get(f"/api/v1/checklists/{key}", headers=headers | {"If-None-Match": etag})
        finally:
            for engine in wire.engines:
                event.remove(engine, "before_cursor_execute", count)
    assert answer.status_code == 304
    assert (statements, wire.checkouts, wire.sent()) == (0, 0, [])


def test_an_authenticated_checklist_304_with_warm_caches_opens_no_session(
    client: FlaskClient, app: Flask, headers: dict[str, str]
) -> None:
    """Building and closing an unused Session was ~10 % of the 304: none is made at all."""
    key = client.get("/api/v1/checklists", headers=headers).get_json()[0]["key"]
    etag = client.get(f"/api/v1/checklists/{key}", headers=headers).headers["ETag"]
    registry = db.session.registry
    make_session = registry.createfunc
    made = 0

    def counting() -> Any:
        nonlocal made
        made += 1
        return make_session()

    registry.createfunc = counting
    try:
        control = client.get("/api/v1/jurisdictions", headers=headers)
        made_by_control = made
        answer = client.get(f"/api/v1/checklists/{key}", headers=headers | {"If-None-Match": etag})
    finally:
        registry.createfunc = make_session
    assert control.status_code == 200 and made_by_control == 1  # the count sees a session when one is made
    assert answer.status_code == 304
    assert made == made_by_control


def test_the_read_only_pool_refuses_to_compile_a_write() -> None:
    for statement in (
        text("UPDATE users SET display_name = display_name WHERE false"),
        text("WITH gone AS (DELETE FROM users WHERE false RETURNING id) SELECT * FROM gone"),
        text("SELECT id FROM users FOR UPDATE"),
    ):
        with pytest.raises(NotARead):
            ReadStatement.compile(statement)
    with pytest.raises(NotARead):
        ReadStatement.compile(insert(User).values(username="x"))  # type: ignore[arg-type]
    with pytest.raises(NotARead):
        ReadStatement.compile(update(User).values(display_name="x"))  # type: ignore[arg-type]


def test_postgresql_refuses_a_write_sent_through_the_read_only_pool(app: Flask, tree: list[str]) -> None:
    smuggled = ReadStatement("UPDATE users SET display_name = display_name WHERE false", frozenset(), {})
    with pytest.raises(DBAPIError) as refused:
        wiring(app).reads.all(smuggled, {})
    assert refused.value.orig is not None
    assert getattr(refused.value.orig, "sqlstate", None) == "25006"  # read_only_sql_transaction
    # And a read still works on the same pool afterwards.
    assert wiring(app).reads.all(ReadStatement.compile(text("SELECT 1")), {}) == [(1,)]
