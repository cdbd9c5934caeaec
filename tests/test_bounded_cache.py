"""The one bounded cache: least recently used goes first, an entry in use is never evicted, a build runs once."""

from __future__ import annotations

import threading

import pytest

from inspectors.core.lru import BoundedCache


def test_the_least_recently_used_entry_goes_first() -> None:
    evicted: list[str] = []
    cache: BoundedCache[str, int] = BoundedCache(2, on_evict=lambda k, v: evicted.append(k))
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert evicted == ["b"] and sorted(cache) == ["a", "c"]
    assert cache.peek("a") == 1 and cache.get("b") is None


def test_a_pinned_entry_is_skipped_and_the_next_goes() -> None:
    in_use = {"a"}
    cache: BoundedCache[str, int] = BoundedCache(1, pinned=lambda k, v: k in in_use)
    cache.put("a", 1)
    cache.put("b", 2)  # over the bound, but "a" is in use: "b" is the one that can go... and it is the newest
    assert "a" in cache
    in_use.clear()
    cache.put("c", 3)
    assert list(cache) == ["c"]


def test_get_or_build_builds_once_under_concurrency() -> None:
    calls: list[int] = []
    cache: BoundedCache[str, int] = BoundedCache(4)

    def build() -> int:
        calls.append(1)
        return 42

    threads = [threading.Thread(target=lambda: cache.get_or_build("k", build)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and cache.get("k") == 42


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        BoundedCache(0)


def test_a_weight_bound_evicts_the_oldest_until_the_total_fits_and_keeps_the_newest() -> None:
    cache: BoundedCache[str, bytes] = BoundedCache(100, weigh=len, max_weight=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.weight == 8
    cache.put("c", b"1234")  # 12 > 10: "a" goes
    assert list(cache) == ["b", "c"] and cache.weight == 8
    cache.put("huge", bytes(50))  # heavier than the bound alone: everything older goes, the newest stays
    assert list(cache) == ["huge"] and cache.weight == 50
    cache.put("huge", b"1")  # replacing an entry replaces its weight
    assert cache.weight == 1
    assert cache.pop("huge") == b"1" and cache.weight == 0
