"""Access tokens (short-lived JWT) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from app.errors import Unauthorized

ALGORITHM = "HS256"


def issue_access_token(
    secret: str, *, user_id: int, session_id: uuid.UUID, role: str, ttl_seconds: int, now: datetime | None = None
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> dict:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized(
            "访问令牌已过期，请刷新。", "Access token expired; refresh it.", code="token_expired"
        ) from None
    except jwt.PyJWTError:
        raise Unauthorized("访问令牌无效。", "Access token invalid.", code="token_invalid") from None
    if claims.get("typ") != "access":
        raise Unauthorized("访问令牌无效。", "Access token invalid.", code="token_invalid")
    return claims


def _refresh_mac(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), b"refresh:" + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_refresh_token(secret: str, session_id: uuid.UUID) -> str:
    """An opaque refresh token for ``session_id``: ``<session id>.<random>.<HMAC>``.

    Only its hash is stored (the session's current token). The signed session id lets a token that is no
    longer current still name its session, so a replay of any rotated token, however old, can end that
    session (``refresh_token_session``); the MAC keeps a forged token from ending someone else's.
    """
    body = f"{session_id.hex}.{secrets.token_urlsafe(32)}"
    return f"{body}.{_refresh_mac(secret, body)}"


def refresh_token_session(secret: str, token: str) -> uuid.UUID | None:
    """The session a refresh token was issued for, when we issued it (the MAC checks); else None."""
    body, _, mac = token.rpartition(".")
    sid, _, random_part = body.partition(".")
    if not (sid and random_part and mac) or not hmac.compare_digest(mac, _refresh_mac(secret, body)):
        return None
    try:
        return uuid.UUID(hex=sid)
    except ValueError:
        return None


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
