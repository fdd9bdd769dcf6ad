"""Valid sessions remembered per process, so an authenticated request needs no database round trip.

Every request used to read its session, user and jurisdictions from PostgreSQL before doing anything else.
This cache keeps the resulting Principal for a short time and forgets it the moment the database says the
user's access changed: triggers (migration ``auth_change_notify``) send ``NOTIFY lantian_auth, '<user id>'``
when a session is revoked (logout, refresh reuse), a user is disabled or changes role, or a user's
jurisdictions change; a listener thread in each process evicts that user's entries.

How long a revocation can take to reach another app server (the documented bound):
- normally the notification's delivery after COMMIT (milliseconds);
- if the listening connection breaks, the cache is emptied and stops caching until it listens again, so
  nothing stale is served while notifications could be missed;
- as a last resort every entry expires after ``ttl`` seconds (``AUTH_SESSION_CACHE_SECONDS``, default 10).

A request that read the database just before a revocation committed could store a principal just after the
eviction; entries are therefore stored only if no eviction happened since the read began (``generation``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from app.auth.principal import Principal

CHANNEL = "lantian_auth"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    expires_at: float


class SessionCache:
    """Principal by session id, for at most ``ttl`` seconds, evicted by user on notification."""

    def __init__(
        self, dsn: str, ttl: float, clock: Callable[[], float] = time.monotonic, *, listen: bool = True
    ) -> None:
        """``listen=False`` (tests of the cache itself): no listener thread; the caller drives set_listening."""
        self.dsn = dsn
        self._listen = listen
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False
        self._listener_pid: int | None = None
        self._listener_connected = threading.Event()

    # -- reads and writes from request threads ---------------------------------------------------------

    def get(self, session_id: str) -> Principal | None:
        self._ensure_listener()
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

    # -- the listener thread (one per process: gunicorn forks workers after create_app) ----------------

    def _ensure_listener(self) -> None:
        pid = os.getpid()
        if not self._listen or self._listener_pid == pid:
            return
        with self._lock:
            if self._listener_pid == pid:
                return
            self._listener_pid = pid
            self._entries.clear()
            self._listening = False
        thread = threading.Thread(target=self._listen_forever, name="lantian-auth-listener", daemon=True)
        thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """For tests and start-up checks: True once the listener has subscribed."""
        self._ensure_listener()
        return self._listener_connected.wait(timeout)

    def _listen_forever(self) -> None:
        backoff = 0.5
        while True:
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.set_listening(True)
                    self._listener_connected.set()
                    backoff = 0.5
                    while True:
                        for note in conn.notifies(timeout=30.0):
                            self.handle_notification(note.payload)
                        conn.execute("SELECT 1")  # a quiet link is checked, so a dead one is noticed
            except Exception:  # any failure: stop caching, then reconnect
                log.warning("auth change listener lost its connection; session cache off until it is back")
            self._listener_connected.clear()
            self.set_listening(False)
            time.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


def session_cache_from_config(config: Mapping[str, Any]) -> SessionCache | None:
    """The process's cache, listening on the application's own database; None when switched off (ttl 0)."""
    ttl = float(config.get("AUTH_SESSION_CACHE_SECONDS", 0))
    if ttl <= 0:
        return None
    url = make_url(config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return SessionCache(url.render_as_string(hide_password=False), ttl)
