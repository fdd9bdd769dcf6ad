"""A per-process cache of values read from the database, emptied by a PostgreSQL notification.

For reference data that every request of a hot path reads and that changes rarely (app/reference_cache.py; the
checklist versions a PUT names, app/checklists/versions.py). A trigger sends ``NOTIFY <channel>`` in the
writer's transaction; the process's change listener (app/change_notices.py) delivers it once the writer commits
and the whole cache is emptied (these values are few and cheap to read again). As with the session and checklist
caches, entries are kept only while the listener is connected, and each for at most ``ttl`` seconds: the
last-resort bound on how stale a value can be when a notification is lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Hashable, Mapping
from typing import Any, TypeVar

from app.change_notices import ChangeListener

K = TypeVar("K", bound=Hashable)


class NotifiedCache:
    """Key → (value, expiry); any notification on ``channel`` empties it; a read that raced one is not stored."""

    def __init__(
        self,
        channel: str,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        listener: ChangeListener | None = None,
    ) -> None:
        self.channel = channel
        self.ttl = ttl
        self._clock = clock
        self._listener = listener
        self._entries: dict[Hashable, tuple[Any, float]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False  # without a listener (tests of the cache itself) the caller drives set_listening
        if listener is not None:
            listener.subscribe(channel, self)

    def get(self, key: Hashable) -> Any | None:
        if self._listener is not None:
            self._listener.ensure_started()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or not self._listening:
                return None
            value, expires_at = entry
            if expires_at <= self._clock():
                del self._entries[key]
                return None
            return value

    def generation(self) -> int:
        """Take before reading the database; pass to ``put``."""
        with self._lock:
            return self._generation

    def put(self, key: Hashable, value: Any, generation: int) -> None:
        with self._lock:
            if self._listening and generation == self._generation:
                self._entries[key] = (value, self._clock() + self.ttl)

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The kept value, else ``load()``'s, kept unless a notification arrived while it was read."""
        value = self.get(key)
        if value is None:
            generation = self.generation()
            value = load()
            self.put(key, value, generation)
        return value

    def get_or_load_many(self, keys: Collection[K], load: Callable[[list[K]], Mapping[K, Any]]) -> dict[K, Any]:
        """``get_or_load`` for several keys under one lock: ``load`` gets the keys not kept (only when there are
        some) and must return a value for each of them; those are kept unless a notification arrived meanwhile."""
        if self._listener is not None:
            self._listener.ensure_started()
        found: dict[K, Any] = {}
        with self._lock:
            now, generation = self._clock(), self._generation
            for key in keys:
                entry = self._entries.get(key) if self._listening else None
                if entry is not None and entry[1] > now:
                    found[key] = entry[0]
        missing = [key for key in keys if key not in found]
        if missing:
            loaded = load(missing)
            with self._lock:
                if self._listening and generation == self._generation:
                    expires_at = self._clock() + self.ttl
                    self._entries.update((key, (loaded[key], expires_at)) for key in missing)
            found.update((key, loaded[key]) for key in missing)
        return found

    def set_listening(self, listening: bool) -> None:
        with self._lock:
            self._generation += 1
            self._listening = listening
            if not listening:
                self._entries.clear()

    def handle_notification(self, payload: str) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def forget(self, key: Hashable) -> None:
        """Forget one entry (a subclass whose notifications name the key they concern)."""
        with self._lock:
            self._generation += 1
            self._entries.pop(key, None)
