"""The physics checks of a trained run, as one `alignn_nb.compute.Job` and as one call.

`plan_checks` loads the run and picks the structures (here, refusing a run folder that
cannot be loaded); `check_job` makes the job; `check_run` runs it and returns the
`CheckReport`. The job is a `ThreadJob` whose result is the report: with a Dask ``client``
or ``connect`` function (``functools.partial(alignn_nb.compute.connect, cluster)``,
a local cluster or an existing scheduler) it runs one `DaskMapJob` task per (structure,
check) and relays its progress, messages and events; without, it runs the checks one
after another in this process, sharing one calculator per precision. Either way its
progress counts finished checks, each finished check is a ``"check"`` event
(`alignn_nb.checks.tasks.CHECK_EVENT`), and a stop ends it ``stopped`` with the report of
the checks done so far.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alignn_nb.checks.calculator import ModelSpec, model_spec, notes
from alignn_nb.checks.plan import PlannedStructure, plan_structures
from alignn_nb.checks.results import CheckReport, CheckResult, StructureChecks, error_result
from alignn_nb.checks.settings import CheckSettings
from alignn_nb.checks.tasks import CHECK_EVENT, CheckItem, run_check, run_item
from alignn_nb.compute import CANCELLED, Connect, JobContext, Stopped, ThreadJob

POLL_SECONDS = 0.2
"""How often the driver looks for a stop while a Dask map runs."""


@dataclass(frozen=True, eq=False)
class CheckPlan:
    """A run's model, the structures and the settings: everything the job needs."""

    spec: ModelSpec
    weights: str
    settings: CheckSettings
    structures: tuple[PlannedStructure, ...]
    notes: tuple[str, ...] = ()

    def items(self) -> list[CheckItem]:
        """One task per structure and check, structure by structure."""
        return [
            CheckItem(i, self.spec, s.id, s.atoms, c, self.settings, s.dft, s.problem)
            for i, (s, c) in enumerate(
                (s, c) for s in self.structures for c in self.settings.checks
            )
        ]


def plan_checks(
    run_folder: str | os.PathLike,
    structures: Sequence[str | os.PathLike] = (),
    *,
    weights: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    settings: CheckSettings | None = None,
) -> CheckPlan:
    """Load the run and pick the structures (see `alignn_nb.checks.plan`).

    Without ``data``, the example run takes its own data; any other run then needs
    ``structures``.

    Raises:
        FileNotFoundError, ValueError: a run folder, weights file or data file that cannot
            be used (one line, from `alignn_nb.training.load_run` and ``run_dataset``), or
            nothing to check.
    """
    from alignn_nb.evaluation import load_run, run_dataset
    from alignn_nb.training import example_run_data, example_run_path

    run = load_run(run_folder, weights)
    if data is None and run.folder is not None and run.folder.resolve() == example_run_path():
        data = example_run_data()
    dataset = None if data is None else run_dataset(run, data)
    planned = plan_structures(run, dataset, structures)
    if not planned:
        raise ValueError(
            "nothing to check: give --data (the structures the run was trained on; alignn "
            f"records no data folder in {run_folder}) or --structure"
        )
    spec = model_spec(run)
    return CheckPlan(
        spec,
        run.weights.name if run.weights else "in memory",
        settings or CheckSettings(),
        tuple(planned),
        tuple(notes(spec)),
    )


def assemble(
    plan: CheckPlan,
    results: Sequence[CheckResult | None],
    seconds: float = 0.0,
    stopped: bool = False,
) -> CheckReport:
    """The report of ``plan`` from one result per item (None: not run, after a stop)."""
    items = plan.items()
    rows = []
    for structure in plan.structures:
        found = {
            item.check: result
            for item, result in zip(items, results, strict=True)
            if item.structure == structure.id and result is not None
        }
        rows.append(
            StructureChecks(
                structure.id, structure.formula, len(structure.atoms), found, structure.source
            )
        )
    return CheckReport(
        plan.spec.name, plan.weights, plan.settings, tuple(rows), plan.notes, seconds, stopped
    )


def _in_process(ctx: JobContext, items: list[CheckItem]) -> list[CheckResult | None]:
    results: list[CheckResult | None] = [None] * len(items)
    cache: dict[str, Any] = {}
    for item in items:
        if ctx.stopping:
            break
        try:
            result = run_item(ctx, item, cache)
        except Stopped:
            break
        results[item.index] = result
        ctx.emit(CHECK_EVENT, {"index": item.index, "structure": item.structure, "result": result})
        ctx.report(item.index + 1, len(items), unit="checks")
    return results


