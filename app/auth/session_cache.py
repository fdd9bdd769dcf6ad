"""Valid sessions remembered per process, so an authenticated request needs no database round trip.

Every request used to read its session, user and jurisdictions from PostgreSQL before doing anything else.
This cache keeps the resulting Principal for a short time and forgets it the moment the database says the
user's access changed: triggers (migration ``auth_change_notify``) send ``NOTIFY lantian_auth, '<user id>'``
when a session is revoked (logout, refresh reuse), a user is disabled or changes role, or a user's
jurisdictions change; the process's change listener (app/change_notices.py) evicts that user's entries.

How long a revocation can take to reach another app server (the documented bound):
- normally the notification's delivery after COMMIT (milliseconds);
- if the listening connection breaks, the cache is emptied and stops caching until it listens again, so
  nothing stale is served while notifications could be missed;
- as a last resort every entry expires after ``ttl`` seconds (``AUTH_SESSION_CACHE_SECONDS``, default 10).

A request that read the database just before a revocation committed could store a principal just after the
eviction; entries are therefore stored only if no eviction happened since the read began (``generation``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.auth.principal import Principal
from app.change_notices import ChangeListener

CHANNEL = "lantian_auth"


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    expires_at: float


class SessionCache:
    """Principal by session id, for at most ``ttl`` seconds, evicted by user on ``NOTIFY lantian_auth``."""

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, listener: ChangeListener | None = None
    ) -> None:
        """``listener`` None (tests of the cache itself): the caller drives ``set_listening`` and notifications."""
        self.ttl = ttl
        self._clock = clock
        self._listener = listener
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False
        if listener is not None:
            listener.subscribe(CHANNEL, self)

    # -- reads and writes from request threads ---------------------------------------------------------

    def get(self, session_id: str) -> Principal | None:
        if self._listener is not None:
            self._listener.ensure_started()
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None or not self._listening:
                return None
            if entry.expires_at <= self._clock():
                del self._entries[session_id]
                return None
            return entry.principal

    def generation(self) -> int:
        """Take before reading the database; pass to ``put`` so a read overtaken by an eviction is not kept."""
        with self._lock:
            return self._generation

    def put(self, principal: Principal, generation: int) -> None:
        if principal.session_id is None:
            return
        with self._lock:
            if not self._listening or generation != self._generation:
                return
            self._entries[principal.session_id] = _Entry(principal, self._clock() + self.ttl)

    # -- invalidation ----------------------------------------------------------------------------------

    def evict_user(self, user_id: int) -> None:
        with self._lock:
            self._generation += 1
            for sid in [sid for sid, e in self._entries.items() if e.principal.user_id == user_id]:
                del self._entries[sid]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def set_listening(self, listening: bool) -> None:
        """Cache only while notifications can arrive; losing them empties the cache."""
        with self._lock:
            self._generation += 1
            self._listening = listening
            if not listening:
                self._entries.clear()

    def handle_notification(self, payload: str) -> None:
        try:
            self.evict_user(int(payload))
        except ValueError:
            self.clear()  # an unexpected payload: forget everything rather than guess


def session_cache_from_config(config: Mapping[str, Any], listener: ChangeListener | None) -> SessionCache | None:
    """The process's cache, evicted through ``listener``; None when switched off (ttl 0) or nothing listens."""
    ttl = float(config.get("AUTH_SESSION_CACHE_SECONDS", 0))
    if ttl <= 0 or listener is None:
        return None
    return SessionCache(ttl, listener=listener)
