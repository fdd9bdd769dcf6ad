"""One LISTEN connection per process for the PostgreSQL notifications Lantian's in-process caches follow.

Caches that spare a request its database round trips (valid sessions: app/auth/session_cache.py; current
checklist hashes: app/checklists/hash_cache.py) must forget an entry the moment the database changes it, on every
app server. Triggers send ``NOTIFY <channel>, '<payload>'`` in the writer's transaction; this listener delivers
each notification to the channel's subscriber once the transaction commits.

A subscriber caches only while notifications can arrive: when the connection breaks, every subscriber is told
(``set_listening(False)``: empty the cache, stop caching) and told again once the listener is back. Each
subscriber keeps its own TTL as the last-resort bound.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    def handle_notification(self, payload: str) -> None: ...

    def set_listening(self, listening: bool) -> None: ...


class ChangeListener:
    """Delivers notifications on the subscribed channels; one thread per process (gunicorn forks after
    ``create_app``, so the thread starts in each worker on its first use, not in the master)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._subscribers: dict[str, list[Subscriber]] = {}
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._connected = threading.Event()

    def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        """Before the first request: ``subscriber`` receives the payloads of ``channel`` (with any other
        subscriber of that channel)."""
        self._subscribers.setdefault(channel, []).append(subscriber)

    def ensure_started(self) -> None:
        """Start this process's listener thread unless it runs already (cheap: called on every cache read)."""
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._lock:
            if self._pid == pid:
                return
            self._pid = pid
            self._connected.clear()
            self._tell_all(listening=False)  # anything inherited from the parent is not covered by notifications
        threading.Thread(target=self._listen_forever, name="lantian-change-listener", daemon=True).start()

    def wait_listening(self, timeout: float) -> bool:
        """For tests and start-up checks: True once the listener has subscribed to every channel."""
        self.ensure_started()
        return self._connected.wait(timeout)

    def _tell_all(self, *, listening: bool) -> None:
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.set_listening(listening)

    def _listen_forever(self) -> None:
        backoff = 0.5
        while True:
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    for channel in self._subscribers:
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self._tell_all(listening=True)
                    self._connected.set()
                    backoff = 0.5
                    while True:
                        for note in conn.notifies(timeout=30.0):
                            for subscriber in self._subscribers.get(note.channel, ()):
                                subscriber.handle_notification(note.payload)
                        conn.execute("SELECT 1")  # a quiet link is checked, so a dead one is noticed
            except Exception:  # any failure: stop caching everywhere, then reconnect
                log.warning("change listener lost its connection; in-process caches off until it is back")
            self._connected.clear()
            self._tell_all(listening=False)
            time.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


def change_listener_from_config(config: Mapping[str, Any]) -> ChangeListener | None:
    """A listener on the application's own database, when any in-process cache is switched on."""
    names = ("AUTH_SESSION_CACHE_SECONDS", "CHECKLIST_CACHE_SECONDS", "REFERENCE_CACHE_SECONDS")
    if all(float(config.get(name, 0)) <= 0 for name in names):
        return None
    url = make_url(config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return ChangeListener(url.render_as_string(hide_password=False))
