"""The audit log is append-only, enforced by the database for the application's own role."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEntry
from app.audit.services import record_audit
from tests.factories import bearer, login, make_user


def test_state_changes_are_audited_with_actor_and_request(client, session, tree) -> None:
    make_user(session, "admin.wang", "admin", ["410000"])
    session.commit()
    headers = bearer(login(client, "admin.wang")) | {"X-Request-ID": "req-create-user-1", "User-Agent": "phone/1.0"}
    response = client.post(
        "/api/v1/users",
        headers=headers,
        json={"username": "li.si", "password": "long-enough-pw", "role": "inspector", "jurisdictions": ["410811"]},
    )
    assert response.status_code == 201
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert entry.actor_username == "admin.wang"
    assert entry.request_id == "req-create-user-1"
    assert entry.user_agent == "phone/1.0"
    assert entry.after["role"] == "inspector"
    assert "password" not in str(entry.after) and len(entry.digest) == 64


def test_app_role_cannot_update_audit_rows(session) -> None:
    record_audit(session, "test.event", "thing", 1, after={"a": 1})
    session.commit()
    assert session.execute(text("SELECT current_user")).scalar() == "lantian"  # the application's role
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE audit_log SET action = 'forged'"))
    session.rollback()


def test_app_role_cannot_delete_or_truncate_audit_rows(session) -> None:
    record_audit(session, "test.event", "thing", 1)
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM audit_log"))
    session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("TRUNCATE audit_log"))
    session.rollback()
    assert session.scalar(select(AuditEntry.action)) == "test.event"


def test_audit_endpoint_is_for_admins(client, session, tree) -> None:
    make_user(session, "admin.wang", "admin", ["410000"])
    session.commit()
    entries = client.get("/api/v1/audit", headers=bearer(login(client, "admin.wang"))).get_json()
    assert entries[0]["action"] == "auth.login"
