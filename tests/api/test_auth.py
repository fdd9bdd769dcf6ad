"""Login, refresh, logout, revocation and rate limiting."""

from __future__ import annotations

import threading

import jwt
import pytest
from sqlalchemy import select

from app.auth.models import User
from tests.factories import PASSWORD, bearer, login, make_user


@pytest.fixture()
def inspector(session, tree):
    user = make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    return user


def test_login_returns_short_lived_access_and_refresh_tokens(client, inspector, app) -> None:
    tokens = login(client, "zhang.san")
    assert tokens["expires_in"] <= 900
    claims = jwt.decode(tokens["access_token"], app.config["SECRET_KEY"], algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] <= 900
    assert tokens["refresh_token"]


def test_password_is_stored_as_argon2_hash(session, client, tree) -> None:
    client.application.config  # noqa: B018
    from app.auth.services import create_user

    create_user(session, username="li.si", role="inspector", password="a-long-password", jurisdiction_codes=["410811"])
    session.commit()
    stored = session.scalar(select(User.password_hash).where(User.username == "li.si"))
    assert stored.startswith("$argon2id$")
    assert "a-long-password" not in stored


def test_me_returns_role_and_jurisdictions(client, inspector) -> None:
    response = client.get("/api/v1/me", headers=bearer(login(client, "zhang.san")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["role"] == "inspector"
    assert [j["code"] for j in body["jurisdictions"]] == ["410811"]


def test_wrong_password_is_401_problem(client, inspector) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "zhang.san", "password": "wrong"})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "invalid_credentials"


def test_missing_token_is_401(client, inspector) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_missing"


def test_tampered_token_is_401(client, inspector) -> None:
    tokens = login(client, "zhang.san")
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer " + tokens["access_token"][:-2] + "xx"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_invalid"


def test_refresh_rotates_and_old_refresh_token_is_refused(client, inspector) -> None:
    tokens = login(client, "zhang.san")
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    new_tokens = first.get_json()
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401
    # The replay of a rotated token ends the session: the new tokens stop working too.
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": new_tokens["refresh_token"]}).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(new_tokens)).status_code == 401


def _refresh(client, token: str):  # noqa: ANN001, ANN202
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_replaying_a_refresh_token_two_rotations_old_revokes_the_session(client, inspector) -> None:
    first = login(client, "zhang.san")
    second = _refresh(client, first["refresh_token"]).get_json()
    third = _refresh(client, second["refresh_token"]).get_json()
    assert client.get("/api/v1/me", headers=bearer(third)).status_code == 200
    replay = _refresh(client, first["refresh_token"])
    assert replay.status_code == 401 and replay.content_type == "application/problem+json"
    assert _refresh(client, third["refresh_token"]).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(third)).status_code == 401


def test_a_forged_refresh_token_naming_a_session_does_not_end_it(client, inspector) -> None:
    tokens = login(client, "zhang.san")
    sid = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
    forged = f"{sid.replace('-', '')}.{'A' * 43}.{'B' * 43}"
    assert _refresh(client, forged).status_code == 401
    assert _refresh(client, "not-a-token").status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
    assert _refresh(client, tokens["refresh_token"]).status_code == 200


def test_logout_revokes_access_and_refresh_tokens(client, inspector) -> None:
    tokens = login(client, "zhang.san")
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 401
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401


def test_disabling_a_user_revokes_its_tokens(client, session, tree, inspector) -> None:
    make_user(session, "admin.wang", "admin", ["410000"])
    session.commit()
    user_tokens = login(client, "zhang.san")
    admin_tokens = login(client, "admin.wang")
    response = client.patch(f"/api/v1/users/{inspector.id}", json={"is_active": False}, headers=bearer(admin_tokens))
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(user_tokens)).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": user_tokens["refresh_token"]}).status_code == 401
    relogin = client.post("/api/v1/auth/token", json={"username": "zhang.san", "password": PASSWORD})
    assert relogin.status_code == 403
    assert relogin.get_json()["code"] == "account_disabled"


def test_login_is_locked_after_repeated_failures_per_account(client, inspector, app) -> None:
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert client.post("/api/v1/auth/token", json={"username": "zhang.san", "password": "x"}).status_code == 401
    locked = client.post("/api/v1/auth/token", json={"username": "zhang.san", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.content_type == "application/problem+json"
    body = locked.get_json()
    assert body["code"] == "login_locked"
    assert "分钟" in body["message_zh"] and "minutes" in body["message_en"]
    assert int(locked.headers["Retry-After"]) > 0


def test_parallel_wrong_passwords_verify_at_most_the_account_limit(client, inspector, app) -> None:
    # Each request is verified only once its failure is counted (atomically): a burst of parallel guesses
    # must not all be checked before the first failure is recorded.
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    guesses = 15  # within the per-IP limit, so only the account limit applies
    assert guesses < app.config["LOGIN_MAX_FAILURES_PER_IP"]
    statuses: list[int] = []
    barrier = threading.Barrier(guesses)

    def guess(i: int) -> None:
        own = app.test_client()
        barrier.wait()
        statuses.append(
            own.post("/api/v1/auth/token", json={"username": "zhang.san", "password": f"wrong-{i}"}).status_code
        )

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [401] * limit + [429] * (guesses - limit)
    assert client.post("/api/v1/auth/token", json={"username": "zhang.san", "password": PASSWORD}).status_code == 429


def test_successful_logins_do_not_count_towards_the_lock_out(client, inspector, app) -> None:
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] + 1):
        assert (
            client.post("/api/v1/auth/token", json={"username": "zhang.san", "password": PASSWORD}).status_code == 200
        )


def test_login_is_locked_per_ip_across_accounts(client, inspector, app) -> None:
    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    for i in range(limit):
        client.post("/api/v1/auth/token", json={"username": f"nobody{i}", "password": "x"})
    locked = client.post("/api/v1/auth/token", json={"username": "zhang.san", "password": PASSWORD})
    assert locked.status_code == 429


def test_login_response_is_the_same_for_unknown_user_and_wrong_password(client, inspector) -> None:
    unknown = client.post("/api/v1/auth/token", json={"username": "ghost", "password": "x"}).get_json()
    wrong = client.post("/api/v1/auth/token", json={"username": "zhang.san", "password": "x"}).get_json()
    assert unknown["code"] == wrong["code"] == "invalid_credentials"
