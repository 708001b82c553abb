"""Where long work runs: jobs, threads and Dask clusters, under every other package.

Jobs: every long task (a dataset scan, a sweep, an evaluation, a training, the physics
checks) as one observable `Job` with state, progress, message, result and error, `stop`
and `wait`, the same whether it runs on a thread (`ThreadJob`), in a child process
(`SubprocessJob`) or on a Dask cluster (`DaskJob`, `DaskMapJob`; `run_in_child` gives a
Dask task a process of its own). A task is ``task(ctx, ...)`` with a `JobContext`;
`follow` draws a job in a terminal.

Threads and clusters: `start_worker` (a thread joined at exit), `LatestRunner` (one
thread for the newest request only), `Debounced` (one call after the last of a burst of
requests: a view's delayed re-send), and `Cluster`, `connect` and `run_all` (a local
Dask cluster or an existing one).

This package imports nothing of alignn_nb but `alignn_nb.lazy`; importing it loads
neither torch nor Dask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.compute.cluster import Cluster, connect, run_all
    from alignn_nb.compute.context import JobContext, StopFlag, Stopped
    from alignn_nb.compute.dask_jobs import CANCELLED, Connect, DaskJob, Outcome
    from alignn_nb.compute.dask_map import DaskMapJob
    from alignn_nb.compute.job import FINISHED, STATES, Job, JobError, JobEvent
    from alignn_nb.compute.latest import SETTLE_SECONDS, Debounced, LatestRunner
    from alignn_nb.compute.nested import run_in_child
    from alignn_nb.compute.progress import Progress, ProgressMeter
    from alignn_nb.compute.subprocess_job import SubprocessJob, run_module
    from alignn_nb.compute.terminal import (
        WAIT_SLICE,
        TerminalBar,
        follow,
        format_duration,
        format_progress,
    )
    from alignn_nb.compute.thread_job import ThreadJob
    from alignn_nb.compute.workers import start_worker

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
