"""The relaxation check: ASE's FIRE with the model's forces to ``relax_fmax`` eV/Å or
``relax_steps`` steps, moving the cell too (ASE's `FrechetCellFilter`, with the model's
stress) when the model was trained on stress.

Reported: the steps taken, the final largest force (eV/Å; with the cell filter, of the
filter's generalised forces, which FIRE's criterion reads), the energy change (eV per
cell), the smallest interatomic distance (Å) and the volume change (V/V₀ − 1), with the
energy and largest force at each step and the final structure.

Flagged (warn): atoms closer than ``min_distance`` Å, a volume change beyond
±``max_volume_change``, a relaxation that has not reached ``relax_fmax`` in
``relax_steps`` steps, and a non-finite energy. The relaxation stops at the first step
where atoms are too close, the volume has changed too much or the energy is not finite:
a collapsing cell would make alignn's graphs (and the memory they take) grow without
bound.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from alignn_nb.checks._steps import Ticker
from alignn_nb.checks.geometry import min_distance, structure_json
from alignn_nb.checks.results import PASS, WARN, CheckResult
from alignn_nb.checks.settings import CheckSettings


def _largest(forces: np.ndarray) -> float:
    return float(np.linalg.norm(forces, axis=1).max()) if len(forces) else 0.0


def relax_check(
    atoms: Atoms,
    calc: Calculator,
    settings: CheckSettings,
    cell_filter: bool = False,
    tick: Ticker | None = None,
) -> CheckResult:
    """Relax a copy of ``atoms`` with ``calc`` (see the module); ``atoms`` is unchanged."""
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    start = time.perf_counter()
    work = atoms.copy()
    work.calc = calc
    volume0 = float(work.get_volume())
    moved: Any = FrechetCellFilter(work) if cell_filter else work
    optimizer = FIRE(moved, logfile=None)
    energies: list[float] = []
    fmaxes: list[float] = []
    stopped = None
    for _ in optimizer.irun(fmax=settings.relax_fmax, steps=settings.relax_steps):
        energies.append(float(work.get_potential_energy()))
        fmaxes.append(_largest(np.asarray(moved.get_forces())))
        stopped = _collapse(work, energies[-1], volume0, settings)
        if stopped is not None:
            break
        if tick is not None:
            tick(optimizer.nsteps, settings.relax_steps)
    values = {
        "steps": int(optimizer.nsteps),
        "fmax": fmaxes[-1],
        "energy_change": energies[-1] - energies[0],
        "min_distance": min_distance(work),
        "volume_change": float(work.get_volume()) / volume0 - 1.0,
        "converged": fmaxes[-1] < settings.relax_fmax,
        "stopped": stopped,
        "cell_filter": cell_filter,
        "energies": energies,
        "fmaxes": fmaxes,
        "final_structure": structure_json(work),
    }
    problems = _problems(values, settings)
    verdict = WARN if problems else PASS
    reason = "; ".join(problems) if problems else _pass_reason(values, settings)
    return CheckResult("relax", verdict, reason, values, time.perf_counter() - start)


def _collapse(atoms: Atoms, energy: float, volume0: float, s: CheckSettings) -> str | None:
    """Why the relaxation must stop before it is done (it would only get worse, and a
    collapsing cell makes alignn's graphs grow without bound), or None."""
    if not math.isfinite(energy):
        return f"the energy became {energy}"
    closest = min_distance(atoms)
    if closest is not None and closest < s.min_distance:
        return f"atoms {closest:.3g} Å apart, closer than {s.min_distance:g} Å"
    change = float(atoms.get_volume()) / volume0 - 1.0
    if abs(change) > s.max_volume_change:
        return f"the volume changed by {100 * change:+.3g}%, beyond ±{100 * s.max_volume_change:g}%"
    return None


def _problems(values: dict[str, Any], s: CheckSettings) -> list[str]:
    if values["stopped"] is not None:
        return [f"stopped at step {values['steps']}: {values['stopped']}"]
    problems = []
    closest = values["min_distance"]
    if closest is not None and closest < s.min_distance:
        problems.append(f"atoms {closest:.3g} Å apart, closer than {s.min_distance:g} Å")
    change = values["volume_change"]
    if abs(change) > s.max_volume_change:
        problems.append(
            f"the volume changed by {100 * change:+.3g}%, beyond ±{100 * s.max_volume_change:g}%"
        )
    if not values["converged"]:
        problems.append(
            f"fmax {values['fmax']:.3g} eV/Å after {values['steps']} steps: not below "
            f"{s.relax_fmax:g} eV/Å within {s.relax_steps} steps"
        )
    return problems


def _pass_reason(values: dict[str, Any], s: CheckSettings) -> str:
    closest = values["min_distance"]
    distance = "no pair within 6 Å" if closest is None else f"closest atoms {closest:.3g} Å"
    cell = "atoms and cell" if values["cell_filter"] else "atoms, cell fixed"
    return (
        f"fmax {values['fmax']:.3g} < {s.relax_fmax:g} eV/Å in {values['steps']} steps "
        f"({cell}); ΔE {values['energy_change']:.4g} eV, {distance} (≥ {s.min_distance:g}), "
        f"volume {100 * values['volume_change']:+.3g}% (within ±{100 * s.max_volume_change:g}%)"
    )
