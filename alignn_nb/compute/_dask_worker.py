"""The worker side of a Dask job: the task's context, and the wrapper a worker runs.

A task's reports, messages and events go to the driver as Dask structured events
(``Worker.log_event``) on the job's topic, each a pickled frame tagged with the task's
index. The stop request is a Dask `Event` named for the job, read at most every
`POLL_SECONDS` (each read asks the scheduler).
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alignn_nb.compute.context import JobContext, Stopped

POLL_SECONDS = 0.2
"""How often a task's `JobContext.stopping` asks the scheduler whether the job was stopped."""
TASK = "task"
"""``fn(ctx, *args, **kwargs)``: a job of one task."""
ITEM = "item"
"""``fn(item)``: one task of a map, without a context."""
ITEM_CONTEXT = "item-context"
"""``fn(ctx, item)``: one task of a map, with a context."""


@dataclass(frozen=True)
class TaskSpec:
    """What every task of one job shares: the function, how to call it, where to report."""

    fn: Callable[..., Any]
    call: str
    topic: str
    stop_name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def run(self, context: JobContext, item: Any) -> Any:
        if self.call == TASK:
            return self.fn(context, *self.args, **self.kwargs)
        if self.call == ITEM_CONTEXT:
            return self.fn(context, item)
        return self.fn(item)


@dataclass(frozen=True)
class Returned:
    """What the wrapper hands back: the value, the worker's name, how many frames the task
    sent (so the driver can wait for late ones), and whether it raised `Stopped`."""

    value: Any
    worker: str
    sent: int
    stopped: bool = False


class DaskStopFlag:
    """The job's Dask `Event`, read at most every `POLL_SECONDS`; once set it stays set."""

    def __init__(self, name: str, poll: float = POLL_SECONDS) -> None:
        self._name, self._poll = name, poll
        self._seen = False
        self._checked = -float("inf")
        self._event: Any = None

    def _dask_event(self) -> Any:
        if self._event is None:
            from distributed import Event

            self._event = Event(self._name)
        return self._event

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._seen and now - self._checked >= self._poll:
            self._checked = now
            self._seen = bool(self._dask_event().is_set())
        return self._seen

    def wait(self, timeout: float | None = None) -> bool:
        if not self._seen:
            self._seen = bool(self._dask_event().wait(timeout))
        return self._seen


class WorkerContext(JobContext):
    """A Dask task's context: frames out as structured events, the stop flag in."""

    def __init__(self, worker: Any, spec: TaskSpec, index: int) -> None:
        self._worker, self._topic, self._index = worker, spec.topic, index
        self._stop = DaskStopFlag(spec.stop_name)
        self.sent = 0

    def _send(self, message: tuple[Any, ...]) -> None:
        frame = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._worker.log_event(self._topic, {"index": self._index, "frame": frame})
        self.sent += 1

    def report(
        self,
        done: int,
        total: int | None = None,
        *,
        unit: str | None = None,
        eta: float | None = None,
    ) -> None:
        self._send(("report", done, total, unit, eta))

    def message(self, text: str) -> None:
        self._send(("message", str(text)))

    def emit(self, kind: str, data: Any = None) -> None:
        self._send(("event", kind, data))

    @property
    def stop_event(self) -> DaskStopFlag:
        return self._stop


def run_on_worker(item: Any, index: int, spec: TaskSpec) -> Returned:
    """What a worker runs for task ``index``: the task, with its context."""
    from distributed import get_worker

    worker = get_worker()
    context = WorkerContext(worker, spec, index)
    try:
        value = spec.run(context, item)
    except Stopped:
        return Returned(None, str(worker.name), context.sent, stopped=True)
    return Returned(value, str(worker.name), context.sent)
