"""numpy's small LAPACK calls kept on the calling thread.

numpy's OpenBLAS solves even a 3×3 system (``np.linalg.inv``, which jarvis calls for
every structure's fractional coordinates and reciprocal lattice) on its thread pool. The
worker it wakes then busy-waits on a core for about 0.1 s, so on a 2-core machine
everything after it (the rest of a graph build, torch's threads) runs at half speed.
Inside `one_blas_thread` numpy's BLAS uses one thread, and nothing is woken. For a 3×3
matrix the result has the same bits either way.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCK = threading.RLock()
"""Held while the limit is in place, so overlapping callers restore the right count."""


@functools.cache
def _numpy_blas() -> tuple[Any, ...]:
    """threadpoolctl's handles on the OpenBLAS numpy loaded (none for other BLAS builds)."""
    import numpy  # noqa: F401 - its BLAS must be loaded before the scan
    from threadpoolctl import ThreadpoolController

    return tuple(ThreadpoolController().select(internal_api="openblas").lib_controllers)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run numpy's BLAS and LAPACK calls on one thread for the duration of the block.

    The limit is process-wide while it lasts: numpy calls in other threads also run on
    one thread until the block ends. Meant for short blocks of small matrices.
    """
    with _LOCK:
        libs = _numpy_blas()
        before = [lib.get_num_threads() for lib in libs]
        for lib in libs:
            lib.set_num_threads(1)
        try:
            yield
        finally:
            for lib, threads in zip(libs, before, strict=True):
                lib.set_num_threads(threads)
