"""One expensive pass shared by several metrics (LSE-C and LSE-D, AUE and its halves, LMD per video).

Several registered metrics read the same intermediate result — SyncNet distances, OpenFace AU
intensities, the landmarks of a reference video that every method is compared against. They
are memoised in-process under a key made from the *content* of the inputs (not their
identity), so a second metric or a second method scored against the same reference reuses the
pass, and a changed input never hits a stale entry.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import numpy as np

T = TypeVar("T")


def content_key(*parts: Any) -> str:
    """SHA-256 of arrays (dtype, shape and bytes) and of the repr of anything else, in order."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            arr = np.ascontiguousarray(part)
            digest.update(f"{arr.dtype.str}{arr.shape}".encode())
            digest.update(memoryview(arr).cast("B"))
        else:
            digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


class ResultMemo(Generic[T]):
    """A small thread-safe LRU of computed results keyed by `content_key`."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: str, compute: Callable[[], T]) -> T:
        """The memoised value of `key`, computing (outside the lock) and storing it on a miss."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every entry (tests)."""
        with self._lock:
            self._items.clear()
