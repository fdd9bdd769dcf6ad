"""A real gunicorn while its database stops and starts: 503 problem+json with Retry-After, never the
server's own error page, and serving again by itself afterwards (a dedicated cluster, not the run's)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.localpg import LocalCluster
from tests.e2e.lossy_proxy import LOOPBACK, Gunicorn, running_gunicorn
from tests.outage_cluster import dedicated_cluster, migrated_app, seed_user, terminate_app_connections


@pytest.fixture(scope="module")
def outage() -> Iterator[tuple[LocalCluster, Gunicorn, dict[str, str]]]:
    with dedicated_cluster() as cluster:
        data_dir = Path(cluster.base).parent / "data"
        application = migrated_app(cluster, data_dir)
        tokens = seed_user(application)
        env = {
            "DATABASE_URL": application.config["SQLALCHEMY_DATABASE_URI"],
            "LANTIAN_DATA_DIR": str(data_dir),
            "SECRET_KEY": application.config["SECRET_KEY"],
            "LOG_LEVEL": "WARNING",
            "DATABASE_RETRY_AFTER_SECONDS": "3",
        }
        with running_gunicorn(env, Path(cluster.base).parent / "gunicorn.log") as server:
            yield cluster, server, tokens


def get(server: Gunicorn, path: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_gunicorn_answers_503_problem_while_the_database_is_down_and_recovers(outage) -> None:  # noqa: ANN001
    cluster, server, tokens = outage
    token = tokens["access_token"]
    # Fill the pools of both workers, so the stop leaves dead connections behind.
    for _ in range(6):
        assert get(server, "/api/v1/me", token)[0] == 200

    cluster.stop()
    try:
        for _ in range(6):
            status, headers, body = get(server, "/api/v1/me", token)
            assert status == 503, body
            assert headers["content-type"] == "application/problem+json"
            assert headers["retry-after"] == "3"
            assert json.loads(body)["code"] == "database_unavailable"
        status, headers, body = get(server, "/readyz")
        assert status == 503 and json.loads(body)["database"] == "unreachable"
    finally:
        cluster.start()

    for _ in range(6):
        assert get(server, "/api/v1/me", token)[0] == 200
    assert get(server, "/readyz")[0] == 200

    assert terminate_app_connections(cluster) > 0  # an administrator kills every connection
    for _ in range(6):
        assert get(server, "/api/v1/me", token)[0] == 200
    assert b"Internal Server Error" not in server.log_path.read_bytes()
