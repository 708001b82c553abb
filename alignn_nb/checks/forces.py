"""The force-consistency check: are the model's forces and stress the derivatives of its
energy?

On a copy of the structure rattled by ``rattle`` Å (ASE's ``rattle``, seeded), the forces
on ``fd_atoms`` atoms (picked with a generator seeded with ``seed``) are compared with
central differences of the energy, F ≈ −(E(x + h) − E(x − h)) / 2h with h = ``fd_step`` Å,
and the stress with finite strains, σ_k ≈ (E(+δ) − E(−δ)) / (2δ V) for each of ASE's six
Voigt components (a symmetric strain δ on xx, yy, zz; δ/2 on both off-diagonal elements of
yz, xz, xy), δ = ``fd_step``. The stress is compared in GPa (ASE's eV/Å³ × 160.21766208),
with ASE's sign.

Flagged (warn): a force difference over ``force_tolerance`` eV/Å or a stress difference
over ``stress_tolerance`` GPa. A calculator without a stress gives None for the stress.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, PropertyNotImplementedError

from alignn_nb.checks._steps import Ticker
from alignn_nb.checks.results import PASS, WARN, CheckResult
from alignn_nb.checks.settings import CheckSettings

EV_PER_A3_IN_GPA = 160.21766208
"""1 eV/Å³ in GPa, the factor alignn's stress head and calculator use."""
VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
"""ASE's Voigt order: xx, yy, zz, yz, xz, xy."""


def rattled(atoms: Atoms, settings: CheckSettings) -> Atoms:
    """A copy of ``atoms`` with every position moved by a normal deviate of ``rattle`` Å."""
    moved = atoms.copy()
    moved.calc = None
    moved.rattle(stdev=settings.rattle, seed=settings.seed)
    return moved


def picked_atoms(natoms: int, settings: CheckSettings) -> list[int]:
    """The atoms the finite differences move: ``fd_atoms`` of them (all of a smaller
    structure), sorted, drawn without replacement from a generator seeded with ``seed``."""
    rng = np.random.default_rng(settings.seed)
    count = min(settings.fd_atoms, natoms)
    return sorted(int(i) for i in rng.choice(natoms, size=count, replace=False))


def _energy(atoms: Atoms, calc: Calculator) -> float:
    atoms.calc = calc
    return float(atoms.get_potential_energy())


def finite_difference_forces(
    atoms: Atoms, calc: Calculator, chosen: list[int], h: float, tick: Ticker | None = None
) -> np.ndarray:
    """(len(chosen), 3) eV/Å: −dE/dx by central differences with step ``h`` Å."""
    found = np.zeros((len(chosen), 3))
    for row, index in enumerate(chosen):
        for axis in range(3):
            if tick is not None:
                tick(3 * row + axis, 3 * len(chosen), "displacement")
            energies = []
            for sign in (1.0, -1.0):
                moved = atoms.copy()
                moved.positions[index, axis] += sign * h
                energies.append(_energy(moved, calc))
            found[row, axis] = -(energies[0] - energies[1]) / (2.0 * h)
    return found


def finite_strain_stress(atoms: Atoms, calc: Calculator, delta: float) -> np.ndarray:
    """(6,) GPa in ASE's Voigt order: (1/V) dE/dε by central differences of strain δ."""
    cell = np.asarray(atoms.cell.array, dtype=float)
    volume = float(atoms.get_volume())
    found = np.zeros(6)
    for k, (i, j) in enumerate(VOIGT):
        energies = []
        for sign in (1.0, -1.0):
            strain = np.zeros((3, 3))
            strain[i, j] += sign * delta / (1.0 if i == j else 2.0)
            strain[j, i] = strain[i, j]
            strained = atoms.copy()
            strained.set_cell(cell @ (np.eye(3) + strain).T, scale_atoms=True)
            energies.append(_energy(strained, calc))
        found[k] = (energies[0] - energies[1]) / (2.0 * delta * volume)
    return found * EV_PER_A3_IN_GPA


def _model_stress(atoms: Atoms, calc: Calculator) -> np.ndarray | None:
    atoms.calc = calc
    try:
        stress = np.asarray(atoms.get_stress(voigt=True), dtype=float)
    except PropertyNotImplementedError:
        return None
    return stress * EV_PER_A3_IN_GPA if stress.shape == (6,) else None


def forces_check(
    atoms: Atoms, calc: Calculator, settings: CheckSettings, tick: Ticker | None = None
) -> CheckResult:
    """Forces and stress of ``calc`` against finite differences of its energy."""
    start = time.perf_counter()
    work = rattled(atoms, settings)
    work.calc = calc
    forces = np.asarray(work.get_forces(), dtype=float)
    stress = _model_stress(work, calc)
    chosen = picked_atoms(len(work), settings)
    fd = finite_difference_forces(work, calc, chosen, settings.fd_step, tick)
    force_error = float(np.abs(forces[chosen] - fd).max())
    values: dict[str, Any] = {
        "max_force_error": force_error,
        "max_stress_error": None,
        "atoms_moved": chosen,
        "fd_step": settings.fd_step,
        "rattle": settings.rattle,
        "forces_model": forces[chosen].tolist(),
        "forces_fd": fd.tolist(),
        "stress_model": None,
        "stress_fd": None,
    }
    if stress is not None:
        strained = finite_strain_stress(work, calc, settings.fd_step)
        values.update(
            max_stress_error=float(np.abs(stress - strained).max()),
            stress_model=stress.tolist(),
            stress_fd=strained.tolist(),
        )
    verdict, reason = _verdict(values, settings)
    return CheckResult("forces", verdict, reason, values, time.perf_counter() - start)


def _verdict(values: dict[str, Any], s: CheckSettings) -> tuple[str, str]:
    force = values["max_force_error"]
    stress = values["max_stress_error"]
    parts = [
        f"force vs −dE/dx: largest difference {force:.3g} eV/Å "
        f"({'over' if force > s.force_tolerance else 'within'} {s.force_tolerance:g})"
    ]
    if stress is None:
        parts.append("no stress from this calculator")
    else:
        parts.append(
            f"stress vs finite strain: largest difference {stress:.3g} GPa "
            f"({'over' if stress > s.stress_tolerance else 'within'} {s.stress_tolerance:g})"
        )
    failed = force > s.force_tolerance or (stress is not None and stress > s.stress_tolerance)
    where = f" on {len(values['atoms_moved'])} atoms, h {s.fd_step:g} Å"
    return (WARN if failed else PASS), "; ".join(parts) + where
