"""Test data builders. Password hashes are computed once (argon2 is deliberately slow)."""
from __future__ import annotations

from functools import cache

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

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
    user = User(username=username, role=role, password_hash=password_hash(), is_active=active,
                display_name=username, jurisdictions=[get_jurisdiction_by_code(session, c) for c in codes])
    session.add(user)
    session.flush()
    return user


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
