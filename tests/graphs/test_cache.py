"""ByteCache: least recently used first, bounded in bytes, safe across threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from alignn_nb.graphs import ByteCache
from alignn_nb.graphs.cache import array_bytes


def test_entries_past_the_budget_go_least_recently_used_first():
    cache = ByteCache()
    for key, size in (("a", 40), ("b", 30), ("c", 20)):
        assert cache.put(key, key.upper(), size, budget=100)
    assert cache.get("a") == "A"
    assert cache.keys() == ["b", "c", "a"]
    assert cache.put("d", "D", 25, budget=100)
    assert cache.keys() == ["c", "a", "d"] and cache.nbytes == 20 + 40 + 25
    assert cache.get("b") is None


def test_putting_a_key_again_replaces_its_bytes():
    cache = ByteCache()
    cache.put("a", 1, 60, budget=100)
    cache.put("a", 2, 10, budget=100)
    assert (cache.get("a"), cache.nbytes, len(cache)) == (2, 10, 1)


def test_an_entry_larger_than_the_budget_is_never_kept_and_evicts_nothing():
    cache = ByteCache()
    cache.put("small", 1, 10, budget=100)
    assert not cache.put("huge", 2, 101, budget=100)
    assert cache.keys() == ["small"] and cache.nbytes == 10


def test_threads_sharing_the_cache_keep_its_byte_count_true():
    cache, rounds, start = ByteCache(), 2000, threading.Barrier(4)

    def hammer(seed: int) -> None:
        rng = np.random.default_rng(seed)
        start.wait(timeout=60)
        for _ in range(rounds):
            key = int(rng.integers(50))
            if cache.get(key) is None:
                cache.put(key, key, int(rng.integers(1, 40)), budget=500)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    sizes = sum(size for _, size in cache._entries.values())
    assert cache.nbytes == sizes <= 500


@dataclass
class _Holder:
    first: np.ndarray
    rest: tuple


def test_array_bytes_finds_arrays_in_containers_and_counts_each_once():
    shared = np.zeros(10, dtype=np.float64)
    holder = _Holder(shared, (shared, {"t": torch.zeros(4, dtype=torch.float32)}, [np.ones(3)]))
    assert array_bytes(holder, shared) == 80 + 16 + 24
