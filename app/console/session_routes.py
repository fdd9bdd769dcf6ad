"""The browser's way to hold a session: the same tokens as ``/api/v1/auth/token``, with the refresh token in an
HttpOnly cookie a page script cannot read (the access token stays in the page's memory only).

- ``POST /api/v1/auth/browser/token`` logs in (same lock-out and audit as ``/auth/token``) and answers the access
  token; the refresh token leaves only as the ``lantian_refresh`` cookie: ``HttpOnly``, ``SameSite=Strict``,
  ``Secure`` when the request came over TLS, ``Path`` limited to these endpoints (no other request carries it).
- ``POST …/refresh`` rotates it (a replayed cookie revokes the session, as for phones).
- ``POST …/logout`` revokes the session and clears the cookie.

Cross-site request forgery: besides SameSite=Strict, every call must carry ``X-Requested-With: lantian-console``,
a header no cross-site form can send and no cross-origin script can send without a CORS preflight we never grant.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from flask.views import MethodView

from app.auth import services
from app.auth.authz import current_principal
from app.auth.schemas import TokenRequestSchema
from app.blueprint import Blueprint
from app.console.schemas import BrowserTokenSchema
from app.errors import Forbidden, Unauthorized
from app.extensions import current_session, db
from app.http import client_ip

blp = Blueprint(
    "browser_session",
    __name__,
    url_prefix="/api/v1/auth/browser",
    description="浏览器会话（刷新令牌存于 HttpOnly Cookie）/ Browser sessions (refresh token in an HttpOnly cookie)",
)

COOKIE_NAME = "lantian_refresh"
COOKIE_PATH = "/api/v1/auth/browser"
CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "lantian-console"


def _require_csrf_header() -> None:
    if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
        raise Forbidden(
            f"缺少请求头 {CSRF_HEADER}: {CSRF_VALUE}（防跨站请求伪造）。",
            f"The {CSRF_HEADER}: {CSRF_VALUE} header is required (cross-site request forgery protection).",
            code="csrf_header_missing",
        )


def _is_tls() -> bool:
    if request.is_secure:
        return True
    # Behind our own proxy only (TRUST_PROXY_HEADERS): the front terminated TLS.
    return bool(current_app.config.get("TRUST_PROXY_HEADERS")) and (
        request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    )


def _answer(pair: services.TokenPair) -> Response:
    response = jsonify(BrowserTokenSchema().dump(pair))
    response.set_cookie(
        COOKIE_NAME,
        pair.refresh_token,
        max_age=current_app.config["REFRESH_TOKEN_TTL_SECONDS"],
        path=COOKIE_PATH,
        secure=_is_tls(),
        httponly=True,
        samesite="Strict",
    )
    return response


def _cleared(response: Response) -> Response:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, secure=_is_tls(), httponly=True, samesite="Strict")
    return response


@blp.route("/token")
class BrowserToken(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, BrowserTokenSchema)
    @blp.problem(401, "用户名或密码错误 / Wrong credentials")
    @blp.problem(403, "缺少 X-Requested-With，或账号停用 / Header missing, or account disabled")
    @blp.problem(429, "登录失败过多已锁定 / Locked out after too many failures")
    def post(self, data: dict[str, Any]) -> Response:
        """Log in from the console: access token in the answer, refresh token in an HttpOnly cookie."""
        _require_csrf_header()
        settings = services.AuthSettings.from_config(current_app.config)
        pair = services.login(current_session(), data["username"], data["password"], client_ip(), settings)
        db.session.commit()
        return _answer(pair)


@blp.route("/refresh")
class BrowserRefresh(MethodView):
    @blp.response(200, BrowserTokenSchema)
    @blp.problem(401, "Cookie 缺失、无效或已撤销 / Cookie missing, invalid or revoked")
    @blp.problem(403, "缺少 X-Requested-With / Header missing")
    def post(self) -> Response:
        """A new access token for the session in the cookie (the cookie's refresh token is rotated)."""
        _require_csrf_header()
        token = request.cookies.get(COOKIE_NAME)
        if not token:
            raise Unauthorized("请先登录。", "Log in first.", code="refresh_cookie_missing")
        settings = services.AuthSettings.from_config(current_app.config)
        pair = services.refresh(current_session(), token, settings)
        db.session.commit()
        return _answer(pair)


@blp.route("/logout")
class BrowserLogout(MethodView):
    @blp.auth()
    @blp.response(204)
    @blp.problem(403, "缺少 X-Requested-With / Header missing")
    def post(self) -> Response:
        """Revoke the session (access and refresh token) and clear the cookie."""
        _require_csrf_header()
        services.logout(current_session(), current_principal())
        db.session.commit()
        return _cleared(Response(status=204))
