"""A sweep (`alignn_nb.tuning.driver.run_study`) as a `ThreadJob`: the Sweep tab and
``alignn-nb sweep`` run the same job.

The job's thread drives the study (ask, submit to the Dask cluster, tell); the trials run
on the cluster. What an observer sees:

- ``progress``: finished trials in the study of the trials asked for (a resumed study
  starts where it was);
- ``event``: one ``trial`` per trial told, its data a `TrialTold` (the record and the
  finished count);
- ``message``: the latest trial told, then how the sweep ended and its best trial;
- ``result``: the records of the trials told by this job (also after a stop);
- ``error``: why the sweep could not run (`ValueError` for a plan the dataset cannot
  give, `OSError` for a scheduler that does not answer);
- ``stop()``: running trials stop at their next step and are recorded FAIL "stopped".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alignn_nb.compute import Cluster, JobContext, ThreadJob
from alignn_nb.datasets import Dataset
from alignn_nb.tuning.driver import run_study
from alignn_nb.tuning.study import TrialRecord, TuningPlan, best, finished_count


@dataclass(frozen=True)
class TrialTold:
    """A trial the study was told about, and the study's finished trials after it."""

    record: TrialRecord
    finished: int


def sweep_task(
    ctx: JobContext,
    study: Any,
    plan: TuningPlan,
    dataset: Dataset,
    trials: int,
    cluster: Cluster | None = None,
    local_directory: str | None = None,
) -> list[TrialRecord]:
    """Run ``study`` until it holds ``trials`` finished trials (see the module)."""
    ctx.report(min(finished_count(study), trials), trials, unit="trials")

    def on_trial(record: TrialRecord, finished: int) -> None:
        ctx.report(min(finished, trials), trials)
        value = "-" if record.value is None else f"{record.value:.6g}"
        ctx.message(f"trial {record.number} {record.state} {value}")
        ctx.emit("trial", TrialTold(record, finished))

    told = run_study(
        study,
        plan,
        dataset,
        trials,
        cluster,
        on_trial=on_trial,
        stop=ctx.stop_event,
        local_directory=local_directory,
    )
    ctx.message(ending_text(study, plan.objective, stopped=ctx.stopping))
    return told


def ending_text(study: Any, objective: str, stopped: bool) -> str:
    """``done: best trial 3 total 0.0123 {...}`` (or ``stopped``, or no trial completed)."""
    top = best(study)
    head = "stopped" if stopped else "done"
    if top is None:
        return f"{head}: no trial completed"
    return f"{head}: best trial {top.number} {objective} {top.value:.6g} {top.params}"


def sweep_job(
    study: Any,
    plan: TuningPlan,
    dataset: Dataset,
    trials: int,
    cluster: Cluster | None = None,
    *,
    local_directory: str | None = None,
    name: str = "sweep",
) -> ThreadJob:
    """The sweep of ``study`` on ``cluster`` (default: a local one) as a job, not started."""
    return ThreadJob(
        sweep_task,
        (study, plan, dataset, trials, cluster, local_directory),
        name=name,
        unit="trials",
    )
