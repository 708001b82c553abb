"""Sweeps on a Dask cluster: Optuna chooses the trials, Dask workers train them.

The driver (the CLI or the dashboard's Sweep tab) is the only process that opens the
study's storage. It keeps one trial running per worker thread: it asks Optuna for a
trial, submits the trial's short training (`alignn_nb.tuning.trials.run_trial`) to
Dask, and tells Optuna how it ended.

While a trial trains, its worker publishes each validation score as a Dask structured
event (``Worker.log_event``) on a topic the driver subscribes to; the driver calls
``trial.report`` and ``trial.should_prune`` and, to prune, sets the trial's Dask `Event`,
which the worker checks after every step. The trial's result carries every score too,
so none is lost when events arrive late.

Failures end up in the study, never in a hang:

- a trial that raises is told FAIL with its error, and the sweep goes on;
- a worker that dies mid-trial has its trial re-run elsewhere by Dask (up to
  ``distributed.scheduler.allowed-failures`` times; then FAIL with Dask's KilledWorker);
- with no worker left for `NO_WORKER_SECONDS`, the running trials are failed and the
  sweep ends;
- Stop (or any error of the driver) sets every running trial's event, waits up to
  `STOP_SECONDS` for them, cancels the rest, and records them FAIL "stopped"; a local
  cluster's processes end with it.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alignn_nb.compute import Cluster, StopFlag, connect
from alignn_nb.datasets import Dataset
from alignn_nb.tuning._tell import TrialResult, ask, fail_orphans, finish
from alignn_nb.tuning.study import TrialRecord, TuningPlan, finished_count
from alignn_nb.tuning.trials import TrialOutcome, TrialPlan, split_dataset

POLL_SECONDS = 0.2
"""How often the driver looks at events, results and workers."""
STOP_SECONDS = 30.0
"""How long a Stop waits for running trials to end at their next step before cancelling."""
NO_WORKER_SECONDS = 60.0
"""How long the driver waits with no worker at all before failing the running trials."""
NO_WORKER = "no Dask worker was left to run it"


class _DaskChannel:
    """A trial's line to the driver, on the worker: events out, a Dask `Event` in."""

    def __init__(self, worker: Any, topic: str, number: int, event: str) -> None:
        from distributed import Event

        self.worker, self.topic, self.number = worker, topic, number
        self.event = Event(event)

    def report(self, step: int, value: float) -> None:
        message = {"kind": "report", "number": self.number, "step": step, "value": value}
        self.worker.log_event(self.topic, message)

    def should_stop(self) -> bool:
        return bool(self.event.is_set())


def trial_task(
    plan: TrialPlan, train_set: Dataset, validation: Dataset, topic: str, event: str
) -> tuple[TrialOutcome, str]:
    """What a worker runs: the trial, reporting on ``topic``; returns it and the worker name."""
    from distributed import get_worker

    from alignn_nb.tuning.trials import run_trial

    worker = get_worker()
    name = str(worker.name)
    worker.log_event(topic, {"kind": "start", "number": plan.number, "worker": name})
    channel = _DaskChannel(worker, topic, plan.number, event)
    return run_trial(plan, train_set, validation, channel), name


@dataclass
class _Running:
    """A trial on the cluster: the Optuna trial, its future, its stop event's name."""

    trial: Any
    future: Any
    event: str
    submitted: float
    worker: str | None = None
    last_step: int = 0
    pruned: bool = False


def run_study(
    study: Any,
    plan: TuningPlan,
    dataset: Dataset,
    trials: int,
    cluster: Cluster | None = None,
    *,
    on_trial: Callable[[TrialRecord, int], None] | None = None,
    on_report: Callable[[int, int, float], None] | None = None,
    stop: StopFlag | None = None,
    local_directory: str | None = None,
    no_worker_seconds: float = NO_WORKER_SECONDS,
) -> list[TrialRecord]:
    """Run trials on ``cluster`` until ``study`` holds ``trials`` finished ones.

    Finished means COMPLETE, PRUNED or FAIL, not cut short by a Stop; so running again
    with a larger ``trials`` resumes the study. The dataset is split into training and
    validation with ``plan``'s seed. ``on_trial(record, finished)`` is called as each
    trial is told, ``on_report(number, step, value)`` for each validation score; setting
    ``stop`` ends the sweep. Returns the records of the trials told by this call.

    Raises:
        ValueError: for an objective the base config or the dataset cannot give, or a
            base config that cannot be trained on it (`TuningPlan.problem`).
        OSError: when the cluster's scheduler does not answer.
    """
    cluster = cluster or Cluster()
    problem = plan.problem(dataset, local=cluster.local)
    if problem is not None:
        raise ValueError(problem)
    fail_orphans(study)
    split = split_dataset(dataset, plan.validation_fraction, plan.seed)
    with connect(cluster, local_directory=local_directory) as client:
        driver = _Driver(client, study, plan, split, stop or threading.Event())
        driver.on_trial, driver.on_report = on_trial, on_report
        driver.no_worker_seconds = no_worker_seconds
        return driver.run(trials)


