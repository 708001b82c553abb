"""The NVE molecular-dynamics check: ASE's velocity Verlet on a supercell of at least
``md_min_atoms`` atoms, ``md_timestep_fs`` fs per step for ``md_steps`` steps, from
Maxwell–Boltzmann velocities at ``md_temperature_k`` K (drawn from a local generator
seeded with ``seed``) with the centre-of-mass motion removed.

Reported: the drift of the total energy in meV/atom/ps (the slope of a straight line
fitted to it after the first ``md_warmup`` of the steps), the largest force seen (eV/Å),
the smallest distance seen (Å), with the total, kinetic and potential energy (eV per
supercell) at each step.

The run stops at a blow-up: atoms closer than ``min_distance`` Å, a non-finite energy, or
a total energy ``blowup_ev_per_atom`` eV/atom from where it started. Flagged (warn): a
blow-up, and |drift| over ``drift_tolerance`` meV/atom/ps (a rule of thumb, not a
standard).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator

from alignn_nb.checks._steps import Ticker
from alignn_nb.checks.geometry import min_distance, supercell, supercell_repeat
from alignn_nb.checks.results import PASS, WARN, CheckResult
from alignn_nb.checks.settings import CheckSettings


def start_velocities(atoms: Atoms, temperature_k: float, seed: int) -> None:
    """Maxwell–Boltzmann momenta at ``temperature_k`` (seeded), centre of mass at rest."""
    from ase.md.velocitydistribution import Stationary, thermalize_momenta

    rng = np.random.default_rng(seed)
    thermalize_momenta(atoms, temperature_k, rng=rng)
    Stationary(atoms)


def drift(time_fs: list[float], total: list[float], natoms: int, warmup: float) -> float | None:
    """meV/atom/ps: the slope of the total energy (eV per cell) against time (fs) after
    the first ``warmup`` fraction of the steps; None with fewer than 2 points left."""
    first = round(warmup * (len(time_fs) - 1))
    t = np.asarray(time_fs[first:]) / 1000.0
    if len(t) < 2:
        return None
    e = np.asarray(total[first:]) * 1000.0 / natoms
    return float(np.polyfit(t, e, 1)[0])


def _blowup(cell: Atoms, total: float, start: float, s: CheckSettings) -> tuple[str | None, Any]:
    closest = min_distance(cell)
    if not math.isfinite(total):
        return f"the total energy became {total}", closest
    if closest is not None and closest < s.min_distance:
        return f"atoms {closest:.3g} Å apart, closer than {s.min_distance:g} Å", closest
    if abs(total - start) / len(cell) > s.blowup_ev_per_atom:
        return (
            f"the total energy moved {(total - start) / len(cell):+.3g} eV/atom, beyond "
            f"±{s.blowup_ev_per_atom:g}",
            closest,
        )
    return None, closest


def md_check(
    atoms: Atoms, calc: Calculator, settings: CheckSettings, tick: Ticker | None = None
) -> CheckResult:
    """NVE MD on a supercell of ``atoms`` with ``calc`` (see the module)."""
    from ase.md.verlet import VelocityVerlet

    started = time.perf_counter()
    s = settings
    cell = supercell(atoms, s.md_min_atoms)
    cell.calc = calc
    start_velocities(cell, s.md_temperature_k, s.seed)
    dynamics = VelocityVerlet(cell, timestep=s.md_timestep_fs * units.fs, logfile=None)
    series: dict[str, list[float]] = {k: [] for k in ("time_fs", "total", "kinetic", "potential")}
    largest, closest_seen, blowup = 0.0, math.inf, None
    for _ in dynamics.irun(steps=s.md_steps):
        potential = float(cell.get_potential_energy())
        kinetic = float(cell.get_kinetic_energy())
        forces = np.asarray(cell.get_forces())
        largest = max(largest, float(np.linalg.norm(forces, axis=1).max()))
        series["time_fs"].append(dynamics.nsteps * s.md_timestep_fs)
        series["potential"].append(potential)
        series["kinetic"].append(kinetic)
        series["total"].append(potential + kinetic)
        blowup, closest = _blowup(cell, potential + kinetic, series["total"][0], s)
        if closest is not None:
            closest_seen = min(closest_seen, closest)
        if blowup is not None:
            blowup = f"blew up at step {dynamics.nsteps}: {blowup}"
            break
        if tick is not None:
            tick(dynamics.nsteps, s.md_steps)
    slope = drift(series["time_fs"], series["total"], len(cell), s.md_warmup)
    values: dict[str, Any] = {
        "steps": int(dynamics.nsteps),
        "timestep_fs": s.md_timestep_fs,
        "drift_mev_per_atom_ps": slope,
        "max_force": largest,
        "steps_requested": s.md_steps,
        "atoms": len(cell),
        "repeat": list(supercell_repeat(atoms, s.md_min_atoms)),
        "temperature_k": s.md_temperature_k,
        "seed": s.seed,
        "warmup_steps": round(s.md_warmup * (len(series["time_fs"]) - 1)),
        "min_distance": None if math.isinf(closest_seen) else closest_seen,
        "blowup": blowup,
        "time_fs": series["time_fs"],
        "total_energy": series["total"],
        "kinetic_energy": series["kinetic"],
        "potential_energy": series["potential"],
    }
    verdict, reason = _verdict(values, s)
    return CheckResult("md", verdict, reason, values, time.perf_counter() - started)


def _verdict(values: dict[str, Any], s: CheckSettings) -> tuple[str, str]:
    run = (
        f"{values['steps']} steps of {s.md_timestep_fs:g} fs on {values['atoms']} atoms "
        f"from {s.md_temperature_k:g} K"
    )
    slope = values["drift_mev_per_atom_ps"]
    said = "no drift (too few steps)" if slope is None else f"drift {slope:.3g} meV/atom/ps"
    if values["blowup"] is not None:
        return WARN, f"{values['blowup']}; {said} over {run}"
    if slope is not None and abs(slope) > s.drift_tolerance:
        return WARN, f"{said}, beyond ±{s.drift_tolerance:g} meV/atom/ps, over {run}"
    return PASS, (
        f"{said} (within ±{s.drift_tolerance:g}) over {run}; largest force "
        f"{values['max_force']:.3g} eV/Å"
    )
