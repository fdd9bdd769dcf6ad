"""The content hash of each checklist's current version, remembered per process.

Phones revalidate their checklists often (``If-None-Match``); with the session cached too
(app/auth/session_cache.py), a 304 then needs no database round trip at all. A new current version is a row
written by the catalogue sync; a trigger (migration ``checklist_change_notify``) sends ``NOTIFY
lantian_checklists, '<key>'`` and the process's change listener (app/change_notices.py) forgets that key.
The cache holds entries only while the listener is connected, and each for at most ``ttl`` seconds
(``CHECKLIST_CACHE_SECONDS``) as the last-resort bound, like the session cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from app.change_notices import ChangeListener

CHANNEL = "lantian_checklists"


class CurrentHashCache:
    """Checklist key → (current content hash, expiry); a read that raced an eviction is not stored."""

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, listener: ChangeListener | None = None
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._listener = listener
        self._entries: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False
        if listener is not None:
            listener.subscribe(CHANNEL, self)

    def get(self, key: str) -> str | None:
        if self._listener is not None:
            self._listener.ensure_started()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or not self._listening:
                return None
            digest, expires_at = entry
            if expires_at <= self._clock():
                del self._entries[key]
                return None
            return digest

    def generation(self) -> int:
        """Take before reading the database; pass to ``put``."""
        with self._lock:
            return self._generation

    def put(self, key: str, digest: str, generation: int) -> None:
        with self._lock:
            if self._listening and generation == self._generation:
                self._entries[key] = (digest, self._clock() + self.ttl)

    def set_listening(self, listening: bool) -> None:
        with self._lock:
            self._generation += 1
            self._listening = listening
            if not listening:
                self._entries.clear()

    def handle_notification(self, payload: str) -> None:
        with self._lock:
            self._generation += 1
            self._entries.pop(payload, None)


def checklist_hash_cache_from_config(
    config: Mapping[str, Any], listener: ChangeListener | None
) -> CurrentHashCache | None:
    """None when switched off (``CHECKLIST_CACHE_SECONDS`` 0) or nothing listens."""
    ttl = float(config.get("CHECKLIST_CACHE_SECONDS", 0))
    if ttl <= 0 or listener is None:
        return None
    return CurrentHashCache(ttl, listener=listener)
