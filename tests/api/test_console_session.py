"""The console's browser session (/api/v1/auth/browser/*): the refresh token only in an HttpOnly, SameSite=Strict
cookie limited to these endpoints, a custom header against cross-site requests, rotation and revocation as for
phones; and the console page itself (/console/) under its Content-Security-Policy."""

from __future__ import annotations

import pytest

from app.console.session_routes import COOKIE_NAME, COOKIE_PATH
from tests.factories import PASSWORD, make_user

CSRF = {"X-Requested-With": "lantian-console"}
BASE = "/api/v1/auth/browser"


@pytest.fixture()
def supervisor(session, tree):  # noqa: ANN001, ANN201
    user = make_user(session, "sup.console", "supervisor", ["410811"])
    session.commit()
    return user


def _login(client, **headers):  # noqa: ANN001, ANN003, ANN202
    return client.post(
        f"{BASE}/token", json={"username": "sup.console", "password": PASSWORD}, headers={**CSRF, **headers}
    )


def _set_cookie(response) -> str:  # noqa: ANN001
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE_NAME}=")]
    return header


def test_login_answers_the_access_token_and_hides_the_refresh_token_in_an_httponly_cookie(client, supervisor) -> None:  # noqa: ANN001
    response = _login(client)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    cookie = _set_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"Path={COOKIE_PATH}" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over TLS the cookie is Secure (next test)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["username"] == "sup.console"


def test_the_cookie_is_secure_when_the_request_came_over_tls(client, supervisor) -> None:  # noqa: ANN001
    response = client.post(
        f"{BASE}/token",
        json={"username": "sup.console", "password": PASSWORD},
        headers=CSRF,
        base_url="https://localhost",
    )
    assert "Secure" in _set_cookie(response)


def test_every_call_needs_the_custom_header(client, supervisor) -> None:  # noqa: ANN001
    refused = client.post(f"{BASE}/token", json={"username": "sup.console", "password": PASSWORD})
    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf_header_missing"
    assert not refused.headers.getlist("Set-Cookie")
    _login(client)
    assert client.post(f"{BASE}/refresh").status_code == 403


def test_refresh_rotates_the_cookie_and_a_replayed_cookie_ends_the_session(client, supervisor) -> None:  # noqa: ANN001
    _login(client)
    first = client.get_cookie(COOKIE_NAME, path=COOKIE_PATH).value
    rotated = client.post(f"{BASE}/refresh", headers=CSRF)
    assert rotated.status_code == 200 and rotated.get_json()["access_token"]
    second = client.get_cookie(COOKIE_NAME, path=COOKIE_PATH).value
    assert second != first
    client.set_cookie(COOKIE_NAME, first, path=COOKIE_PATH)
    replay = client.post(f"{BASE}/refresh", headers=CSRF)
    assert replay.status_code == 401 and replay.content_type == "application/problem+json"
    client.set_cookie(COOKIE_NAME, second, path=COOKIE_PATH)
    assert client.post(f"{BASE}/refresh", headers=CSRF).status_code == 401  # the whole session was revoked


def test_refresh_without_a_cookie_is_401(client) -> None:  # noqa: ANN001
    response = client.post(f"{BASE}/refresh", headers=CSRF)
    assert response.status_code == 401 and response.get_json()["code"] == "refresh_cookie_missing"


def test_logout_revokes_the_session_and_clears_the_cookie(client, supervisor) -> None:  # noqa: ANN001
    token = _login(client).get_json()["access_token"]
    cookie = client.get_cookie(COOKIE_NAME, path=COOKIE_PATH).value
    response = client.post(f"{BASE}/logout", headers={**CSRF, "Authorization": f"Bearer {token}"})
    assert response.status_code == 204
    assert "Max-Age=0" in _set_cookie(response) or "expires=Thu, 01 Jan 1970" in _set_cookie(response)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    client.set_cookie(COOKIE_NAME, cookie, path=COOKIE_PATH)
    assert client.post(f"{BASE}/refresh", headers=CSRF).status_code == 401


def test_wrong_password_is_the_same_problem_as_for_phones(client, supervisor) -> None:  # noqa: ANN001
    response = client.post(f"{BASE}/token", json={"username": "sup.console", "password": "wrong"}, headers=CSRF)
    assert response.status_code == 401 and response.get_json()["code"] == "invalid_credentials"


def test_the_console_page_loads_scripts_from_this_origin_only(client) -> None:  # noqa: ANN001
    response = client.get("/console/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "/static/vendor/leaflet/dist/leaflet.js" in html
    assert client.get("/console/static/console/app.js").status_code == 200
