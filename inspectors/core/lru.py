"""The one bounded cache of the project: a thread-safe least-recently-used map with a size limit.

Every memo in the engine and the app that must stay bounded (replay's RPN stage, analyses' extras, a dataset
capture's tensors and metrics, the app's models and sessions) is one of these, so eviction works one way everywhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, Iterator, Optional, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `maxsize` entries; reading or writing an entry makes it the most recent, the least recent goes first.

    `on_evict(key, value)` is called (outside no lock of the caller's) for every entry pushed out by the bound;
    `pinned(key, value)` may keep an entry that is in use from being evicted (it is skipped, the next one goes).
    `lock` (an RLock) lets an owner guard several structures, this one included, with one lock. With `weigh` and
    `max_weight` the entries are also bounded by their total weight (their bytes, say); the newest always stays.
    """

    def __init__(self, maxsize: int, *, on_evict: Optional[Callable[[K, V], None]] = None,
                 pinned: Optional[Callable[[K, V], bool]] = None, lock: Optional[threading.RLock] = None,
                 weigh: Optional[Callable[[V], int]] = None, max_weight: Optional[int] = None) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self.maxsize = maxsize
        self._weigh = weigh
        self.max_weight = max_weight
        self.weight = 0  # the entries' total weight (bytes, say), when `weigh` is given
        self._data: OrderedDict[K, V] = OrderedDict()
        self._on_evict = on_evict
        self._pinned = pinned
        self.lock = lock if lock is not None else threading.RLock()  # an owner may share its own lock

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        with self.lock:
            return iter(list(self._data))

    def get(self, key: K, default: Optional[V] = None) -> Optional[V]:
        with self.lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def peek(self, key: K, default: Optional[V] = None) -> Optional[V]:
        """The entry without making it more recent."""
        with self.lock:
            return self._data.get(key, default)

    def put(self, key: K, value: V) -> None:
        with self.lock:
            if key in self._data:
                self.weight -= self._weight_of(self._data[key])
            self._data[key] = value
            self._data.move_to_end(key)
            self.weight += self._weight_of(value)
            evicted = self._trim()
        self._report(evicted)

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The cached value for `key`, built (under the lock, so once) when missing."""
        with self.lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            value = build()
            self._data[key] = value
            self.weight += self._weight_of(value)
            evicted = self._trim()
        self._report(evicted)
        return value

    def pop(self, key: K, default: Optional[V] = None) -> Optional[V]:
        with self.lock:
            if key not in self._data:
                return default
            value = self._data.pop(key)
            self.weight -= self._weight_of(value)
            return value

    def values(self) -> list[V]:
        with self.lock:
            return list(self._data.values())

    def items(self) -> list[tuple[K, V]]:
        with self.lock:
            return list(self._data.items())

    def clear(self) -> None:
        with self.lock:
            self._data.clear()
            self.weight = 0

    def _weight_of(self, value: V) -> int:
        return self._weigh(value) if self._weigh is not None else 0

    def _over(self) -> bool:
        heavy = self.max_weight is not None and self.weight > self.max_weight and len(self._data) > 1
        return len(self._data) > self.maxsize or heavy

    def _trim(self) -> list[tuple[K, V]]:
        evicted: list[tuple[K, V]] = []
        newest = next(reversed(self._data), None)
        for key in list(self._data):
            if not self._over():
                break
            value = self._data[key]
            if key == newest or (self._pinned is not None and self._pinned(key, value)):
                continue
            del self._data[key]
            self.weight -= self._weight_of(value)
            evicted.append((key, value))
        return evicted

    def _report(self, evicted: list[tuple[K, V]]) -> None:
        if self._on_evict is not None:
            for key, value in evicted:
                self._on_evict(key, value)
