"""The penalty rules stored as current and the jurisdictions' effective penalty settings, remembered per process.

Every submission runs the penalty engine with every current rule version (parsed from its stored JSON) and the
settings merged down the site's jurisdiction chain: two reads and the parsing of the whole catalogue per request
(issue #17). Both change only when an administrator syncs the rule files (``flask penalties sync``) or sets a
jurisdiction's penalty settings. Triggers on ``penalty_rule_versions``, ``jurisdiction_penalty_settings`` and a
jurisdiction's code (migration 0033) send ``NOTIFY lantian_penalties``; every process empties this cache when the
writer commits (app/notified_cache.py), so the next submission computes with the new values. Fallback bound:
``PENALTY_CACHE_SECONDS`` (10 s by default) when a notification is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.change_notices import ChangeListener
from app.notified_cache import NotifiedCache

CHANNEL = "lantian_penalties"


def penalty_cache_from_config(config: Mapping[str, Any], listener: ChangeListener | None) -> NotifiedCache | None:
    """None when switched off (``PENALTY_CACHE_SECONDS`` 0) or nothing listens."""
    ttl = float(config.get("PENALTY_CACHE_SECONDS", 0))
    if ttl <= 0 or listener is None:
        return None
    return NotifiedCache(CHANNEL, ttl, listener=listener)