def _on_dask(
    ctx: JobContext, items: list[CheckItem], client: Any, connect: Connect | None
) -> list[CheckResult | None]:
    from alignn_nb.compute import DaskMapJob

    inner = DaskMapJob(
        run_check,
        items,
        context=True,
        client=client,
        connect=connect,
        name="alignn-nb-check",
        unit="checks",
    )

    def relay(change: dict[str, Any]) -> None:
        new = change["new"]
        if change["name"] == "progress":
            ctx.report(new.done, new.total)
        elif change["name"] == "message":
            ctx.message(new)
        elif new is not None:
            ctx.emit(new.kind, new.data)

    inner.observe(relay, names=["progress", "message", "event"])
    inner.start()
    while not inner.wait(POLL_SECONDS):
        if ctx.stopping:
            inner.stop()
    if inner.error is not None:
        raise RuntimeError(f"the Dask checks failed: {inner.error}")
    results: list[CheckResult | None] = []
    for item, outcome in zip(items, inner.result or [], strict=True):
        if outcome.ok:
            results.append(outcome.value)
        elif outcome.error == CANCELLED:
            results.append(None)
        else:
            results.append(error_result(item.check, f"the task failed: {outcome.error}"))
    return results


def _drive(ctx: JobContext, plan: CheckPlan, client: Any, connect: Connect | None) -> CheckReport:
    start = time.perf_counter()
    items = plan.items()
    ctx.report(0, len(items), unit="checks")
    if client is None and connect is None:
        results = _in_process(ctx, items)
    else:
        results = _on_dask(ctx, items, client, connect)
    return assemble(plan, results, time.perf_counter() - start, ctx.stopping)


def check_job(
    plan: CheckPlan, *, client: Any = None, connect: Connect | None = None, name: str = "check"
) -> ThreadJob:
    """The job (not started) that runs ``plan``; its result is the `CheckReport`."""
    return ThreadJob(_drive, (plan, client, connect), name=name, unit="checks")


def _plan_and_drive(
    ctx: JobContext,
    request: dict[str, Any],
    client: Any,
    connect: Connect | None,
) -> CheckReport:
    ctx.message(f"loading {request['run_folder']}")
    plan = plan_checks(**request)
    return _drive(ctx, plan, client, connect)


def planned_check_job(
    run_folder: str | os.PathLike,
    structures: Sequence[str | os.PathLike] = (),
    *,
    weights: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    settings: CheckSettings | None = None,
    client: Any = None,
    connect: Connect | None = None,
    name: str = "check",
) -> ThreadJob:
    """A job (not started) that plans the checks on its own thread, then runs them as
    `check_job` does: a run folder or data that cannot be loaded fails the job with
    `plan_checks`'s one-line message as its error."""
    request = {
        "run_folder": run_folder,
        "structures": tuple(structures),
        "weights": weights,
        "data": data,
        "settings": settings,
    }
    return ThreadJob(_plan_and_drive, (request, client, connect), name=name, unit="checks")


def check_run(
    run_folder: str | os.PathLike,
    structures: Sequence[str | os.PathLike] = (),
    *,
    checks: Sequence[str] | None = None,
    md_steps: int | None = None,
    weights: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    settings: CheckSettings | None = None,
    client: Any = None,
    connect: Connect | None = None,
) -> CheckReport:
    """``alignn-nb check`` as a call: plan, run (in this process without ``client`` or
    ``connect``), wait, and return the report. ``checks`` and ``md_steps`` override
    ``settings``.

    Raises:
        FileNotFoundError, ValueError: as `plan_checks`, or for settings out of range.
        RuntimeError: when the job failed (a Dask cluster that could not be reached).
    """
    chosen = settings or CheckSettings()
    changes: dict[str, Any] = {}
    if checks is not None:
        changes["checks"] = tuple(checks)
    if md_steps is not None:
        changes["md_steps"] = md_steps
    chosen = dataclasses.replace(chosen, **changes)
    plan = plan_checks(run_folder, structures, weights=weights, data=data, settings=chosen)
    job = check_job(plan, client=client, connect=connect).start()
    job.wait()
    if job.error is not None:
        raise RuntimeError(str(job.error))
    assert isinstance(job.result, CheckReport)
    return job.result
