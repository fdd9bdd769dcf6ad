"""The inspector app under /app/: the shell page, its service worker and manifest, and the cookie session.

HTTP only. The app itself is static ES modules (``static/app``); every inspection, photo and checklist goes
through the capture API (``/api/v1``) with a short-lived access token the app keeps in memory. The refresh
token lives in an HttpOnly cookie (``cookies``) that only these session endpoints see.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_from_directory

from app.auth import services
from app.errors import Forbidden, Unauthorized, ValidationFailed
from app.extensions import current_session, db
from app.http import client_ip
from app.inspector_app.cookies import COOKIE_NAME, COOKIE_PATH, CSRF_HEADER, csrf_header_ok, refresh_cookie

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static" / "app"

blp = Blueprint(
    "inspector_app",
    __name__,
    url_prefix="/app",
    template_folder="templates",
    static_folder="static/app",
    static_url_path="/static",
)

# The app's pages run only our own scripts and styles; photos are shown from blob: URLs made on the phone
# and from the API; the API is the only thing it talks to. A configured base map adds its tile host to img-src.
_APP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:{tiles}; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def _base_map() -> dict[str, Any] | None:
    """The configured base map (``INSPECTOR_APP_BASE_MAP``: ``{"url", "crs", "attribution"}``); none by default."""
    value = current_app.config.get("INSPECTOR_APP_BASE_MAP")
    if not value:
        return None
    try:
        parsed = json.loads(value) if isinstance(value, str) else dict(value)
    except (ValueError, TypeError):
        log.warning("INSPECTOR_APP_BASE_MAP is not a JSON object; the app shows no base map")
        return None
    return parsed if isinstance(parsed, dict) and parsed.get("url") else None


def _csp() -> str:
    base = _base_map()
    tiles = ""
    if base:
        url = str(base["url"])
        origin = "/".join(url.split("/")[:3]) if "://" in url else ""
        tiles = f" {origin}" if origin else ""
    return _APP_CSP.format(tiles=tiles)


def _app_headers(resp: Response, cache: str = "no-cache") -> Response:
    # no-cache: the service worker keeps its own copy; the browser's cache always revalidates.
    resp.headers["Cache-Control"] = cache
    resp.headers["Content-Security-Policy"] = _csp()
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@blp.get("/")
def shell() -> Response:
    """The app shell (one page; the service worker serves it offline)."""
    html = render_template(
        "inspector_app/index.html",
        base_map=json.dumps(_base_map(), ensure_ascii=False) if _base_map() else "",
        min_officers=int(current_app.config["MIN_OFFICERS"]),
    )
    return _app_headers(Response(html, mimetype="text/html"))


@blp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, from /app/ so that its scope is /app/."""
    resp = send_from_directory(STATIC_DIR, "sw.js", mimetype="text/javascript", max_age=None)
    return _app_headers(resp)


@blp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest (installable, standalone, portrait)."""
    resp = send_from_directory(STATIC_DIR, "manifest.webmanifest", mimetype="application/manifest+json", max_age=None)
    return _app_headers(resp)


@blp.after_request
def _static_headers(resp: Response) -> Response:
    if request.endpoint == "inspector_app.static":
        _app_headers(resp)
    return resp


# ------------------------------------------------------------------------------------- cookie session


def _require_csrf_header() -> None:
    if not csrf_header_ok(request.headers.get(CSRF_HEADER)):
        raise Forbidden(
            f"缺少 {CSRF_HEADER} 请求头：仅检查员应用可使用此会话。",
            f"The {CSRF_HEADER} header is missing: only the inspector app may use this session.",
            code="csrf_header_missing",
        )


def _token_answer(pair: services.TokenPair, status: int = 200) -> Response:
    resp = jsonify({"access_token": pair.access_token, "expires_in": pair.expires_in, "token_type": "Bearer"})
    resp.status_code = status
    cookie = refresh_cookie(int(current_app.config["REFRESH_TOKEN_TTL_SECONDS"]), over_https=request.is_secure)
    resp.set_cookie(
        COOKIE_NAME,
        pair.refresh_token,
        max_age=cookie.max_age,
        path=cookie.path,
        secure=cookie.secure,
        httponly=cookie.httponly,
        samesite=cookie.samesite,
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.post("/session")
def open_session() -> Response:
    """Log in: the access token in the answer, the refresh token in an HttpOnly cookie."""
    _require_csrf_header()
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ValidationFailed("请输入用户名和密码。", "Username and password are required.")
    pair = services.login(
        current_session(),
        username[:64],
        password[:256],
        client_ip(),
        services.AuthSettings.from_config(current_app.config),
    )
    db.session.commit()
    return _token_answer(pair, 201)


@blp.post("/session/refresh")
def refresh_session() -> Response:
    """A new access token from the refresh cookie (rotated: the old one stops working)."""
    _require_csrf_header()
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        raise Unauthorized("请登录。", "Please log in.", code="refresh_token_invalid")
    pair = services.refresh(current_session(), token[:256], services.AuthSettings.from_config(current_app.config))
    db.session.commit()
    return _token_answer(pair)


@blp.post("/session/logout")
def close_session() -> Response:
    """Forget the refresh cookie and everything the browser keeps for this origin (the app revoked the
    session with ``POST /api/v1/auth/logout`` first)."""
    _require_csrf_header()
    resp = Response(status=204)
    resp.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=request.is_secure)
    # Nothing one user cached may be seen by the next: HTTP cache, IndexedDB, Cache Storage, the service worker.
    resp.headers["Clear-Site-Data"] = '"cache", "storage"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
