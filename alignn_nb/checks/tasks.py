"""One task per (structure, check): what a Dask worker (or this process) runs.

`run_check` is the function `alignn_nb.compute.DaskMapJob` sends to the workers: it makes
the run's calculator (`alignn_nb.checks.calculator`), runs one check and returns its
`CheckResult`, and emits it as a ``"check"`` event so that a view can draw it at once. A
check that cannot run (a structure's problem, a model without forces, an exception inside
alignn or ASE) gives an ``error`` result with a one-line reason; only a stop raises
(`alignn_nb.compute.Stopped`).
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from ase import Atoms

from alignn_nb.checks._steps import Ticker
from alignn_nb.checks.calculator import ModelSpec, make_calculator, no_forces_reason
from alignn_nb.checks.results import CheckResult, error_result
from alignn_nb.checks.settings import CheckSettings
from alignn_nb.compute import JobContext, Stopped

CHECK_EVENT = "check"
"""The event each finished check emits: data ``{"index", "structure", "result"}``."""
PRECISION = {"ev": "float32", "relax": "float32", "md": "float32", "forces": "float64"}
"""The precision each check runs alignn's model in (see `alignn_nb.checks.calculator`)."""


@dataclass(frozen=True, eq=False)
class CheckItem:
    """One task: check ``check`` of structure ``structure`` (its ``atoms``, its ``dft``
    points for the E–V plot, or the ``problem`` that stops it) with the run's model."""

    index: int
    spec: ModelSpec
    structure: str
    atoms: Atoms
    check: str
    settings: CheckSettings
    dft: tuple[tuple[float, float], ...] = ()
    problem: str | None = None


def _calculator(item: CheckItem, cache: MutableMapping[str, Any] | None) -> Any:
    precision = PRECISION[item.check]
    if cache is None:
        return make_calculator(item.spec, precision)
    if precision not in cache:
        cache[precision] = make_calculator(item.spec, precision)
    return cache[precision]


def _run(item: CheckItem, calc: Any, tick: Ticker) -> CheckResult:
    from alignn_nb.checks.ev import ev_check
    from alignn_nb.checks.forces import forces_check
    from alignn_nb.checks.md import md_check
    from alignn_nb.checks.relax import relax_check

    atoms, settings = item.atoms, item.settings
    if item.check == "ev":
        return ev_check(atoms, calc, settings, item.dft, tick)
    if item.check == "relax":
        return relax_check(atoms, calc, settings, item.spec.trained_on_stress, tick)
    if item.check == "md":
        return md_check(atoms, calc, settings, tick)
    return forces_check(atoms, calc, settings, tick)


def run_item(
    ctx: JobContext | None, item: CheckItem, cache: MutableMapping[str, Any] | None = None
) -> CheckResult:
    """One check; ``cache`` (per process) keeps the calculators between checks.

    Raises:
        Stopped: when the job was stopped.
    """
    if item.problem is not None:
        return error_result(item.check, item.problem)
    if item.check != "ev" and not item.spec.has_forces:
        return error_result(item.check, no_forces_reason(item.spec))
    start = time.perf_counter()
    try:
        calc = _calculator(item, cache)
        result = _run(item, calc, Ticker(ctx, f"{item.structure} {item.check}"))
    except Stopped:
        raise
    except Exception as failure:  # a check that alignn or ASE cannot run is reported
        return error_result(item.check, f"{type(failure).__name__}: {failure}")
    return CheckResult(
        result.check, result.verdict, result.reason, result.values, time.perf_counter() - start
    )


def run_check(ctx: JobContext, item: CheckItem) -> CheckResult:
    """A Dask task: `run_item`, whose result is also emitted as a `CHECK_EVENT`."""
    result = run_item(ctx, item)
    ctx.emit(CHECK_EVENT, {"index": item.index, "structure": item.structure, "result": result})
    return result
