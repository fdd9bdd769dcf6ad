"""The kept statistics answers: least recently used out past the byte bound, one build per key at a time."""

from __future__ import annotations

import threading
import time

from app.stats.answer_cache import answer_cache, answer_etag


def test_the_least_recently_used_answer_goes_first_past_the_bound() -> None:
    cache = answer_cache(10)
    cache.put("a", (b"aaa", b"a"))
    cache.put("b", (b"bbb", b"b"))
    assert cache.get("a") == (b"aaa", b"a")  # a is now the most recent
    cache.put("c", (b"ccc", b"c"))  # 12 bytes: b goes
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    cache.put("huge", (b"x" * 11, b""))  # larger than the bound: not kept, nothing evicted for it
    assert cache.get("huge") is None and cache.get("a") is not None


def test_concurrent_askers_of_one_key_wait_for_a_single_build() -> None:
    cache = answer_cache(1 << 20)
    builds = []
    go = threading.Barrier(6)

    def build() -> tuple[bytes, bytes]:
        builds.append(1)
        time.sleep(0.2)  # long enough for the other threads to arrive while it builds
        return b"{", b"}"

    got = []

    def ask() -> None:
        go.wait()
        got.append(cache.get_or_build("k", build))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and got == [(b"{", b"}")] * 6


def test_a_tag_depends_on_the_secret_and_every_part() -> None:
    parts = ["inspections", 7, "supervisor", ["/410000/410800/410822/"], [("by", "total")], "2026-12-01"]
    tag = answer_etag(b"secret", parts)
    assert tag == answer_etag(b"secret", list(parts))
    assert tag != answer_etag(b"other", parts)
    for i in range(len(parts)):
        changed = list(parts)
        changed[i] = "x"
        assert answer_etag(b"secret", changed) != tag
