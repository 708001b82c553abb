"""`JobContext`: what a job's task is handed, the same on a thread, in a child process and
on a Dask worker.

A task is a function ``task(ctx, *args, **kwargs)``. Through ``ctx`` it reports progress
(`JobContext.report`), says what it is doing (`message`), sends events the job's
observers receive in order (`emit`), and learns that a stop was asked for (`stopping`,
`stop_event`, `raise_if_stopping`). Stopping is cooperative: the task polls and returns
what it has (or raises `Stopped`); what happens to a task that never polls depends on
where it runs (see each job class).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Protocol

Task = Callable[..., Any]
"""A job's work: ``task(ctx, *args, **kwargs)`` returning the job's result."""


class Stopped(Exception):
    """Raised by `JobContext.raise_if_stopping`; a task that lets it out ends "stopped"."""

    def __init__(self, message: str = "the job was stopped") -> None:
        super().__init__(message)


class StopFlag(Protocol):
    """What `JobContext.stop_event` gives: the part of `threading.Event` a task reads."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class JobContext(ABC):
    """The task's line to its job. Every method may be called from any thread of the task."""

    @abstractmethod
    def report(
        self,
        done: int,
        total: int | None = None,
        *,
        unit: str | None = None,
        eta: float | None = None,
    ) -> None:
        """``done`` of ``total`` ``unit`` are finished (``total``, ``unit`` None: unchanged).

        ``eta`` in seconds overrides the ETA measured from the rate, for a task that has a
        better estimate (a cost model before the first epoch).
        """

    @abstractmethod
    def message(self, text: str) -> None:
        """The job's latest human-readable line (one line)."""

    @abstractmethod
    def emit(self, kind: str, data: Any = None) -> None:
        """An event for the job's observers (an epoch's losses, a finished trial, a chunk's
        rows); ``data`` must pickle when the task runs in another process."""

    @property
    @abstractmethod
    def stop_event(self) -> StopFlag:
        """Set once a stop was asked for; pass it where a `threading.Event` is polled."""

    @property
    def stopping(self) -> bool:
        """True once a stop was asked for: the task should return soon."""
        return self.stop_event.is_set()

    def raise_if_stopping(self) -> None:
        """Raise `Stopped` if a stop was asked for: ends the task from deep inside a loop.

        Raises:
            Stopped: when `stopping`.
        """
        if self.stopping:
            raise Stopped()
