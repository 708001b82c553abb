"""A thread-safe least-recently-used cache bounded by the bytes of what it holds.

Graphs are cached by content (structure fingerprints, graph options), and their size
ranges from kilobytes to gigabytes, so a count of entries says nothing about memory.
Each entry carries an estimate of its bytes (see `array_bytes`); past the budget the
least recently used entries go, and an entry larger than the whole budget is never kept.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


def array_bytes(*values: Any) -> int:
    """Bytes of the arrays in ``values``: anything with an integer ``nbytes`` (numpy arrays,
    torch tensors), found through tuples, lists, dict values and dataclass instances
    (their fields and cached properties). An array reached twice counts once."""
    total, seen, stack = 0, set(), list(values)
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        size = getattr(value, "nbytes", None)
        if isinstance(size, int):
            total += size
        elif isinstance(value, tuple | list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            stack.extend(vars(value).values())
    return total


class ByteCache:
    """Values under keys, each with its size in bytes; `put` evicts the least recently
    used entries past a budget. Every method holds the cache's lock."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"ByteCache({len(self)} entries, {self.nbytes:,} bytes)"

    @property
    def nbytes(self) -> int:
        """The bytes of all entries, as estimated when they were put."""
        return self._bytes

    def keys(self) -> list[Hashable]:
        """The keys, least recently used first."""
        with self._lock:
            return list(self._entries)

    def get(self, key: Hashable) -> Any | None:
        """The value under ``key`` (now the most recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Any, nbytes: int, budget: int) -> bool:
        """Keep ``value`` (``nbytes`` bytes) under ``key`` as the most recently used entry,
        then evict the least recently used until at most ``budget`` bytes remain.

        Returns False, keeping and evicting nothing, when ``nbytes`` exceeds ``budget``.
        """
        if nbytes > budget:
            return False
        with self._lock:
            self._drop(key)
            self._entries[key] = (value, nbytes)
            self._bytes += nbytes
            while self._bytes > budget:
                self._drop(next(iter(self._entries)))
        return True

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[1]
