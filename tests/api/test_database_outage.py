"""While the database is down, every request that needs it answers 503 problem+json with Retry-After;
when it is back, the same app serves again by itself. Runs on a dedicated cluster (tests/outage_cluster.py),
so the session-wide one keeps serving the other tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from app.auth.session_cache import SessionCache
from app.extensions import db
from app.wiring import wiring
from scripts.localpg import LocalCluster
from tests.factories import PASSWORD, bearer
from tests.outage_cluster import USERNAME, dedicated_cluster, migrated_app, seed_user, terminate_app_connections

PROBLEM = "application/problem+json"
RETRY_AFTER = 7


@pytest.fixture(scope="module")
def outage_cluster() -> Iterator[LocalCluster]:
    with dedicated_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def outage_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outage-data")


@pytest.fixture(scope="module")
def outage_app(outage_cluster: LocalCluster, outage_data_dir: Path) -> Flask:
    return migrated_app(outage_cluster, outage_data_dir, DATABASE_RETRY_AFTER_SECONDS=RETRY_AFTER)


@pytest.fixture(scope="module")
def tokens(outage_app: Flask) -> dict[str, str]:
    return seed_user(outage_app)


@pytest.fixture()
def database(outage_cluster: LocalCluster) -> Iterator[LocalCluster]:
    """The dedicated cluster, running again after the test whatever the test did to it."""
    outage_cluster.start()
    yield outage_cluster
    outage_cluster.start()
    with outage_cluster.connect() as conn:
        conn.execute("ALTER ROLE lantian_app CONNECTION LIMIT -1")


def requests_needing_the_database(client: FlaskClient, tokens: dict[str, str]) -> dict[str, TestResponse]:
    return {
        "authenticated read": client.get("/api/v1/me", headers=bearer(tokens)),
        "authenticated list": client.get("/api/v1/jurisdictions", headers=bearer(tokens)),
        "login": client.post("/api/v1/auth/token", json={"username": USERNAME, "password": PASSWORD}),
        "refresh": client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
    }


def assert_unavailable(response: TestResponse, what: str = "") -> None:
    assert response.status_code == 503, (what, response.status_code, response.get_data(as_text=True))
    assert response.content_type == PROBLEM, what
    body = response.get_json(force=True)
    assert body["code"] == "database_unavailable"
    assert body["status"] == 503
    assert body["message_zh"] and body["message_en"]
    assert response.headers["Retry-After"] == str(RETRY_AFTER)


def assert_serving(client: FlaskClient, tokens: dict[str, str]) -> None:
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
    assert client.post("/api/v1/auth/token", json={"username": USERNAME, "password": PASSWORD}).status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


def test_requests_answer_503_problem_while_the_database_is_stopped_and_recover_when_it_is_back(
    outage_app: Flask, tokens: dict[str, str], database: LocalCluster
) -> None:
    client = outage_app.test_client()
    assert_serving(client, tokens)  # the pool now holds connections that the stop will kill

    database.stop()
    for what, response in requests_needing_the_database(client, tokens).items():
        assert_unavailable(response, what)
    # what needs no database still answers as usual
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "unavailable" and ready.get_json()["database"] == "unreachable"
    assert ready.headers["Retry-After"] == str(RETRY_AFTER)

    database.start()
    assert_serving(client, tokens)  # the same app, nothing reset by hand


def test_a_restart_between_requests_is_invisible(
    outage_app: Flask, tokens: dict[str, str], database: LocalCluster
) -> None:
    # Every pooled connection died with the old server; pre-ping finds them dead on checkout and reconnects.
    client = outage_app.test_client()
    assert_serving(client, tokens)
    database.stop()
    database.start()
    for what, response in requests_needing_the_database(client, tokens).items():
        assert response.status_code < 500, (what, response.status_code)
    assert_serving(client, tokens)


def test_connections_killed_by_an_administrator_are_replaced(
    outage_app: Flask, tokens: dict[str, str], database: LocalCluster
) -> None:
    client = outage_app.test_client()
    assert_serving(client, tokens)
    assert terminate_app_connections(database) > 0
    assert_serving(client, tokens)


def test_a_connection_killed_during_a_request_is_503_problem(
    outage_cluster: LocalCluster, outage_data_dir: Path, tokens: dict[str, str], database: LocalCluster
) -> None:
    # Admin shutdown of the very connection a request is using: the next statement finds it gone.
    application = migrated_app(outage_cluster, outage_data_dir, DATABASE_RETRY_AFTER_SECONDS=RETRY_AFTER)

    @application.get("/_kill_my_connection")
    def kill_my_connection() -> dict[str, int]:
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with database.connect() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return {"pid": db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()}

    @application.get("/_answer_then_lose_my_connection")
    def answer_then_lose_my_connection() -> dict[str, int]:
        # The connection dies after the last statement: only the teardown's rollback meets it.
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with database.connect() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return {"pid": pid}

    client = application.test_client()
    assert_unavailable(client.get("/_kill_my_connection"))
    assert client.get("/_answer_then_lose_my_connection").status_code == 200
    assert_serving(client, tokens)


def test_too_many_connections_is_503_problem(outage_app: Flask, tokens: dict[str, str], database: LocalCluster) -> None:
    client = outage_app.test_client()
    with database.connect() as conn:
        conn.execute("ALTER ROLE lantian_app CONNECTION LIMIT 0")
    with outage_app.app_context():
        db.engine.dispose()  # no pooled connection left: the next request must open one
    for what, response in requests_needing_the_database(client, tokens).items():
        assert_unavailable(response, what)
    with database.connect() as conn:
        conn.execute("ALTER ROLE lantian_app CONNECTION LIMIT -1")
    assert_serving(client, tokens)


def test_an_exhausted_pool_is_503_problem(
    outage_cluster: LocalCluster, outage_data_dir: Path, tokens: dict[str, str], database: LocalCluster
) -> None:
    application = migrated_app(
        outage_cluster,
        outage_data_dir,
        DATABASE_RETRY_AFTER_SECONDS=RETRY_AFTER,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2},
    )
    with application.app_context():
        engine = db.engine
    client = application.test_client()
    held = engine.connect()  # the pool's only connection, busy elsewhere
    try:
        assert_unavailable(client.get("/api/v1/me", headers=bearer(tokens)))
    finally:
        held.close()
    # (a login needs two connections: its attempt is recorded outside the request's transaction)
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
    assert client.get("/readyz").status_code == 200


def test_the_session_teardown_never_raises_when_the_connection_died_under_it(
    outage_app: Flask, tokens: dict[str, str], database: LocalCluster
) -> None:
    # A statement ran (a transaction is open), then the server dropped the connection: ending the app
    # context rolls back over a dead socket. That must be logged and dropped, not raised.
    context = outage_app.app_context()
    context.push()
    try:
        db.session.execute(text("SELECT 1"))
        assert terminate_app_connections(database) > 0
    finally:
        context.pop()  # raises without the guarded teardown
    assert_serving(outage_app.test_client(), tokens)


def test_the_session_teardown_never_raises_while_the_database_is_stopped(
    outage_app: Flask, tokens: dict[str, str], database: LocalCluster
) -> None:
    context = outage_app.app_context()
    context.push()
    try:
        db.session.execute(text("SELECT 1"))
        database.stop()
    finally:
        context.pop()
    database.start()
    assert_serving(outage_app.test_client(), tokens)


def test_a_one_statement_read_on_the_read_only_pool_is_503_problem_and_recovers(
    outage_app: Flask, tokens: dict[str, str], database: LocalCluster
) -> None:
    """GET /me with its session known to the process cache reaches PostgreSQL only through the read-only pool
    (app/read_only.py): an outage there is the same 503 problem, and the pool serves again once it is back."""
    wired = wiring(outage_app)
    saved = wired.session_cache
    cache = SessionCache(ttl=60)
    cache.set_listening(True)
    wired.session_cache = cache
    try:
        client = outage_app.test_client()
        assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200  # session now cached
        database.stop()
        assert_unavailable(client.get("/api/v1/me", headers=bearer(tokens)), "me from the read-only pool")
        database.start()
        assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
    finally:
        wired.session_cache = saved