class _Driver:
    """The ask–submit–report–tell loop of one `run_study` call."""

    def __init__(
        self,
        client: Any,
        study: Any,
        plan: TuningPlan,
        split: tuple[Dataset, Dataset],
        stop: StopFlag,
    ) -> None:
        self.client, self.study, self.plan, self.split, self.stop = client, study, plan, split, stop
        self.run_id = uuid.uuid4().hex[:12]
        self.topic = f"alignn-nb-tuning-{self.run_id}"
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.running: dict[int, _Running] = {}
        self.told: list[TrialRecord] = []
        self.finished = 0
        self.on_trial: Callable[[TrialRecord, int], None] | None = None
        self.on_report: Callable[[int, int, float], None] | None = None
        self.no_worker_seconds = NO_WORKER_SECONDS
        self.no_worker_since: float | None = None
        self.abort: str | None = None
        self.signalled: set[str] = set()

    def run(self, target: int) -> list[TrialRecord]:
        self.finished = finished_count(self.study)
        self.client.subscribe_topic(self.topic, lambda event: self.events.put(event[1]))
        try:
            self.data = self.client.scatter(list(self.split), broadcast=True, hash=False)
            while not self.stop.is_set() and self.abort is None:
                self._fill(target)
                if not self.running:
                    break
                self._wait(POLL_SECONDS)
                self._drain()
                self._collect(stopping=False)
                self._watch_workers()
        finally:
            self._wind_down()
            self.client.unsubscribe_topic(self.topic)
        return self.told

    def _slots(self) -> int:
        return sum(self.client.nthreads().values())

    def _fill(self, target: int) -> None:
        slots = max(1, self._slots())
        while self.finished + len(self.running) < target and len(self.running) < slots:
            trial, settings = ask(self.study, self.plan.space, self.plan.base)
            trial_plan = self.plan.trial_plan(trial.number, settings)
            event = f"{self.topic}-{trial.number}"
            future = self.client.submit(
                trial_task,
                trial_plan,
                *self.data,
                self.topic,
                event,
                key=f"alignn-nb-trial-{trial.number}-{self.run_id}",
                pure=False,
            )
            self.running[trial.number] = _Running(trial, future, event, time.monotonic())

    def _wait(self, seconds: float) -> None:
        from distributed import wait

        futures = [r.future for r in self.running.values()]
        try:
            wait(futures, timeout=seconds, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass

    def _drain(self) -> None:
        while True:
            try:
                message = self.events.get_nowait()
            except queue.Empty:
                return
            running = self.running.get(message.get("number"))
            if running is None:
                continue
            if message["kind"] == "start":
                running.worker = message["worker"]
            else:
                self._report(running, int(message["step"]), float(message["value"]))

    def _report(self, running: _Running, step: int, value: float) -> None:
        """Hand a score to Optuna once per step (a re-run trial repeats its steps)."""
        if step <= running.last_step:
            return
        running.last_step = step
        running.trial.report(value, step)
        if self.on_report is not None:
            self.on_report(running.trial.number, step, value)
        if not running.pruned and running.trial.should_prune():
            running.pruned = True
            self._signal(running)

    def _signal(self, running: _Running) -> None:
        from distributed import Event

        Event(running.event, client=self.client).set()
        self.signalled.add(running.event)

    def _collect(self, stopping: bool) -> None:
        for number in [n for n, r in self.running.items() if r.future.done()]:
            running = self.running.pop(number)
            result = self._result(running, stopping)
            told = finish(self.study, running.trial, result)
            self.told.append(told)
            if not told.stopped:
                self.finished += 1
            if self.on_trial is not None:
                self.on_trial(told, self.finished)

    def _result(self, running: _Running, stopping: bool) -> TrialResult:
        seconds = time.monotonic() - running.submitted
        future = running.future
        if future.status == "finished":
            outcome, worker = future.result()
            for step, value in outcome.reports:
                self._report(running, step, value)
            cut = stopping and outcome.stopped and not running.pruned
            return TrialResult(
                value=outcome.value,
                pruned=running.pruned,
                stopped=cut,
                worker=worker,
                seconds=seconds,
                device=outcome.device,
                steps=outcome.steps,
            )
        if future.cancelled():
            return TrialResult(stopped=True, worker=running.worker, seconds=seconds)
        failure = future.exception()
        return TrialResult(
            error=f"{type(failure).__name__}: {failure}", worker=running.worker, seconds=seconds
        )

    def _watch_workers(self) -> None:
        if self._slots():
            self.no_worker_since = None
            return
        now = time.monotonic()
        self.no_worker_since = self.no_worker_since or now
        if now - self.no_worker_since >= self.no_worker_seconds:
            self.abort = NO_WORKER

    def _wind_down(self) -> None:
        """Stop every running trial, record each, and forget their events."""
        from distributed import Event, wait

        for running in self.running.values():
            self._signal(running)
        if self.running and self.abort is None:
            try:
                wait([r.future for r in self.running.values()], timeout=STOP_SECONDS)
            except TimeoutError:
                pass
        self._drain()
        self._collect(stopping=True)
        for running in list(self.running.values()):
            running.future.cancel()
            result = TrialResult(
                error=self.abort,
                stopped=True,
                worker=running.worker,
                seconds=time.monotonic() - running.submitted,
            )
            self.told.append(finish(self.study, running.trial, result))
            if self.on_trial is not None:
                self.on_trial(self.told[-1], self.finished)
        self.running.clear()
        for name in self.signalled:
            Event(name, client=self.client).clear()
