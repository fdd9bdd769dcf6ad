"""Access tokens (short-lived JWT) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

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


# Access tokens already verified by this process: (secret, token) → claims. A phone sends the same token with
# every request for up to ACCESS_TOKEN_TTL_SECONDS; verifying its signature and parsing it again each time
# was ~5 % of an authenticated 304. Only a token whose signature checked out is kept, under the
# exact string that was checked; expiry is still checked on every use. Bounded: emptied when full.
_VERIFIED: dict[tuple[str, str], dict[str, Any]] = {}
_VERIFIED_MAX = 4096


def _expired() -> Unauthorized:
    return Unauthorized("访问令牌已过期，请刷新。", "Access token expired; refresh it.", code="token_expired")


def decode_access_token(secret: str, token: str) -> dict[str, Any]:
    known = _VERIFIED.get((secret, token))
    if known is not None:
        if known["exp"] <= time.time():  # PyJWT's test (no leeway)
            _VERIFIED.pop((secret, token), None)
            raise _expired()
        return known
    claims = _verify_access_token(secret, token)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[(secret, token)] = claims
    return claims


def _verify_access_token(secret: str, token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid"]})
    except jwt.ExpiredSignatureError:
        raise _expired() from None
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
