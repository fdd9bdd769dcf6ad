"""A streamed export ends its read transaction with the stream: under a real server the request's teardown runs
before the first byte, so a session left open by the stream would hold its connection idle in transaction (and its
snapshot, holding back vacuum and the sync feed's horizon) until that thread's next request."""

from __future__ import annotations

import http.client
import json
import time

from sqlalchemy import text

from tests.e2e.lossy_proxy import Gunicorn
from tests.factories import PASSWORD, make_user

IDLE_IN_TRANSACTION = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle in transaction'"
)


def _idle_in_transaction(session) -> int:  # noqa: ANN001
    session.rollback()  # pg_stat_activity is read once per transaction
    return int(session.scalar(IDLE_IN_TRANSACTION))


def test_a_finished_export_stream_leaves_no_connection_idle_in_transaction(server: Gunicorn, session, tree) -> None:  # noqa: ANN001
    make_user(session, "export.sup", "supervisor", ["410811"])
    session.commit()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body = json.dumps({"username": "export.sup", "password": PASSWORD})
    conn.request("POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"})
    token = json.loads(conn.getresponse().read())["access_token"]
    for fmt in ("csv", "xlsx"):
        conn.request("GET", f"/api/v1/exports/inspections.{fmt}", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        payload = response.read()
        assert response.status == 200 and payload
    deadline = time.monotonic() + 3
    while _idle_in_transaction(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _idle_in_transaction(session) == 0
    conn.close()
