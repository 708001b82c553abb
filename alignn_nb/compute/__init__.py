"""Jobs: every long task (a dataset scan, a sweep, an evaluation, a training, the physics
checks) as one observable `Job` with state, progress, message, result and error, `stop`
and `wait`, the same whether it runs on a thread (`ThreadJob`), in a child process
(`SubprocessJob`) or on a Dask cluster (`DaskJob`, `DaskMapJob`; `run_in_child` gives a
Dask task a process of its own). A task is ``task(ctx, ...)`` with a `JobContext`;
`follow` draws a job in a terminal.

This package sits under every other one and imports none of them; importing it loads
neither torch nor Dask.
"""

from __future__ import annotations

from alignn_nb.lazy import lazy_names

_LAZY = {
    "Job": "alignn_nb.compute.job",
    "JobError": "alignn_nb.compute.job",
    "JobEvent": "alignn_nb.compute.job",
    "STATES": "alignn_nb.compute.job",
    "Progress": "alignn_nb.compute.progress",
    "ProgressMeter": "alignn_nb.compute.progress",
    "JobContext": "alignn_nb.compute.context",
    "StopFlag": "alignn_nb.compute.context",
    "Stopped": "alignn_nb.compute.context",
    "ThreadJob": "alignn_nb.compute.thread_job",
    "SubprocessJob": "alignn_nb.compute.subprocess_job",
    "run_module": "alignn_nb.compute.subprocess_job",
    "run_in_child": "alignn_nb.compute.nested",
    "DaskJob": "alignn_nb.compute.dask_jobs",
    "Outcome": "alignn_nb.compute.dask_jobs",
    "DaskMapJob": "alignn_nb.compute.dask_map",
    "TerminalBar": "alignn_nb.compute.terminal",
    "follow": "alignn_nb.compute.terminal",
}
"""Public names and the module each lives in, imported on first use."""

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
