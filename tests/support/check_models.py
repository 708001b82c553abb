"""Small alignn output folders for the checks' tests, and ASE calculators that wrap another.

`model_folder` writes an alignn output folder (config.json by alignn-nb's exporter,
best_model.pt from alignn's own model seeded) without training. `PAIR_MODEL` is such a
model whose energy has real forces and stress: alignn's short-bond penalty on the
smooth-cutoff envelope (use_cutoff_function on) is a smooth attractive pair term of every
bond shorter than inner_cutoff, and with energy_mult_natoms off alignn adds it to the
energy it reports, so forces and stress are its exact derivatives.

The wrappers change one thing of the calculator they wrap, as a mistaken convention
would: `Scaled` scales forces, stress or energy; `Concave` adds −c(V − V₀)² to the energy
(and its stress); `Spring` ties two atoms with a stiff spring of rest length 0 (an MD that
must blow up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, save_alignn_config
from alignn_nb.model import build_model

SMALL = {
    "alignn_layers": 1,
    "gcn_layers": 1,
    "hidden_features": 16,
    "embedding_features": 16,
    "edge_input_features": 16,
    "triplet_input_features": 16,
    "atom_input_features": 92,
}
PAIR_MODEL = {
    **SMALL,
    "use_cutoff_function": True,
    "inner_cutoff": 3.0,
    "energy_mult_natoms": False,
    "penalty_factor": 10.0,
    "stresswise_weight": 0.1,
}
"""An untrained alignn model whose energy is its readout plus a smooth pair term (above)."""
GRAPH = {
    "neighbor_strategy": "radius_graph",
    "cutoff": 5.0,
    "atom_features": "cgcnn",
    "use_canonize": False,
}


def model_folder(folder: Path, seed: int = 3, **changes: Any) -> Path:
    """An alignn output folder at ``folder`` for `SMALL` with ``changes``, weights seeded."""
    cfg = ALIGNNAtomWiseConfig(**{**SMALL, **changes})
    folder.mkdir(parents=True, exist_ok=True)
    save_alignn_config(folder / "config.json", cfg, GraphConfig(**GRAPH))
    torch.save(build_model(cfg, seed=seed).state_dict(), folder / "best_model.pt")
    return folder


class Wrapper(Calculator):
    """An ASE calculator computing with ``inner`` on a copy of the atoms, then `change`."""

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self, inner: Calculator) -> None:
        super().__init__()
        self.inner = inner

    def calculate(self, atoms=None, properties=None, system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        copy = self.atoms.copy()
        copy.calc = self.inner
        results = {
            "energy": float(copy.get_potential_energy()),
            "forces": np.array(copy.get_forces()),
            "stress": np.array(copy.get_stress()),
        }
        self.results = self.change(copy, results)

    def change(self, atoms: Atoms, results: dict[str, Any]) -> dict[str, Any]:
        return results


class Scaled(Wrapper):
    """Forces, stress and energy times the given factors."""

    def __init__(self, inner: Calculator, forces=1.0, stress=1.0, energy=1.0) -> None:
        super().__init__(inner)
        self.factors = {"forces": forces, "stress": stress, "energy": energy}

    def change(self, atoms, results):
        return {key: value * self.factors[key] for key, value in results.items()}


class Concave(Wrapper):
    """Energy − c (V − V₀)² (eV, Å³), with the stress that goes with it."""

    def __init__(self, inner: Calculator, volume0: float, c: float) -> None:
        super().__init__(inner)
        self.volume0, self.c = volume0, c

    def change(self, atoms, results):
        volume = atoms.get_volume()
        results["energy"] -= self.c * (volume - self.volume0) ** 2
        pressure_term = -2.0 * self.c * (volume - self.volume0)  # dE/dV
        results["stress"] = results["stress"] + pressure_term * np.array([1, 1, 1, 0, 0, 0])
        return results


class Spring(Wrapper):
    """Atoms ``i`` and ``j`` tied by ½ k |r_j − r_i|² (eV/Å²), rest length 0."""

    def __init__(self, inner: Calculator, i: int, j: int, k: float) -> None:
        super().__init__(inner)
        self.i, self.j, self.k = i, j, k

    def change(self, atoms, results):
        d = atoms.positions[self.j] - atoms.positions[self.i]
        results["energy"] += 0.5 * self.k * float(d @ d)
        results["forces"][self.i] += self.k * d
        results["forces"][self.j] -= self.k * d
        return results
