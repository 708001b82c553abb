"""The datasets alignn-nb ships: an embedded EMT Cu/Al set made on the fly, and alignn's
example force-field data (the JARVIS sample and mlearn Si) as package data in `EXAMPLES`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase import Atoms

from alignn_nb.datasets.dataset import Dataset
from alignn_nb.datasets.frames import from_atoms

EXAMPLES = Path(__file__).resolve().parent / "examples"
"""The shipped examples' folder (package data): the datasets, and the example run
(`alignn_nb.training.example_run`) trained on one of them."""
EXAMPLE_DATASETS = {
    "jarvis_ff_sample": "jarvis_ff_sample_id_prop.json",
    "mlearn_Si": "mlearn_Si_id_prop.json",
}
"""alignn's example force-field datasets shipped in ``examples/`` (see its README.md):
50 JARVIS snapshots of a 10-atom U2Ni4Ge4 cell, and 264 mlearn Si snapshots."""


def example_dataset_path(name: str) -> Path:
    """The path of a shipped example dataset, an alignn ``id_prop.json`` file.

    Raises:
        ValueError: for a name that is not in `EXAMPLE_DATASETS`.
    """
    if name not in EXAMPLE_DATASETS:
        raise ValueError(
            f"no example dataset named {name!r}; examples: {', '.join(EXAMPLE_DATASETS)}"
        )
    return EXAMPLES / EXAMPLE_DATASETS[name]


def _default_structure(index: int, rng: np.random.Generator) -> Atoms:
    """A rattled, strained fcc Cu or Al cell: 4 atoms, or 8 for every third structure."""
    from ase.build import bulk

    element, lattice = (("Cu", 3.61), ("Al", 4.05))[index % 2]
    atoms = bulk(element, "fcc", a=lattice, cubic=True)
    if index % 3 == 2:
        atoms = atoms.repeat((2, 1, 1))
    strain = rng.uniform(-0.03, 0.03, (3, 3))
    atoms.set_cell(atoms.cell.array @ (np.eye(3) + (strain + strain.T) / 2).T, scale_atoms=True)
    atoms.positions += rng.normal(0.0, 0.06, atoms.positions.shape)
    atoms.info["id"] = f"{element}-{index:02d}"
    return atoms


def default_dataset(size: int = 30, seed: int = 0) -> Dataset:
    """An embedded dataset generated on the fly and deterministic for a seed.

    ``size`` rattled (σ = 0.06 Å) and strained (up to ±3 %) fcc Cu and Al cells of 4 or 8
    atoms, labelled with ASE's EMT calculator: total energy (eV), forces (eV/Å) and stress
    (ASE's eV/Å³ × 160.21766208 → GPa, the unit and sign of alignn's stress head).
    """
    from ase.calculators.emt import EMT

    rng = np.random.default_rng(seed)
    frames = []
    for index in range(size):
        atoms = _default_structure(index, rng)
        atoms.calc = EMT()
        frames.append(atoms)
    dataset = from_atoms(frames, name=f"default (EMT Cu/Al, seed {seed})")
    for sample in dataset:
        sample.atoms.calc = None
    return dataset
