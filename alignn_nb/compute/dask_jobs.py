"""Jobs on a Dask cluster: `DaskJob` (one task) and `DaskMapJob` (one task per item).

Give either ``client``, an open `distributed.Client` that is left open, or ``connect``, a
function returning a context manager that yields a client (such as
``functools.partial(alignn_nb.compute.cluster.connect, cluster)``): it is entered on the
job's driver thread, so starting a local cluster is part of the job, and closed when the
job ends. Functions must be importable by the workers.

The driver (this process, the job's thread) submits the tasks and waits for them; task
reports, messages and events come back as Dask structured events on the job's own topic.
A stop sets the job's Dask `Event` (what `JobContext.stopping` reads on the workers),
cancels the tasks no worker has taken yet, gives the tasks already on workers
``stop_grace`` seconds to finish, then cancels them too. Dask cannot interrupt a running
task: a cancelled one that never polls runs on until it returns, and its result is
dropped. A stopped job's `Event` stays set on the scheduler (a few bytes), so a cancelled
task that polls late still sees the stop; a job that was not stopped removes it.
"""

from __future__ import annotations

import pickle
import queue
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from alignn_nb.compute._dask_worker import (
    TASK,
    Returned,
    TaskSpec,
    run_on_worker,
)
from alignn_nb.compute.context import Task
from alignn_nb.compute.job import DONE, FAILED, KEEP_EVENTS, STOPPED, Ending, Job, JobError
from alignn_nb.compute.progress import Clock

STOP_GRACE = 10.0
"""Seconds the tasks already on workers have, after a stop, before they are cancelled."""
RELAY_SECONDS = 5.0
"""How long the driver waits, once tasks are done, for their last events to arrive."""
CANCELLED = "cancelled: the job was stopped"

Connect = Callable[[], AbstractContextManager[Any]]
"""A function returning a context manager that yields a `distributed.Client`."""


@dataclass(frozen=True)
class Outcome:
    """What one task of a `DaskMapJob` gave: its ``value``, or its ``error`` (a line) and
    ``traceback`` (text); and the name of the worker that ran it."""

    index: int
    value: Any = None
    error: str | None = None
    worker: str | None = None
    traceback: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Tracked:
    """The driver's view of one task: its future, what it gave, the frames relayed."""

    future: Any
    finished: bool = False
    returned: Returned | None = None
    failure: JobError | None = None
    relayed: int = 0


