"""Opening a trained run as a `Job`: load the folder and its data, evaluate a split, and
compare with a second run. The Explore tab and ``alignn-nb evaluate`` run the same task.

`evaluation_job` makes a `ThreadJob` (not started) of an `EvaluationRequest`. What an
observer sees:

- ``progress``: structures evaluated of the split (a comparison evaluates the split again
  with the second run, from 0);
- ``message``: what the task is doing (loading, evaluating which run on which split);
- ``result``: an `EvaluatedRun` (the run, its evaluation, the comparison or None);
- ``error``: why the request was refused: a folder, weights or data file that cannot be
  used (`ValueError`, `OSError`), or a scheduler that does not answer;
- ``stop()``: the evaluation ends after its current chunk of structures.
"""

from __future__ import annotations

from dataclasses import dataclass

from alignn_nb.compute import Cluster, JobContext, ThreadJob
from alignn_nb.evaluation.comparison import RunComparison, compare_runs
from alignn_nb.evaluation.evaluation import Evaluation, evaluate
from alignn_nb.evaluation.run_folder import RunFolder, load_run, run_dataset


@dataclass(frozen=True)
class EvaluationRequest:
    """Which run to evaluate on what.

    ``folder`` is alignn's output folder and ``weights`` its weights file (a path or a
    name in the folder; empty: best_model.pt); ``data`` the structures (id_prop.json, its
    folder or an extxyz file), read with the ``energy`` and ``stress`` conventions of
    `run_dataset`; ``split`` train, val, test or all (empty: test, or all when the run
    recorded no split); ``compare`` a second run folder (empty: none). The structures are
    evaluated on a local Dask cluster of ``workers`` processes, on the one at
    ``scheduler`` (``tcp://HOST:PORT``), or with neither in this process. ``data_label``
    names the data where it is missing (``--data`` on the command line).
    """

    folder: str
    data: str = ""
    weights: str = ""
    split: str = ""
    compare: str = ""
    energy: str | None = None
    stress: str = "alignn"
    workers: int | None = None
    scheduler: str = ""
    data_label: str = "the structures"

    def cluster(self) -> Cluster | None:
        """Where the structures are evaluated: a Dask cluster, or None for this process.

        Raises:
            ValueError: for a scheduler address Dask cannot use, or a worker count below 1.
        """
        scheduler = self.scheduler.strip() or None
        if self.workers is None and scheduler is None:
            return None
        return Cluster(workers=self.workers, scheduler=scheduler)


@dataclass(frozen=True)
class EvaluatedRun:
    """An opened run: the run, its evaluation, and its comparison with a second run (or
    None without one)."""

    run: RunFolder
    evaluation: Evaluation
    comparison: RunComparison | None = None


def evaluation_task(ctx: JobContext, request: EvaluationRequest) -> EvaluatedRun:
    """Load ``request``'s run and data, evaluate the split, compare (see the module).

    Raises:
        ValueError: for a missing folder or data, and what `load_run`, `run_dataset` and
            `evaluate` refuse.
        OSError: for files that cannot be read, or a scheduler that does not answer.
    """
    cluster = request.cluster()
    folder = request.folder
    if not folder:
        raise ValueError("give the run folder: alignn's output_dir")
    ctx.message(f"loading {folder}")
    run = load_run(folder, request.weights or None)
    if not request.data:
        raise ValueError(
            f"give {request.data_label}: alignn records no data folder in {folder} "
            "(train_for_folder's root_dir is only printed)"
        )
    dataset = run_dataset(run, request.data, energy=request.energy, stress=request.stress)
    split = request.split or ("test" if run.ids is not None else "all")

    def evaluated(one: RunFolder) -> Evaluation:
        ctx.message(f"evaluating {one.name} on {split}")
        return evaluate(
            one,
            dataset,
            split,
            on_progress=lambda done, total: ctx.report(done, total, unit="structures"),
            stop=ctx.stop_event,
            cluster=cluster,
        )

    evaluation = evaluated(run)
    if not request.compare:
        ctx.message(f"opened {folder}: {evaluation!r}")
        return EvaluatedRun(run, evaluation)
    other = load_run(request.compare)
    comparison = compare_runs((run, evaluation), (other, evaluated(other)))
    ctx.message(f"opened {folder}: {evaluation!r}")
    return EvaluatedRun(run, evaluation, comparison)


def evaluation_job(request: EvaluationRequest, *, name: str = "evaluate") -> ThreadJob:
    """The job of ``request`` on a thread of this process (the structures themselves on a
    Dask cluster when the request names one), not started."""
    return ThreadJob(evaluation_task, (request,), name=name, unit="structures")
