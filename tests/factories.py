"""Test data builders. Password hashes are computed once (TestConfig makes argon2 cheap, but still).

Tests that are not about logging in get their tokens from ``issue_tokens`` (no HTTP round trip, no
password check); tests of login, refresh and the login audit entry use ``login`` over HTTP.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import services as auth_services
from app.auth.models import User
from app.auth.passwords import hash_password
from app.jurisdictions.services import get_jurisdiction_by_code, upsert_jurisdiction

PASSWORD = "correct-horse-battery"

TREE = [
    ("410000", "河南省", "province", None),
    ("410800", "焦作市", "city", "410000"),
    ("410811", "山阳区", "county", "410800"),
    ("410811001", "焦东街道", "township", "410811"),
    ("410811002", "焦西街道", "township", "410811"),
    ("410822", "博爱县", "county", "410800"),
    ("410822001", "清化镇街道", "township", "410822"),
    ("410883", "孟州市", "county", "410800"),
]


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def make_tree(session: Session) -> list[str]:
    for code, name, level, parent in TREE:
        upsert_jurisdiction(session, code=code, name_zh=name, level=level, parent_code=parent)
    session.flush()
    return [c for c, *_ in TREE]


def make_user(session: Session, username: str, role: str, codes: list[str], *, active: bool = True) -> User:
    user = User(
        username=username,
        role=role,
        password_hash=password_hash(),
        is_active=active,
        display_name=username,
        jurisdictions=[get_jurisdiction_by_code(session, c) for c in codes],
    )
    session.add(user)
    session.flush()
    return user


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def issue_tokens(session: Session, username: str) -> dict[str, Any]:
    """Tokens for ``username`` as a login would return them, minus the password check and the HTTP round trip.

    The app's own session service opens a real, committed auth session, so refresh, logout and revocation
    behave as after a login; no ``auth.login`` audit entry is written. Needs an app context.
    """
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    c = current_app.config
    settings = auth_services.AuthSettings(
        secret=c["SECRET_KEY"],
        access_ttl=c["ACCESS_TOKEN_TTL_SECONDS"],
        refresh_ttl=c["REFRESH_TOKEN_TTL_SECONDS"],
        max_failures_account=c["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        max_failures_ip=c["LOGIN_MAX_FAILURES_PER_IP"],
        window_seconds=c["LOGIN_WINDOW_SECONDS"],
    )
    pair = auth_services._open_session(session, user, settings)  # what services.login does once the password checks
    session.commit()
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in,
        "token_type": pair.token_type,
    }


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
