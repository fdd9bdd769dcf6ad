"""The content hash of each checklist's current version, remembered per process.

Phones revalidate their checklists often (``If-None-Match``); with the session cached too
(app/auth/session_cache.py), a 304 then needs no database round trip at all. A new current version is a row
written by the catalogue sync; a trigger (migration ``checklist_change_notify``) sends ``NOTIFY
lantian_checklists, '<key>'`` and the process's change listener (app/change_notices.py) forgets that key.
The cache holds entries only while the listener is connected, and each for at most ``ttl`` seconds
(``CHECKLIST_CACHE_SECONDS``) as the last-resort bound, like the session cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from app.change_notices import ChangeListener
from app.notified_cache import NotifiedCache

CHANNEL = "lantian_checklists"


class CurrentHashCache(NotifiedCache):
    """Checklist key → (current content hash, expiry); a read that raced an eviction is not stored. A
    notification names one key: only that key is forgotten."""

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, listener: ChangeListener | None = None
    ) -> None:
        super().__init__(CHANNEL, ttl, clock, listener)

    def handle_notification(self, payload: str) -> None:
        self.forget(payload)


def checklist_hash_cache_from_config(
    config: Mapping[str, Any], listener: ChangeListener | None
) -> CurrentHashCache | None:
    """None when switched off (``CHECKLIST_CACHE_SECONDS`` 0) or nothing listens."""
    ttl = float(config.get("CHECKLIST_CACHE_SECONDS", 0))
    if ttl <= 0 or listener is None:
        return None
    return CurrentHashCache(ttl, listener=listener)
