"""``alignn-nb train`` as a `Job`: alignn's own training in a process of its own.

`training_job` makes the job (call ``start()``; `alignn_nb.compute.follow` draws it in a
terminal). Locally it is a `SubprocessJob`; with a Dask ``scheduler`` (or ``client``) a
`DaskJob` whose task gives the training a child process of its own on the worker
(`alignn_nb.compute.run_in_child`), since alignn changes process-wide settings. The
output folder must then be on a filesystem the worker sees at the same path (so must the
data and the config): the worker writes the run there, as it would locally.

What a widget or a script observes, the same wherever it runs:

- ``progress``: whole epochs of ``epochs``; before the first, the ETA of the cost model;
- ``event``: an ``estimate`` (the cost model's seconds of an epoch), then one ``epoch``
  per whole epoch (losses per term for train and val, seconds, elapsed, ETA, ``line``);
- ``message``: the latest epoch line, or what the run is doing;
- ``stop()``: SIGINT to the training process; the run ends within seconds, its last whole
  epoch kept; ``result``: the summary (status, epochs, best epoch, history, notes);
- ``error``: `Refused` (nothing written) or `TrainingFailed` (cause, last epoch written),
  or a lost process (then `recover_run` puts the last whole epoch back).

`attach` follows a run still going in a folder from another process (a notebook opened
while ``alignn-nb train`` runs): its run.json names the process, and a stop sends it
SIGINT when it runs on this host.
"""

from __future__ import annotations

import functools
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alignn_nb.compute import DaskJob, Job, JobContext, SubprocessJob, ThreadJob, run_in_child
from alignn_nb.training.train_folder import RUNNING, RunFolder, alive, host, recover_run
from alignn_nb.training.train_request import TrainingFailed, TrainRequest
from alignn_nb.training.train_task import train_task
from alignn_nb.training.train_watch import epoch_line, named, shown_terms

STOP_GRACE = 60.0
"""Seconds the training has after SIGINT to keep its last epoch before SIGTERM."""
CONNECT_SECONDS = 30.0
"""How long connecting to a Dask scheduler may take."""
FOLLOW_SECONDS = 0.5
"""How often `attach` reads run.json."""
CHILD_ENV = {"DGLBACKEND": "pytorch"}
CHILD_OPTIONS: dict[str, Any] = {"interrupt": True, "stop_grace": STOP_GRACE, "env": CHILD_ENV}
"""How the training's process is run: SIGINT raises KeyboardInterrupt in alignn's loop."""


@contextmanager
def _client(address: str) -> Iterator[Any]:
    from distributed import Client

    with Client(address, timeout=CONNECT_SECONDS) as client:
        yield client


def training_job(
    request: TrainRequest,
    *,
    scheduler: str | None = None,
    client: Any = None,
    name: str = "train",
) -> Job:
    """The job of ``request`` (not started): in a child process, or on the Dask cluster
    at ``scheduler`` (``tcp://HOST:PORT``) or of an open ``client``."""
    if scheduler is None and client is None:
        return SubprocessJob(
            train_task,
            (request,),
            name=name,
            unit="epochs",
            interrupt=True,
            stop_grace=STOP_GRACE,
            env=CHILD_ENV,
        )
    connect = None if client is not None else functools.partial(_client, str(scheduler))
    return DaskJob(
        run_in_child,
        (train_task, (request,), None, CHILD_OPTIONS),
        client=client,
        connect=connect,
        stop_grace=STOP_GRACE + 30.0,
        name=name,
        unit="epochs",
    )


def attach(output: str | os.PathLike[str]) -> Job | None:
    """A job that follows the run going in ``output`` (not started), or None when no run
    is going there."""
    folder = RunFolder.of(output)
    state = folder.read_state()
    if state is None or not alive(state):
        return None
    return ThreadJob(_follow, (folder,), name="train", unit="epochs")


def _epoch_data(state: dict[str, Any], number: int) -> dict[str, Any]:
    train, val = state["train"], state["val"]
    elapsed = time.time() - float(state.get("started", time.time()))
    epochs = int(state["epochs"])
    data = {
        "epoch": number,
        "epochs": epochs,
        "train": named(train[number - 1]),
        "val": named(val[number - 1]),
        "terms": shown_terms([*train, *val]),
        "seconds": None,
        "elapsed": elapsed,
        "eta": elapsed / number * (epochs - number),
        "first": None,
    }
    data["line"] = epoch_line(data)
    return data


def _follow(ctx: JobContext, folder: RunFolder) -> Any:
    seen, signalled = 0, False
    while True:
        state = folder.read_state() or {}
        ended = state.get("status") != RUNNING or not alive(state)
        if ended:  # a run that ended after the read above has written its last state
            state = folder.read_state() or state
        seen = _emit_epochs(ctx, state, seen)
        if ended:
            return _ended(state, folder)
        if ctx.stopping and not signalled:
            signalled = True
            _interrupt(ctx, state)
        if ctx.stopping:
            time.sleep(FOLLOW_SECONDS)
        else:
            ctx.stop_event.wait(FOLLOW_SECONDS)


def _emit_epochs(ctx: JobContext, state: dict[str, Any], seen: int) -> int:
    """Send the epochs of ``state`` after the first ``seen``; returns how many are seen."""
    for number in range(seen + 1, len(state.get("val", [])) + 1):
        data = _epoch_data(state, number)
        ctx.emit("epoch", data)
        ctx.report(number, data["epochs"], unit="epochs", eta=data["eta"])
        ctx.message(data["line"])
        seen = number
    return seen


def _interrupt(ctx: JobContext, state: dict[str, Any]) -> None:
    if state.get("host") != host():
        ctx.message(f"the run trains on {state.get('host')}: stop it there")
        return
    try:
        os.kill(int(state["pid"]), signal.SIGINT)
    except ProcessLookupError:
        pass


def _ended(state: dict[str, Any], folder: RunFolder) -> Any:
    if state.get("status") == RUNNING:
        state = recover_run(folder.output) or state
    if state.get("status") == "failed":
        raise TrainingFailed(str(state.get("error")))
    return state.get("summary")
