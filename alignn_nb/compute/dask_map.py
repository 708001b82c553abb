"""`DaskMapJob`: one Dask task per item (a dataset's chunks, a run's physics checks).

The job's progress counts finished tasks, each weighted (a chunk by its structures), and
its result lists every task's `Outcome` in item order. A task that raises is an outcome
with its error: the job still ends ``done`` (or ``stopped``), and says how many failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from alignn_nb.compute._dask_worker import ITEM, ITEM_CONTEXT, TaskSpec
from alignn_nb.compute.dask_jobs import (
    CANCELLED,
    STOP_GRACE,
    Connect,
    Outcome,
    _apply,
    _DaskDriven,
    _Tracked,
)
from alignn_nb.compute.job import DONE, KEEP_EVENTS, STOPPED, Ending
from alignn_nb.compute.progress import Clock

TASK_PROGRESS = "task-progress"
"""The event kind a map task's own `JobContext.report` arrives as: its data is
``{"index": i, "done": done, "total": total}``."""


class DaskMapJob(_DaskDriven):
    """``fn(item)`` for every item on the cluster (``fn(ctx, item)`` with ``context``).

    ``weights`` (one non-negative int per item, default 1) are what each finished task
    adds to the progress, in ``unit``. With ``context``, a task can poll
    `JobContext.stopping` to end early at a stop and return what it has; its messages and
    events reach the job as they are, and its reports arrive as `TASK_PROGRESS` events
    (the job's progress is the finished tasks').

    Raises:
        ValueError: for weights that do not match the items or are negative.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        items: Sequence[Any],
        *,
        weights: Sequence[int] | None = None,
        context: bool = False,
        client: Any = None,
        connect: Connect | None = None,
        stop_grace: float = STOP_GRACE,
        name: str = "",
        unit: str = "tasks",
        clock: Clock = time.monotonic,
        keep_events: int = KEEP_EVENTS,
    ) -> None:
        self._items = list(items)
        self._weights = _checked_weights(weights, len(self._items))
        super().__init__(
            client=client,
            connect=connect,
            stop_grace=stop_grace,
            name=name,
            unit=unit,
            clock=clock,
            keep_events=keep_events,
        )
        self._fn, self._call = fn, ITEM_CONTEXT if context else ITEM
        self._done_weight = 0
        self.set_trait("progress", self._meter.expect(sum(self._weights)))

    def _specs(self, topic: str, stop_name: str) -> tuple[TaskSpec, Sequence[Any]]:
        return TaskSpec(self._fn, self._call, topic, stop_name), self._items

    def _on_frame(self, index: int, message: tuple[Any, ...]) -> None:
        if message[0] == "report":
            self._emit(TASK_PROGRESS, {"index": index, "done": message[1], "total": message[2]})
        else:
            _apply(self, message)

    def _on_finished(self, index: int) -> None:
        tracked = self._tracked[index]
        if tracked.returned is None and tracked.failure is None:
            return
        self._done_weight += self._weights[index]
        self._report(self._done_weight)

    def _ending(self) -> Ending:
        outcomes = [_outcome(i, t) for i, t in enumerate(self._tracked)]
        self._say(_summary(outcomes))
        return Ending(STOPPED if self.stopping else DONE, outcomes)


def _checked_weights(weights: Sequence[int] | None, count: int) -> list[int]:
    if weights is None:
        return [1] * count
    checked = [int(w) for w in weights]
    if len(checked) != count:
        raise ValueError(f"{len(checked)} weights for {count} items: give one weight per item")
    if any(w < 0 for w in checked):
        raise ValueError(f"weights {min(checked)} refused: a weight must be 0 or more")
    return checked


def _outcome(index: int, tracked: _Tracked) -> Outcome:
    if tracked.failure is not None:
        failure = tracked.failure
        return Outcome(index, error=str(failure), traceback=failure.traceback)
    returned = tracked.returned
    if returned is None or returned.stopped:
        return Outcome(index, error=CANCELLED, worker=None if returned is None else returned.worker)
    return Outcome(index, value=returned.value, worker=returned.worker)


def _summary(outcomes: Sequence[Outcome]) -> str:
    failed = sum(1 for o in outcomes if not o.ok and o.error != CANCELLED)
    cancelled = sum(1 for o in outcomes if o.error == CANCELLED)
    text = f"{len(outcomes) - failed - cancelled} of {len(outcomes)} tasks gave a result"
    if failed:
        text += f", {failed} failed"
    if cancelled:
        text += f", {cancelled} cancelled"
    return text
