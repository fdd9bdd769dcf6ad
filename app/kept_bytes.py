"""Finished answers kept in the process: bytes by key, least recently used first out past a byte bound.

Used where an answer is expensive to build, the same for many callers, and keyed by everything it depends on
(a data version, the caller's scope, the query), so a kept answer is never stale and never crosses scopes: the
statistics answers (app/stats/answer_cache.py) and the low-zoom map tiles drawn from the rollup
(app/maplayers/vector_tiles.py). Each gunicorn worker keeps its own; nothing here is shared between machines.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class KeptBytes(Generic[V]):
    """Key → value (bytes, or a tuple of bytes; ``size`` says how many), thread-safe."""

    def __init__(self, max_bytes: int, size: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self._size_of = size
        self._entries: OrderedDict[str, V] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, key: str) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: V) -> None:
        size = self._size_of(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._size += size - (self._size_of(old) if old is not None else 0)
            self._entries[key] = value
            while self._size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size -= self._size_of(evicted)

    def get_or_build(self, key: str, build: Callable[[], V]) -> V:
        """The kept value, else built once: threads asking for the same key meanwhile wait for that build
        instead of building it too (eight connections asking the province's townships at once build it once
        per process, not eight times on two cores)."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            value = self.get(key)
            if value is None:
                value = build()
                self.put(key, value)
        with self._lock:
            if self._building.get(key) is building:
                del self._building[key]
        return value
