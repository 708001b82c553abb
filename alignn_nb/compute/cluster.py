"""Dask clusters for work over a whole dataset: graph scans, sweeps, evaluations.

By default the work gets a local cluster of its own: worker processes with one thread
each and no diagnostics server, closed when the work ends. Given a scheduler address,
an existing cluster (``dask scheduler`` and ``dask worker`` processes, or one started by
dask-jobqueue on SLURM) is used and left running.

`run_all` submits one task per item and reports each task's outcome, in item order, with
the worker that ran it. A task that raises becomes an `Outcome` with its error; a worker
that dies mid-task has its task re-run elsewhere by Dask (up to Dask's
``distributed.scheduler.allowed-failures`` times), after which the task's outcome names
the lost worker. Nothing here raises for a failed task.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alignn_nb.compute.context import StopFlag
from alignn_nb.compute.dask_jobs import Outcome

CONNECT_SECONDS = 30.0
"""How long connecting to an existing scheduler may take before it is refused."""
CANCELLED = "cancelled: the run was stopped"


def default_workers() -> int:
    """The cores this process may run on: the default number of local workers."""
    return len(os.sched_getaffinity(0))


@dataclass(frozen=True)
class Cluster:
    """Where work runs: ``workers`` local processes, or the scheduler at ``scheduler``.

    Raises:
        ValueError: for both at once, a worker count below 1, or an address that is not
            of the form ``tcp://host:port`` (or another Dask protocol).
    """

    workers: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and self.scheduler is not None:
            raise ValueError("give a number of local workers or a scheduler address, not both")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers = {self.workers} refused: a cluster needs at least 1")
        if self.scheduler is not None and "://" not in self.scheduler:
            raise ValueError(
                f"scheduler {self.scheduler!r} refused: an address looks like tcp://HOST:PORT"
            )

    @property
    def local(self) -> bool:
        """True when the work starts (and stops) a cluster of its own."""
        return self.scheduler is None

    def describe(self) -> str:
        """One line for status bars and notes."""
        if self.scheduler is not None:
            return f"the Dask cluster at {self.scheduler}"
        n = self.workers or default_workers()
        return f"a local Dask cluster of {n} worker process{'es' if n != 1 else ''}"


@contextmanager
def connect(cluster: Cluster, local_directory: str | None = None) -> Iterator[Any]:
    """A `distributed.Client` for ``cluster``; a local cluster is closed on exit.

    ``local_directory`` is where a local cluster keeps its scratch files (default: Dask's
    temporary directory).

    Raises:
        OSError: when the scheduler at ``cluster.scheduler`` does not answer in
            `CONNECT_SECONDS`.
    """
    import dask
    from distributed import Client, LocalCluster

    if cluster.scheduler is not None:
        client = Client(cluster.scheduler, timeout=CONNECT_SECONDS)
        try:
            yield client
        finally:
            client.close()
        return
    scratch = {"temporary-directory": local_directory} if local_directory else {}
    with (
        dask.config.set(scratch),
        LocalCluster(
            n_workers=cluster.workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
            local_directory=local_directory,
        ) as local,
        Client(local) as client,
    ):
        yield client


def _run_on_worker(fn: Callable[[Any], Any], item: Any) -> tuple[Any, str]:
    from distributed import get_worker

    return fn(item), str(get_worker().name)


def _outcome(index: int, future: Any) -> Outcome:
    if future.status == "finished":
        value, worker = future.result()
        return Outcome(index, value=value, worker=worker)
    if future.cancelled():
        return Outcome(index, error=CANCELLED)
    failure = future.exception()
    return Outcome(index, error=f"{type(failure).__name__}: {failure}")


def run_all(
    client: Any,
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    on_progress: Callable[[int, int], None] | None = None,
    stop: StopFlag | None = None,
) -> list[Outcome]:
    """``fn(item)`` for every item on the cluster; outcomes in item order.

    ``fn`` must be importable by the workers (a module-level function). ``on_progress``
    is called with (finished, total) after each task. Setting ``stop`` cancels the tasks
    not yet finished; they come back with the error `CANCELLED`.
    """
    from distributed import as_completed

    futures = [client.submit(_run_on_worker, fn, item, pure=False) for item in items]
    position = {future.key: i for i, future in enumerate(futures)}
    outcomes: list[Outcome | None] = [None] * len(futures)
    finished = 0
    pending = as_completed(futures)
    for future in pending:
        outcomes[position[future.key]] = _outcome(position[future.key], future)
        finished += 1
        if on_progress is not None:
            on_progress(finished, len(futures))
        if stop is not None and stop.is_set():
            client.cancel(futures)
            break
    return [o or Outcome(i, error=CANCELLED) for i, o in enumerate(outcomes)]
