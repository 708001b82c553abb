"""Background threads that finish their torch work before the interpreter exits.

A daemon thread still inside torch or DGL when Python shuts down is stopped mid-call, and
the C++ code under it aborts the process ("terminate called without an active
exception"), so a script or test run that ends while a round is computing exits 134.
Threads started here are asked to stop and joined from an ``atexit`` hook, which runs
before daemon threads are torn down.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable

JOIN_SECONDS = 120.0
"""How long the exit hook waits for each worker to finish what it is computing."""

_running: dict[threading.Thread, Callable[[], None]] = {}
_lock = threading.Lock()


def start_worker(
    target: Callable[[], None], name: str, stop: Callable[[], None]
) -> threading.Thread:
    """Run ``target`` on a daemon thread; at exit ``stop`` is called and the thread joined.

    ``stop`` must make ``target`` return soon (set an event, notify a condition).
    """
    thread = threading.Thread(target=_forgetting(target), daemon=True, name=name)
    with _lock:
        _running[thread] = stop
    thread.start()
    return thread


def _forgetting(target: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            target()
        finally:
            with _lock:
                _running.pop(threading.current_thread(), None)

    return run


def _stop_all() -> None:
    with _lock:
        running = list(_running.items())
    for _, stop in running:
        stop()
    for thread, _ in running:
        thread.join(JOIN_SECONDS)


atexit.register(_stop_all)
