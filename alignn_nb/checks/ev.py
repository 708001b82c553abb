"""The energy–volume check: the cell scaled isotropically over ±`CheckSettings.ev_range`
in volume (atoms scaled with it), the energies fitted with ASE's Birch–Murnaghan
`EquationOfState` to V0, E0 and B.

Volumes are Å³ and energies eV, both per cell of the structure checked, as ASE's
``get_potential_energy`` returns them. The DFT points are the data's structures of the
same composition, per atom times the structure's atom count, within the scanned volumes.

Flagged (warn): a flat curve (energies spanning less than ``ev_flat_tolerance`` eV/atom:
its shape would be rounding noise, so nothing else is judged), a curve that is not convex
(a second difference of the energies, on the evenly spaced volumes, below
−`ev_convexity_tolerance` eV/atom × atoms, or a fitted B ≤ 0), a minimum at the edge of
the range (the lowest energy at the first or last volume, or V0 outside the scanned
volumes), and a fit that fails.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from alignn_nb.checks._steps import Ticker
from alignn_nb.checks.results import PASS, WARN, CheckResult
from alignn_nb.checks.settings import CheckSettings

EOS = "birchmurnaghan"


def volume_factors(settings: CheckSettings) -> list[float]:
    """The volume factors (``ev_points`` of them, evenly spaced over ±``ev_range``)."""
    r = settings.ev_range
    return [float(f) for f in np.linspace(1.0 - r, 1.0 + r, settings.ev_points)]


def energy_volume(
    atoms: Atoms, calc: Calculator, factors: Sequence[float], tick: Ticker | None = None
) -> tuple[list[float], list[float]]:
    """(volumes Å³, energies eV) per cell of ``atoms`` with its volume times each factor."""
    volumes, energies = [], []
    cell = np.asarray(atoms.cell.array, dtype=float)
    for index, factor in enumerate(factors):
        if tick is not None:
            tick(index, len(factors), "volume")
        scaled = atoms.copy()
        scaled.set_cell(cell * float(factor) ** (1.0 / 3.0), scale_atoms=True)
        scaled.calc = calc
        volumes.append(float(scaled.get_volume()))
        energies.append(float(scaled.get_potential_energy()))
    return volumes, energies


def _fitted(volumes: Sequence[float], energies: Sequence[float]) -> Any:
    """ASE's fitted `EquationOfState` (scipy's covariance warnings silenced: a flat curve
    is reported by the check, not by a warning)."""
    from ase.eos import EquationOfState
    from scipy.optimize import OptimizeWarning

    eos = EquationOfState(list(volumes), list(energies), eos=EOS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        eos.fit(warn=False)
    return eos


def fit_eos(volumes: Sequence[float], energies: Sequence[float]) -> tuple[float, float, float]:
    """(V0 Å³, E0 eV, B GPa) of ASE's Birch–Murnaghan fit.

    Raises:
        RuntimeError, ValueError: when the fit does not converge.
    """
    from ase.units import GPa

    eos = _fitted(volumes, energies)
    return float(eos.v0), float(eos.e0), float(eos.B) / GPa


def eos_curve(
    volumes: Sequence[float], energies: Sequence[float], grid: Sequence[float]
) -> np.ndarray:
    """The Birch–Murnaghan fit's energies (eV) at the volumes of ``grid`` (Å³).

    Raises:
        RuntimeError, ValueError: when the fit does not converge.
    """
    eos = _fitted(volumes, energies)
    return np.asarray(eos.func(np.asarray(grid), *eos.eos_parameters))


def ev_check(
    atoms: Atoms,
    calc: Calculator,
    settings: CheckSettings,
    dft: Sequence[tuple[float, float]] = (),
    tick: Ticker | None = None,
) -> CheckResult:
    """The E–V check of ``atoms`` with ``calc``; ``dft`` holds (Å³/atom, eV/atom) points of
    the same composition from the data."""
    start = time.perf_counter()
    volumes, energies = energy_volume(atoms, calc, volume_factors(settings), tick)
    values: dict[str, Any] = {"volumes": volumes, "energies": energies, "eos": EOS}
    values.update(dict.fromkeys(("v0", "e0", "bulk_modulus_gpa")))
    failed = None
    try:
        v0, e0, b = fit_eos(volumes, energies)
        values.update(v0=v0, e0=e0, bulk_modulus_gpa=b)
    except (RuntimeError, ValueError) as failure:
        failed = f"the Birch–Murnaghan fit failed ({' '.join(str(failure).split())})"
    problems = _shape_problems(values, len(atoms), settings)
    if failed is not None and not values["flat"]:
        problems.insert(0, failed)
    values.update(_dft_values(dft, len(atoms), volumes), atoms=len(atoms))
    verdict = WARN if problems else PASS
    reason = "; ".join(problems) if problems else _pass_reason(values, settings)
    return CheckResult("ev", verdict, reason, values, time.perf_counter() - start)


def _shape_problems(values: dict[str, Any], natoms: int, settings: CheckSettings) -> list[str]:
    volumes, energies = values["volumes"], values["energies"]
    tolerance = settings.ev_convexity_tolerance * natoms
    second = np.diff(np.asarray(energies), 2)
    lowest = int(np.argmin(energies))
    values["min_second_difference"] = float(second.min())
    values["convex"] = bool(second.min() >= -tolerance)
    span = (max(energies) - min(energies)) / natoms
    values["flat"] = bool(span < settings.ev_flat_tolerance)
    v0 = values["v0"]
    outside = v0 is not None and not min(volumes) < v0 < max(volumes)
    at_edge = lowest in (0, len(energies) - 1) or outside
    values["minimum_at_edge"] = bool(at_edge)
    if values["flat"]:
        return [
            f"flat: the energies span {span:.3g} eV/atom over ±{100 * settings.ev_range:g}%, "
            f"less than {settings.ev_flat_tolerance:g} eV/atom"
        ]
    problems = []
    if not values["convex"]:
        problems.append(
            f"not convex: a second difference of {second.min():.3g} eV, below "
            f"−{tolerance:.3g} eV ({settings.ev_convexity_tolerance:g} eV/atom)"
        )
    b = values["bulk_modulus_gpa"]
    if b is not None and b <= 0:
        problems.append(f"not convex: the fitted bulk modulus is {b:.3g} GPa")
    if at_edge:
        where = f"V0 {v0:.4g} Å³" if outside else f"the lowest energy at {volumes[lowest]:.4g} Å³"
        problems.append(
            f"minimum at the edge of ±{100 * settings.ev_range:g}% "
            f"({min(volumes):.4g}–{max(volumes):.4g} Å³): {where}"
        )
    return problems


def _dft_values(
    dft: Sequence[tuple[float, float]], natoms: int, volumes: Sequence[float]
) -> dict[str, list[float]]:
    low, high = min(volumes), max(volumes)
    kept = [(v * natoms, e * natoms) for v, e in dft if low <= v * natoms <= high]
    kept.sort()
    return {"dft_volumes": [v for v, _ in kept], "dft_energies": [e for _, e in kept]}


def _pass_reason(values: dict[str, Any], settings: CheckSettings) -> str:
    return (
        f"convex (second differences ≥ −{settings.ev_convexity_tolerance:g} eV/atom), minimum "
        f"inside ±{100 * settings.ev_range:g}%: V0 {values['v0']:.5g} Å³, E0 "
        f"{values['e0']:.6g} eV, B {values['bulk_modulus_gpa']:.4g} GPa"
    )
