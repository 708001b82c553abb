"""`ThreadJob`: a task run on the job's own thread in this process.

For work that must share this process's memory: the loss plot's short training (its
result is the trained model), an evaluation, a driver loop that itself submits work to a
Dask cluster (the sweep). A thread cannot be killed: a stop sets the context's
`stop_event`, and the job ends when the task returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from alignn_nb.compute.context import JobContext, Stopped, Task
from alignn_nb.compute.job import DONE, FAILED, KEEP_EVENTS, STOPPED, Ending, Job, JobError
from alignn_nb.compute.progress import Clock


class ThreadContext(JobContext):
    """A thread job's context: every call reaches the job directly."""

    def __init__(self, job: Job, stop_event: threading.Event) -> None:
        self._job, self._stop_event = job, stop_event

    def report(
        self,
        done: int,
        total: int | None = None,
        *,
        unit: str | None = None,
        eta: float | None = None,
    ) -> None:
        self._job._report(done, total, unit, eta)

    def message(self, text: str) -> None:
        self._job._say(text)

    def emit(self, kind: str, data: Any = None) -> None:
        self._job._emit(kind, data)

    @property
    def stop_event(self) -> threading.Event:
        return self._stop_event


class ThreadJob(Job):
    """``task(ctx, *args, **kwargs)`` on the job's thread, as `threading.Thread` takes a
    target, its ``args`` and ``kwargs``.

    The task's return value is the result: the job is ``done``, or ``stopped`` when it
    returned after a stop (the result is kept: a partly trained model, the rows so far).
    A task that raises `Stopped` ends ``stopped``; any other exception ends ``failed``
    with its traceback (``stopped``, with the error kept, when it came after a stop).
    """

    def __init__(
        self,
        task: Task,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        name: str = "",
        unit: str = "",
        clock: Clock = time.monotonic,
        keep_events: int = KEEP_EVENTS,
    ) -> None:
        super().__init__(name=name, unit=unit, clock=clock, keep_events=keep_events)
        self._task, self._args, self._kwargs = task, args, dict(kwargs or {})

    @property
    def where(self) -> str:
        return "a thread of this process"

    def _drive(self) -> Ending:
        context = ThreadContext(self, self._stop)
        try:
            value = self._task(context, *self._args, **self._kwargs)
        except Stopped:
            return Ending(STOPPED)
        except BaseException as failure:  # the task's failure is the job's, never the thread's
            state = STOPPED if self.stopping else FAILED
            return Ending(state, error=JobError.from_exception(failure))
        return Ending(STOPPED if self.stopping else DONE, value)