class _DaskDriven(Job):
    """The driver loop both Dask jobs share; subclasses say what a task's frames and end
    mean for the job."""

    def __init__(
        self,
        *,
        client: Any,
        connect: Connect | None,
        stop_grace: float,
        name: str,
        unit: str,
        clock: Clock,
        keep_events: int,
    ) -> None:
        if (client is None) == (connect is None):
            raise ValueError("give a Dask client or a connect function, not both or neither")
        super().__init__(name=name, unit=unit, clock=clock, keep_events=keep_events)
        self._client, self._connect, self._stop_grace = client, connect, stop_grace
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._address: str | None = None
        self._tracked: list[_Tracked] = []

    @property
    def where(self) -> str:
        return f"the Dask cluster at {self._address}" if self._address else "a Dask cluster"

    def _wake(self) -> None:
        self._inbox.put(("stop", None))

    def _specs(self, topic: str, stop_name: str) -> tuple[TaskSpec, Sequence[Any]]:
        raise NotImplementedError

    def _on_frame(self, index: int, message: tuple[Any, ...]) -> None:
        raise NotImplementedError

    def _on_finished(self, index: int) -> None:
        """Task ``index`` has finished, failed or been cancelled."""

    def _ending(self) -> Ending:
        raise NotImplementedError

    @contextmanager
    def _opened(self) -> Iterator[Any]:
        if self._client is not None:
            yield self._client
            return
        assert self._connect is not None
        with self._connect() as client:
            yield client

    def _drive(self) -> Ending:
        with self._opened() as client:
            self._address = str(client.scheduler.address)
            self._run_tasks(client)
        return self._ending()

    def _run_tasks(self, client: Any) -> None:
        from distributed import Event

        run = uuid.uuid4().hex[:12]
        topic, stop_name = f"alignn-nb-job-{run}", f"alignn-nb-job-stop-{run}"
        client.subscribe_topic(topic, lambda event: self._inbox.put(("frame", event[1])))
        try:
            self._submit(client, run, *self._specs(topic, stop_name))
            self._wait(client, stop_name)
            self._wait_for_relays()
        except BaseException:  # the driver itself failed (an observer raised): end the tasks
            client.cancel([t.future for t in self._tracked])
            raise
        finally:
            client.unsubscribe_topic(topic)
            if not self.stopping:
                Event(stop_name, client=client).clear()

    def _submit(self, client: Any, run: str, spec: TaskSpec, items: Sequence[Any]) -> None:
        keys = [f"{self.name or 'alignn-nb-job'}-{run}-{i}" for i in range(len(items))]
        futures = client.map(
            run_on_worker, items, range(len(items)), spec=spec, key=keys, pure=False
        )
        self._tracked = [_Tracked(future) for future in futures]
        for index, future in enumerate(futures):
            future.add_done_callback(lambda _, i=index: self._inbox.put(("done", i)))

    def _wait(self, client: Any, stop_name: str) -> None:
        """Handle frames and finished tasks until every task has ended."""
        deadline: float | None = None
        pending = set(range(len(self._tracked)))
        if self.stopping:
            deadline = self._stop_tasks(client, stop_name, pending)
        while pending:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                kind, payload = self._inbox.get(timeout=timeout)
            except queue.Empty:
                self._cancel(client, pending)
                return
            if kind == "frame":
                self._relay(payload)
            elif kind == "done":
                self._finished_task(payload, pending)
            elif deadline is None:
                deadline = self._stop_tasks(client, stop_name, pending)

    def _stop_tasks(self, client: Any, stop_name: str, pending: set[int]) -> float:
        """Set the stop event, cancel the tasks no worker runs or has finished (a task that
        saw the stop and returned keeps its result); returns the deadline of the others."""
        from distributed import Event

        Event(stop_name, client=client).set()
        held = {key for keys in client.processing().values() for key in keys}
        futures = [self._tracked[i].future for i in pending]
        held.update(key for key, where in client.who_has(futures).items() if where)
        waiting = [
            i
            for i in pending
            if self._tracked[i].future.key not in held and not self._tracked[i].future.done()
        ]
        self._cancel(client, waiting)
        pending.difference_update(waiting)
        return time.monotonic() + self._stop_grace

    def _cancel(self, client: Any, indices: Sequence[int] | set[int]) -> None:
        futures = [self._tracked[i].future for i in indices]
        if futures:
            client.cancel(futures)
        for i in list(indices):
            self._tracked[i].finished = True
            self._on_finished(i)

    def _finished_task(self, index: int, pending: set[int]) -> None:
        if index not in pending:
            return
        pending.discard(index)
        tracked = self._tracked[index]
        tracked.finished = True
        future = tracked.future
        if future.status == "finished":
            tracked.returned = future.result()
        elif future.status == "error":
            tracked.failure = _task_error(future)
        elif not self.stopping:
            lost = f"the task ended {future.status} before it finished, without a stop"
            tracked.failure = JobError("CancelledError", lost)
        self._on_finished(index)

    def _relay(self, message: Mapping[str, Any]) -> None:
        index = int(message["index"])
        if index >= len(self._tracked):
            return
        self._tracked[index].relayed += 1
        self._on_frame(index, pickle.loads(message["frame"]))

    def _wait_for_relays(self) -> None:
        """Take the frames still on their way from tasks that have returned."""
        deadline = time.monotonic() + RELAY_SECONDS
        while any(t.returned is not None and t.relayed < t.returned.sent for t in self._tracked):
            try:
                kind, payload = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if kind == "frame":
                self._relay(payload)


def _task_error(future: Any) -> JobError:
    failure = future.exception()
    lines = traceback.format_exception(type(failure), failure, future.traceback())
    return JobError(type(failure).__name__, str(failure), "".join(lines), failure)


class DaskJob(_DaskDriven):
    """``task(ctx, *args, **kwargs)`` as one task on a Dask worker.

    The task's reports are the job's progress; its return value the result (``done``, or
    ``stopped`` when it returned after a stop); an exception (or a worker lost too often,
    Dask's ``KilledWorker``) ends the job ``failed``.
    """

    def __init__(
        self,
        task: Task,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        client: Any = None,
        connect: Connect | None = None,
        stop_grace: float = STOP_GRACE,
        name: str = "",
        unit: str = "",
        clock: Clock = time.monotonic,
        keep_events: int = KEEP_EVENTS,
    ) -> None:
        super().__init__(
            client=client,
            connect=connect,
            stop_grace=stop_grace,
            name=name,
            unit=unit,
            clock=clock,
            keep_events=keep_events,
        )
        self._task, self._args, self._kwargs = task, tuple(args), dict(kwargs or {})

    def _specs(self, topic: str, stop_name: str) -> tuple[TaskSpec, Sequence[Any]]:
        spec = TaskSpec(self._task, TASK, topic, stop_name, self._args, self._kwargs)
        return spec, [None]

    def _on_frame(self, index: int, message: tuple[Any, ...]) -> None:
        _apply(self, message)

    def _ending(self) -> Ending:
        tracked = self._tracked[0]
        if tracked.failure is not None:
            return Ending(STOPPED if self.stopping else FAILED, error=tracked.failure)
        returned = tracked.returned
        if returned is None or returned.stopped:
            return Ending(STOPPED)
        return Ending(STOPPED if self.stopping else DONE, returned.value)


def _apply(job: Job, message: tuple[Any, ...]) -> None:
    """A task's frame, as the job's progress, message or event."""
    kind = message[0]
    if kind == "report":
        job._report(*message[1:])
    elif kind == "message":
        job._say(message[1])
    elif kind == "event":
        job._emit(message[1], message[2])
