"""The per-process cache emptied by a notification (app/notified_cache.py): several keys at once."""

from __future__ import annotations

from app.notified_cache import NotifiedCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Values for the keys asked, each call recorded."""

    def __init__(self, prefix: str = "v") -> None:
        self.prefix = prefix
        self.calls: list[list[str]] = []

    def __call__(self, keys: list[str]) -> dict[str, str]:
        self.calls.append(list(keys))
        return {key: f"{self.prefix}-{key}" for key in keys}


def _listening(clock: FakeClock, ttl: float = 10.0) -> NotifiedCache:
    cache = NotifiedCache("test_channel", ttl, clock)
    cache.set_listening(True)
    return cache


def test_only_the_keys_not_kept_are_loaded_in_one_call() -> None:
    cache, load = _listening(FakeClock()), Loader()
    assert cache.get_or_load_many(["a", "b"], load) == {"a": "v-a", "b": "v-b"}
    assert cache.get_or_load_many(["b", "c", "a"], load) == {"a": "v-a", "b": "v-b", "c": "v-c"}
    assert cache.get_or_load_many(["c", "a"], load) == {"a": "v-a", "c": "v-c"}
    assert load.calls == [["a", "b"], ["c"]]
    assert cache.get("c") == "v-c"  # the same entries as get_or_load's


def test_an_expired_key_is_loaded_again() -> None:
    clock = FakeClock()
    cache, load = _listening(clock), Loader()
    cache.get_or_load_many(["a"], load)
    clock.now += 9.9
    cache.get_or_load_many(["a"], load)
    clock.now += 0.2
    cache.get_or_load_many(["a"], load)
    assert load.calls == [["a"], ["a"]]


def test_a_load_overtaken_by_a_notification_is_not_kept() -> None:
    cache = _listening(FakeClock())

    def load_while_a_change_commits(keys: list[str]) -> dict[str, str]:
        cache.handle_notification("")  # the data changed while the request was reading the old values
        return dict.fromkeys(keys, "old")

    assert cache.get_or_load_many(["a"], load_while_a_change_commits) == {"a": "old"}
    load = Loader("new")
    assert cache.get_or_load_many(["a"], load) == {"a": "new-a"}
    assert load.calls == [["a"]]


def test_a_notification_forgets_every_key() -> None:
    cache, load = _listening(FakeClock()), Loader()
    cache.get_or_load_many(["a", "b"], load)
    cache.handle_notification("")
    cache.get_or_load_many(["a", "b"], load)
    assert load.calls == [["a", "b"], ["a", "b"]]


def test_nothing_is_kept_while_notifications_cannot_arrive() -> None:
    cache, load = NotifiedCache("test_channel", 10.0, FakeClock()), Loader()
    cache.get_or_load_many(["a"], load)
    cache.get_or_load_many(["a"], load)
    assert load.calls == [["a"], ["a"]]
