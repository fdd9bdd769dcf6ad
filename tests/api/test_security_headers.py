"""Response headers: what may be cached and where, what a page may load, no sniffing, no server banner."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD, bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_checklists
from tests.factories_photos import drain_worker, new_id, photo_bytes, put_photo, temporary_photo_store

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on some sample EXIF

PHOTO = "derived__gps_fractional_seconds.jpg"


@pytest.fixture()
def inspector(client, session, tree) -> dict[str, str]:
    make_user(session, "zhao.liu", "inspector", ["410811"])
    session.commit()
    return bearer(issue_tokens(session, "zhao.liu"))


@pytest.fixture()
def store(app, tmp_path):
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def test_token_and_refresh_answers_are_never_stored(client, session, tree) -> None:
    make_user(session, "zhao.liu", "inspector", ["410811"])
    session.commit()
    token = client.post("/api/v1/auth/token", json={"username": "zhao.liu", "password": PASSWORD})
    assert token.status_code == 200
    assert token.headers["Cache-Control"] == "no-store"
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": token.get_json()["refresh_token"]})
    assert refreshed.status_code == 200
    assert refreshed.headers["Cache-Control"] == "no-store"
    wrong = client.post("/api/v1/auth/token", json={"username": "zhao.liu", "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.headers["Cache-Control"] == "no-store"


def test_authenticated_json_and_errors_are_never_stored(client, inspector) -> None:
    for path, status in (("/api/v1/me", 200), ("/api/v1/sites", 200), ("/api/v1/sites/999999", 404)):
        response = client.get(path, headers=inspector)
        assert response.status_code == status, path
        assert response.headers["Cache-Control"] == "no-store", path
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"  # 401


def test_checklists_keep_their_own_revalidated_caching(client, session, inspector) -> None:
    install_shipped_checklists(session)
    session.commit()
    first = client.get("/api/v1/checklists", headers=inspector)
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/api/v1/checklists", headers={**inspector, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "private, no-cache"


def test_photo_bytes_are_cached_privately_and_briefly(app, client, inspector, store) -> None:
    pid = new_id()
    assert put_photo(client, inspector, pid, photo_bytes(PHOTO)).status_code == 201
    drain_worker(app, store)
    for suffix in ("original", "display", "thumbnail", "watermarked"):
        response = client.get(f"/api/v1/photos/{pid}/{suffix}", headers=inspector)
        assert response.status_code == 200, suffix
        assert response.headers["Cache-Control"] == "private, max-age=3600", suffix
        revalidated = client.get(
            f"/api/v1/photos/{pid}/{suffix}", headers={**inspector, "If-None-Match": response.headers["ETag"]}
        )
        assert revalidated.status_code == 304, suffix
        assert revalidated.headers["Cache-Control"] == "private, max-age=3600", suffix


def test_photo_cache_lifetime_is_configurable(app, client, inspector, store, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "PHOTO_CACHE_MAX_AGE_SECONDS", 60)
    pid = new_id()
    assert put_photo(client, inspector, pid, photo_bytes(PHOTO)).status_code == 201
    response = client.get(f"/api/v1/photos/{pid}/original", headers=inspector)
    assert response.headers["Cache-Control"] == "private, max-age=60"


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_docs_page_has_a_policy_without_inline_script(client) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    policy = _directives(page.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "style=" not in html and "<style" not in html
    for src in re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link href="([^"]+)"', html):
        served = client.get(src)
        assert served.status_code == 200, src
    init = client.get("/api/docs/swagger-initializer.js")
    assert init.mimetype == "text/javascript"
    assert '"url": "/api/openapi.json"' in init.get_data(as_text=True)
    assert '"validatorUrl": null' in init.get_data(as_text=True)  # no call out to validator.swagger.io


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/api/openapi.json",
        "/api/docs",
        "/api/docs/assets/swagger-ui.css",
        "/api/v1/me",
        "/api/v1/no-such-thing",
        "/api/docs/assets/no-such-file.js",
    ],
)
def test_every_response_refuses_sniffing_framing_and_names_no_server(client, path) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Server" not in response.headers


def test_api_answers_forbid_loading_anything(client, inspector) -> None:
    response = client.get("/api/v1/me", headers=inspector)
    assert _directives(response.headers["Content-Security-Policy"])["default-src"] == ["'none'"]
