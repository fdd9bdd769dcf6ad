"""A verified access token is kept by the process without weakening the checks: expiry is still
checked on every use, and only the exact string whose signature was verified is known."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.auth.tokens import decode_access_token, issue_access_token
from app.errors import Unauthorized

SECRET = "unit-test-secret-0123456789-0123456789"


def _token(ttl_seconds: int, *, issued_ago: float = 0) -> str:
    now = datetime.now(UTC) - timedelta(seconds=issued_ago)
    return issue_access_token(
        SECRET, user_id=7, session_id=uuid.uuid4(), role="inspector", ttl_seconds=ttl_seconds, now=now
    )


def test_a_token_verified_once_is_refused_once_it_expires() -> None:
    token = _token(900, issued_ago=898)  # 1–2 s left
    assert decode_access_token(SECRET, token)["sub"] == "7"
    assert decode_access_token(SECRET, token)["sub"] == "7"  # the second use is the kept one
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            decode_access_token(SECRET, token)
        except Unauthorized as refused:
            assert refused.code == "token_expired"
            return
        time.sleep(0.05)
    pytest.fail("an expired access token was still accepted from the process's cache")


def test_a_known_token_with_another_signature_or_secret_is_refused() -> None:
    token = _token(900)
    decode_access_token(SECRET, token)
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(Unauthorized) as refused:
        decode_access_token(SECRET, forged)
    assert refused.value.code == "token_invalid"
    with pytest.raises(Unauthorized):
        decode_access_token("another-secret-0123456789-0123456789", token)
