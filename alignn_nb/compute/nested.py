"""`run_in_child`: a task that runs another task in a child process and relays it.

For work that must own a process of its own wherever it runs: alignn's training changes
the working directory, environment variables and torch's default dtype, which a Dask
worker's other tasks must not see. Give ``run_in_child`` and the real task to a `DaskJob`
(``DaskJob(run_in_child, (task, args))``): on the worker it starts a `SubprocessJob`,
relays the child's progress, messages and events to the outer context, and turns a stop
of the outer job into a stop of the child (SIGINT, then SIGTERM and SIGKILL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alignn_nb.compute.context import JobContext, Stopped, Task
from alignn_nb.compute.job import FAILED, STOPPED, JobEvent
from alignn_nb.compute.progress import Progress
from alignn_nb.compute.subprocess_job import SubprocessJob

POLL_SECONDS = 0.2
"""How often the relay looks at the outer context's stop flag."""


def run_in_child(
    ctx: JobContext,
    task: Task,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> Any:
    """``task(child_ctx, *args, **kwargs)`` in a child process; returns its result.

    ``options`` go to `SubprocessJob` (``interrupt``, ``stop_grace``, ``env``...). The
    child's reports, messages and events reach ``ctx`` in order; a stop of ``ctx`` stops
    the child, and what the child returns after it is returned.

    Raises:
        Stopped: when the child ended stopped without a result.
        Exception: the child task's own exception when it survived the trip, else
            `ChildProcessError` with the job's error line (a child that died).
    """
    job = SubprocessJob(task, args, kwargs, name="child", **dict(options or {}))

    def on_progress(change: dict[str, Any]) -> None:
        progress: Progress = change["new"]
        if progress.done or progress.total is not None:
            ctx.report(progress.done, progress.total, unit=progress.unit, eta=progress.eta)

    def on_message(change: dict[str, Any]) -> None:
        ctx.message(change["new"])

    def on_event(change: dict[str, Any]) -> None:
        event: JobEvent | None = change["new"]
        if event is not None:
            ctx.emit(event.kind, event.data)

    job.observe(on_progress, names="progress")
    job.observe(on_message, names="message")
    job.observe(on_event, names="event")
    job.start()
    while not job.wait(POLL_SECONDS):
        if ctx.stopping and not job.stopping:
            job.stop()
    if job.state == FAILED and job.error is not None:
        if isinstance(job.error.exception, Exception):
            raise job.error.exception
        raise ChildProcessError(str(job.error))
    if job.state == STOPPED and job.result is None:
        raise Stopped()
    return job.result
