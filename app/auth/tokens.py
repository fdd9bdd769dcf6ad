"""Access tokens (short-lived JWT) and refresh tokens (opaque, stored hashed)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta, timezone

import jwt

from app.errors import Unauthorized

ALGORITHM = "HS256"


def issue_access_token(secret: str, *, user_id: int, session_id: uuid.UUID, role: str, ttl_seconds: int,
                       now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
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
        raise Unauthorized("访问令牌已过期，请刷新。", "Access token expired; refresh it.", code="token_expired")
    except jwt.PyJWTError:
        raise Unauthorized("访问令牌无效。", "Access token invalid.", code="token_invalid")
    if claims.get("typ") != "access":
        raise Unauthorized("访问令牌无效。", "Access token invalid.", code="token_invalid")
    return claims


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
