"""A transaction PostgreSQL picks as a deadlock's victim was rolled back whole: the client gets 503 problem+json
with Retry-After (send the same request again), never a 500."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.extensions import db


def _real_deadlock(app: Flask) -> OperationalError:
    """Two connections taking two locks in opposite order; PostgreSQL ends one with 40P01."""
    caught: list[OperationalError] = []
    with app.app_context():
        engine = db.engine
        first, second = engine.connect(), engine.connect()
        try:
            first.execute(text("SELECT pg_advisory_xact_lock(424201)"))
            second.execute(text("SELECT pg_advisory_xact_lock(424202)"))

            def cross(conn, key: int) -> None:  # noqa: ANN001
                try:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
                except OperationalError as exc:
                    caught.append(exc)
                    conn.rollback()

            other = threading.Thread(target=cross, args=(first, 424202))
            other.start()
            cross(second, 424201)
            other.join(timeout=30)
        finally:
            first.rollback()
            second.rollback()
            first.close()
            second.close()
    assert len(caught) == 1, caught
    return caught[0]


def test_a_deadlock_victim_answers_503_problem_with_retry_after(app: Flask) -> None:
    error = _real_deadlock(app)
    assert getattr(error.orig, "sqlstate", None) == "40P01"
    with app.test_request_context("/api/v1/inspections/x/submit", method="POST"):
        response = app.make_response(app.handle_user_exception(error))
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "1"
    body = response.get_json()
    assert body["code"] == "transaction_conflict" and body["message_zh"] and body["message_en"]
