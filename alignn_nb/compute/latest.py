"""The newest request only: `LatestRunner` runs a job on one worker thread for the latest
request; `Debounced` calls a function once, a set delay after the last of a burst.

A burst of requests (a user typing a cutoff, a preset changing five fields) becomes one
run with the last request's value: the worker waits until no request has come for
``settle`` seconds, and a request arriving during a run sets that run's cancel event so
it can end early and be discarded. The thread is started on the first request, through
`alignn_nb.compute.workers.start_worker`, so it is joined at exit.

A view that re-sends its state after every change (nglview's replay archive after each
layer) asks a `Debounced` for the call after each change: only the last request of a
burst calls the function, ``delay`` seconds after it, on a daemon timer thread, so the
function must be quick and safe beside the thread that asked for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from alignn_nb.compute.workers import start_worker

log = logging.getLogger(__name__)
SETTLE_SECONDS = 0.3
"""Quiet time after the last request before a run starts: what merges a burst of edits."""


class LatestRunner:
    """Runs ``job(value, cancel)`` for the latest `request`; ``cancel`` is a `threading.Event`.

    ``cancel`` is set when a newer request or `cancel` supersedes the run; the job should
    then return soon, and whatever it found is stale.
    """

    def __init__(
        self, job: Callable[[Any, threading.Event], None], name: str, settle: float = SETTLE_SECONDS
    ) -> None:
        self._job, self._name, self._settle = job, name, settle
        self._lock = threading.Condition()
        self._pending: tuple[Any] | None = None
        self._requested_at = 0.0
        self._cancel = threading.Event()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"LatestRunner({self._name!r}, busy={self._busy}, pending={self.pending})"

    @property
    def pending(self) -> bool:
        """True while a request waits or a run is going on."""
        return self._pending is not None or self._busy

    def request(self, value: Any) -> None:
        """Run the job for ``value`` soon, superseding any earlier request or run."""
        with self._lock:
            self._pending = (value,)
            self._requested_at = time.monotonic()
            self._cancel.set()
            self._lock.notify_all()
            if self._thread is None:
                self._thread = start_worker(self._loop, self._name, self.close)

    def cancel(self) -> None:
        """Drop the waiting request and cancel the running one."""
        with self._lock:
            self._pending = None
            self._cancel.set()
            self._lock.notify_all()

    def close(self) -> None:
        """Cancel everything and end the worker thread."""
        with self._lock:
            self._closed = True
        self.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending; False if ``timeout`` seconds passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: not self.pending, timeout)

    def _next(self) -> tuple[Any, threading.Event] | None:
        """The settled latest request and a fresh cancel event, or None once closed."""
        with self._lock:
            while not self._closed:
                if self._pending is None:
                    self._lock.wait()
                    continue
                quiet = self._requested_at + self._settle - time.monotonic()
                if quiet > 0:
                    self._lock.wait(quiet)
                    continue
                (value,), self._pending = self._pending, None
                self._cancel = threading.Event()
                self._busy = True
                return value, self._cancel
            return None

    def _loop(self) -> None:
        while (work := self._next()) is not None:
            try:
                self._job(*work)
            except Exception:  # the job reports its own errors; this keeps the thread alive
                log.exception("%s failed", self._name)
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()


class Debounced:
    """Calls ``function()`` ``delay`` seconds after the latest `request` (a later request
    restarts the wait); `cancel` drops a pending call, `wait` blocks until it has run."""

    def __init__(self, function: Callable[[], None], delay: float, name: str = "") -> None:
        if delay < 0:
            raise ValueError(f"delay = {delay!r} refused: it must be at least 0 seconds")
        self.function, self.delay = function, delay
        self.name = name or getattr(function, "__name__", "call")
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._idle = threading.Event()
        self._idle.set()

    def __repr__(self) -> str:
        return f"Debounced({self.name!r}, {self.delay} s, pending={self.pending})"

    @property
    def pending(self) -> bool:
        """True from a `request` until its call has returned (or was cancelled)."""
        return not self._idle.is_set()

    def request(self) -> None:
        """Call the function `delay` seconds from now, instead of any call still pending."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._idle.clear()
            timer = threading.Timer(self.delay, self._call)
            timer.name, timer.daemon = f"alignn-nb-{self.name}", True
            self._timer = timer
        timer.start()

    def cancel(self) -> None:
        """Drop the pending call, if any (a call already running finishes)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
                self._idle.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no call is pending; False if ``timeout`` seconds passed first."""
        return self._idle.wait(timeout)

    def _call(self) -> None:
        with self._lock:
            if self._timer is not threading.current_thread():
                return
        try:
            self.function()
        finally:
            with self._lock:
                if self._timer is threading.current_thread():
                    self._timer = None
                    self._idle.set()
