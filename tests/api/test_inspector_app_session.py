"""The inspector app's pages and cookie session under /app/: refresh token out of reach of scripts, CSRF header,
logout that wipes the browser's copy, and pages under a strict Content-Security-Policy."""

from __future__ import annotations

import pytest
from werkzeug.http import parse_cookie

from tests.factories import PASSWORD, bearer, make_user

APP = {"X-Lantian-App": "1"}


@pytest.fixture()
def inspector(session, tree):  # noqa: ANN001, ANN201
    user = make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    return user


def _set_cookie(response) -> str:  # noqa: ANN001
    (header,) = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    return header


def _sign_in(client):  # noqa: ANN001, ANN202
    return client.post("/app/session", json={"username": "zhang.san", "password": PASSWORD}, headers=APP)


def test_sign_in_puts_the_refresh_token_in_an_httponly_strict_cookie_for_the_session_path(client, inspector) -> None:
    response = _sign_in(client)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"access_token", "expires_in", "token_type"}  # no refresh token a script could read
    cookie = _set_cookie(response)
    assert cookie.startswith("lantian_app_refresh=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/app/session" in cookie
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me", headers=bearer(body)).status_code == 200


def test_refresh_rotates_the_cookie_and_a_replayed_one_ends_the_session(client, inspector) -> None:
    first = parse_cookie(_set_cookie(_sign_in(client)))["lantian_app_refresh"]
    response = client.post("/app/session/refresh", headers=APP)
    assert response.status_code == 200
    second = parse_cookie(_set_cookie(response))["lantian_app_refresh"]
    assert second != first
    assert client.get("/api/v1/me", headers=bearer(response.get_json())).status_code == 200

    client.set_cookie("lantian_app_refresh", first, path="/app/session")  # a stolen, already rotated token
    replay = client.post("/app/session/refresh", headers=APP)
    assert replay.status_code == 401 and replay.get_json()["code"] == "refresh_token_invalid"
    client.set_cookie("lantian_app_refresh", second, path="/app/session")
    assert client.post("/app/session/refresh", headers=APP).status_code == 401  # the whole session ended


def test_session_endpoints_refuse_requests_without_the_apps_header(client, inspector) -> None:
    _sign_in(client)
    for path in ("/app/session/refresh", "/app/session/logout"):
        response = client.post(path)
        assert response.status_code == 403
        assert response.content_type == "application/problem+json"
        assert response.get_json()["code"] == "csrf_header_missing"
    no_header = client.post("/app/session", json={"username": "zhang.san", "password": PASSWORD})
    assert no_header.status_code == 403


def test_wrong_password_and_missing_cookie_are_401_problems(client, inspector) -> None:
    wrong = client.post("/app/session", json={"username": "zhang.san", "password": "nope"}, headers=APP)
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "invalid_credentials"
    assert "Set-Cookie" not in wrong.headers
    missing = client.post("/app/session/refresh", headers=APP)
    assert missing.status_code == 401 and missing.content_type == "application/problem+json"
    blank = client.post("/app/session", json={"username": "", "password": ""}, headers=APP)
    assert blank.status_code == 422


def test_logout_clears_the_cookie_and_everything_the_browser_kept(client, inspector) -> None:
    _sign_in(client)
    response = client.post("/app/session/logout", headers=APP)
    assert response.status_code == 204
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    cookie = _set_cookie(response)
    assert cookie.startswith("lantian_app_refresh=;") and "Max-Age=0" in cookie
    assert client.post("/app/session/refresh", headers=APP).status_code == 401


def test_the_shell_runs_only_its_own_scripts_and_names_no_token(client) -> None:
    response = client.get("/app/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and "connect-src 'self'" in csp
    html = response.get_data(as_text=True)
    assert "<script>" not in html  # no inline script: every script is a file the CSP allows
    assert 'lang="zh-CN"' in html
    assert response.headers["Cache-Control"] == "no-cache"


def test_service_worker_manifest_and_modules_are_served_for_the_app_scope(client) -> None:
    sw = client.get("/app/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    assert sw.headers["Cache-Control"] == "no-cache"
    manifest = client.get("/app/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    assert manifest.get_json()["scope"] == "/app/" and manifest.get_json()["start_url"] == "/app/"
    for icon in manifest.get_json()["icons"]:
        assert client.get(icon["src"]).status_code == 200
    module = client.get("/app/static/main.js")
    assert module.status_code == 200 and "javascript" in module.mimetype


def test_a_configured_base_map_is_allowed_by_the_csp(app, client) -> None:  # noqa: ANN001
    app.config["INSPECTOR_APP_BASE_MAP"] = '{"url": "https://tiles.example.cn/{z}/{x}/{y}.png", "crs": "gcj02"}'
    try:
        response = client.get("/app/")
    finally:
        app.config["INSPECTOR_APP_BASE_MAP"] = ""
    assert "img-src 'self' blob: data: https://tiles.example.cn;" in response.headers["Content-Security-Policy"]
    assert "tiles.example.cn" in response.get_data(as_text=True)
