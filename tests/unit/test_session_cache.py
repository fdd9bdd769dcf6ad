"""The per-process session cache: what it keeps, for how long, and what makes it forget (app/auth/session_cache.py)."""

from __future__ import annotations

import time

import jwt
import pytest

from app.auth.principal import Principal
from app.auth.services import known_principal
from app.auth.session_cache import SessionCache
from app.errors import Unauthorized


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _principal(user_id: int, sid: str) -> Principal:
    return Principal(user_id, f"user{user_id}", "inspector", ("/410000/",), sid)


def _listening_cache(clock: FakeClock, ttl: float = 10.0) -> SessionCache:
    cache = SessionCache(ttl, clock)
    cache.set_listening(True)
    return cache


def test_a_stored_principal_is_served_until_its_ttl_ends() -> None:
    clock = FakeClock()
    cache = _listening_cache(clock)
    cache.put(_principal(1, "s1"), cache.generation())
    assert cache.get("s1") == _principal(1, "s1")
    clock.now += 9.9
    assert cache.get("s1") is not None
    clock.now += 0.2
    assert cache.get("s1") is None


def test_a_notification_evicts_every_session_of_that_user_and_only_theirs() -> None:
    cache = _listening_cache(FakeClock())
    for user_id, sid in ((1, "a"), (1, "b"), (2, "c")):
        cache.put(_principal(user_id, sid), cache.generation())
    cache.handle_notification("1")
    assert cache.get("a") is None and cache.get("b") is None
    assert cache.get("c") is not None


def test_a_read_overtaken_by_an_eviction_is_not_stored() -> None:
    cache = _listening_cache(FakeClock())
    generation = cache.generation()  # a request starts reading its session from the database …
    cache.handle_notification("1")  # … the session is revoked meanwhile and the notification arrives first
    cache.put(_principal(1, "s1"), generation)
    assert cache.get("s1") is None


def test_nothing_is_cached_while_notifications_cannot_arrive() -> None:
    cache = _listening_cache(FakeClock())
    cache.put(_principal(1, "s1"), cache.generation())
    cache.set_listening(False)  # the listening connection broke
    assert cache.get("s1") is None
    cache.put(_principal(1, "s1"), cache.generation())
    assert cache.get("s1") is None


def test_an_unreadable_payload_forgets_everything() -> None:
    cache = _listening_cache(FakeClock())
    cache.put(_principal(1, "s1"), cache.generation())
    cache.handle_notification("not-a-user-id")
    assert cache.get("s1") is None


# -- known_principal: the cache in front of the database (app/auth/services.py) -----------------------


TOKEN_SECRET = "unit-test-secret-0123456789-0123456789"
SID = "0b6f1f8e-3d1c-4c55-9a43-7d2f6c1e9a10"


def _token_for(sid: str, user_id: int = 1) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "sid": sid, "role": "inspector", "typ": "access", "iat": now, "exp": now + 900}
    return jwt.encode(claims, TOKEN_SECRET, algorithm="HS256")


def test_known_principal_serves_a_cached_session_however_its_id_is_spelled() -> None:
    cache = _listening_cache(FakeClock())
    cache.put(_principal(1, SID), cache.generation())
    for spelled in (SID, SID.upper(), SID.replace("-", ""), "{" + SID + "}"):
        assert known_principal(TOKEN_SECRET, _token_for(spelled), cache) == _principal(1, SID), spelled


def test_known_principal_refuses_another_users_token_and_a_malformed_session_id() -> None:
    cache = _listening_cache(FakeClock())
    cache.put(_principal(1, SID), cache.generation())
    assert known_principal(TOKEN_SECRET, _token_for(SID, user_id=2), cache) is None
    assert known_principal(TOKEN_SECRET, _token_for("0b6f1f8e-3d1c-4c55-9a43-7d2f6c1e9a11"), cache) is None
    with pytest.raises(Unauthorized) as refused:
        known_principal(TOKEN_SECRET, _token_for("not-a-session-id"), cache)
    assert refused.value.code == "token_invalid"
