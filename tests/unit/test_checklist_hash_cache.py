"""The per-process cache of current checklist hashes: what it keeps, for how long, what makes it forget
(app/checklists/hash_cache.py)."""

from __future__ import annotations

from app.checklists.hash_cache import CurrentHashCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _listening(clock: FakeClock, ttl: float = 10.0) -> CurrentHashCache:
    cache = CurrentHashCache(ttl, clock)
    cache.set_listening(True)
    return cache


def test_a_hash_is_served_until_its_ttl_ends() -> None:
    clock = FakeClock()
    cache = _listening(clock)
    cache.put("construction_dust.henan", "h1", cache.generation())
    clock.now += 9.9
    assert cache.get("construction_dust.henan") == "h1"
    clock.now += 0.2
    assert cache.get("construction_dust.henan") is None


def test_a_notification_forgets_that_key_only() -> None:
    cache = _listening(FakeClock())
    cache.put("a", "ha", cache.generation())
    cache.put("b", "hb", cache.generation())
    cache.handle_notification("a")
    assert (cache.get("a"), cache.get("b")) == (None, "hb")


def test_a_read_overtaken_by_a_notification_is_not_kept() -> None:
    cache = _listening(FakeClock())
    generation = cache.generation()  # the request starts reading the old hash
    cache.handle_notification("a")  # meanwhile the catalogue changed
    cache.put("a", "old", generation)
    assert cache.get("a") is None


def test_nothing_is_cached_while_notifications_cannot_arrive() -> None:
    cache = CurrentHashCache(10.0, FakeClock())
    cache.put("a", "ha", cache.generation())
    assert cache.get("a") is None
    cache.set_listening(True)
    cache.put("a", "ha", cache.generation())
    cache.set_listening(False)  # the listener lost its connection: everything is forgotten
    cache.set_listening(True)
    assert cache.get("a") is None
