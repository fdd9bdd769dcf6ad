"""The one authorisation helper: bearer token → Principal, role check, jurisdiction scope."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request

from app.auth.principal import Principal
from app.auth.services import authenticate, known_principal
from app.context import set_actor
from app.errors import Forbidden, NotFound, Unauthorized
from app.extensions import current_session
from app.vocabulary import ROLES
from app.wiring import wiring


def _bearer_token() -> str:
    header = request.environ.get("HTTP_AUTHORIZATION", "")  # ``request.headers``' answer, one layer fewer
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "请先登录：缺少 Bearer 访问令牌。",
            "Log in first: a Bearer access token is required.",
            code="token_missing",
            extra={"_headers": {"WWW-Authenticate": "Bearer"}},
        )
    return token.strip()


def require(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Route decorator: a valid access token and one of ``roles`` (any role when none given)."""
    allowed = roles or ROLES

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            secret, token, cache = current_app.config["SECRET_KEY"], _bearer_token(), wiring().session_cache
            # A session this process knows needs no database: no SQLAlchemy Session is even opened.
            principal = known_principal(secret, token, cache) or authenticate(current_session(), secret, token, cache)
            set_actor(principal.user_id, principal.username)
            g.principal = principal
            if principal.role not in allowed:
                raise Forbidden(
                    f"此操作需要以下角色之一：{', '.join(allowed)}。",
                    f"This operation requires one of the roles: {', '.join(allowed)}.",
                    code="role_forbidden",
                )
            return view(*args, **kwargs)

        wrapper._lantian_roles = allowed  # type: ignore[attr-defined]  # read by the role-matrix tests
        return wrapper

    return decorator


def current_principal() -> Principal:
    principal = getattr(g, "principal", None)
    if principal is None:
        raise Unauthorized(code="token_missing")
    return principal


def ensure_in_scope(
    principal: Principal, jurisdiction_path: str | None, what_zh: str = "对象", what_en: str = "Object"
) -> None:
    """Objects outside the caller's jurisdictions do not exist for the caller (404, not 403)."""
    if not principal.covers(jurisdiction_path):
        raise NotFound(f"{what_zh}不存在或不在您的辖区内。", f"{what_en} not found in your jurisdictions.")
