"""Datasets of structures with energy, force and stress targets, in the units alignn's heads use.

Whatever a file stores, every `Sample` holds:

- ``energy``: the total energy of the cell in eV (a float);
- ``forces``: eV/Å, shape (N, 3);
- ``stress``: GPa, shape (3, 3), in the sign convention of alignn's stress head;
- ``atomwise``: per-atom targets for alignn's atomwise head, shape (N, k), in the file's units;
- ``additional``: targets for alignn's additional graph-level head, shape (k,).

Any of them may be None: a term whose target is missing is reported as "no target" by
`alignn_nb.loss.breakdown`, never as zero.

Entries are read one by one: an entry that cannot be read (a structure that
`alignn_nb.structures.loading.check_structure` refuses, an unknown element, a target
that is not numeric or has the wrong shape) is left out and listed in
``Dataset.skipped`` with its reason, and the rest is read. A source with no readable
entry raises `ValueError`.

Stress convention. alignn 2026.8.11's ``ALIGNNAtomWise.forward`` forms the stress of each
structure from the bond vectors r and the bond forces dE/dr (with grad_multiplier -1) as
``-160.21766208 · rᵀ(-dE/dr) / V``: that is ``+(1/V) ∂E/∂ε`` converted from eV/Å³ to GPa
with the factor 1 eV/Å³ = 160.21766208 GPa quoted in that code. This is ASE's sign
(positive under tension, negative under compression), which is also what alignn's ASE
calculator assumes when it divides the head's output by 160.21766208 to hand ASE eV/Å³.
`tests/training/test_data.py` checks the sign and factor against finite differences of the energy.
So ASE stresses are multiplied by 160.21766208, and VASP stresses (kbar, positive under
compression) are multiplied by -0.1.

Energy convention. alignn's loaders pass ``total_energy`` through unchanged
(``lmdb_dataset.get_torch_dataset`` stores ``d[target]`` as the label); whether it means eV
per cell or eV per atom is up to the file. Samples always store eV per cell;
`alignn_nb.loss.breakdown` converts to what alignn's readout predicts for the config.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
from ase import Atoms

#: 1 eV/Å³ in GPa, the factor in alignn's stress head.
EV_PER_A3_IN_GPA = 160.21766208
#: 1 kbar in GPa.
KBAR_IN_GPA = 0.1
#: Above this |energy| per entry (eV) a number cannot be an energy per atom.
MAX_ENERGY_PER_ATOM = 15.0

ENERGY_PER = {"per_atom": "per atom", "total": "per cell"}
"""How each file energy convention reads in a sentence ("eV per atom")."""
TARGETS = ("energy", "forces", "stress", "atomwise", "additional")
UNITS = {
    "energy": "eV (whole cell)",
    "forces": "eV/Å",
    "stress": "GPa (alignn's stress-head sign: positive under tension)",
    "atomwise": "the file's units",
    "additional": "the file's units",
}

EnergyConvention = Literal["auto", "total", "per_atom"]
FileEnergy = Literal["total", "per_atom"]
StressConvention = Literal["auto", "vasp", "ase", "alignn"]

#: Voigt orders of flat 6-vectors, as (row, column) pairs.
VOIGT_ORDER = {
    "vasp": ((0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (2, 0)),
    "ase": ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)),
}
#: (factor to GPa with alignn's sign, Voigt order of 6-vectors, description).
STRESS_CONVENTIONS = {
    "vasp": (
        -KBAR_IN_GPA,
        "vasp",
        "VASP's stress: kbar, positive under compression, 6-vectors ordered xx yy zz xy yz zx; "
        "multiplied by -0.1 to give GPa with alignn's sign",
    ),
    "ase": (
        EV_PER_A3_IN_GPA,
        "ase",
        "ASE's stress: eV/Å³, positive under tension, 6-vectors ordered xx yy zz yz xz xy; "
        "multiplied by 160.21766208 to give GPa",
    ),
    "alignn": (
        1.0,
        "ase",
        "already in alignn's stress-head units: GPa, positive under tension, 6-vectors "
        "ordered xx yy zz yz xz xy as alignn's train_alignn reads them",
    ),
}


@dataclass(frozen=True)
class Skipped:
    """An entry left out of a dataset, and why."""

    id: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """``{"id", "reason"}``, as the verbs' ``--json`` list it."""
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True, eq=False)
class Targets:
    """One structure's targets; see the module docstring for units and shapes."""

    energy: float | None = None
    forces: np.ndarray | None = None
    stress: np.ndarray | None = None
    atomwise: np.ndarray | None = None
    additional: np.ndarray | None = None

    def has(self, name: str) -> bool:
        """True when target ``name`` (one of `TARGETS`) is present."""
        return getattr(self, name) is not None


@dataclass(frozen=True, eq=False)
class Sample:
    """A structure and its targets."""

    id: str
    atoms: Atoms
    targets: Targets

    @property
    def natoms(self) -> int:
        """Number of atoms."""
        return len(self.atoms)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Samples plus the conventions assumed when reading them (plain-English notes).

    ``file_energy`` says how an id_prop file stored total_energy, which alignn feeds to its
    readout unchanged: "per_atom" or "total" (eV per cell); None for other sources.
    ``path`` is the file `load_dataset` read it from (None otherwise, and for a slice).
    ``skipped`` lists the entries of the source that could not be read, with the reason
    (a slice has none: they have no place among its samples).
    """

    name: str
    samples: tuple[Sample, ...]
    conventions: tuple[str, ...] = field(default_factory=tuple)
    file_energy: FileEnergy | None = None
    path: str | None = None
    skipped: tuple[Skipped, ...] = ()

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    @overload
    def __getitem__(self, index: int) -> Sample: ...

    @overload
    def __getitem__(self, index: slice) -> Dataset: ...

    def __getitem__(self, index: int | slice) -> Sample | Dataset:
        if isinstance(index, slice):
            return Dataset(self.name, self.samples[index], self.conventions, self.file_energy)
        return self.samples[index]

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.target_counts().items())
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"Dataset({self.name!r}, {len(self)} samples{skipped}, {self.atom_count()} atoms; "
            f"{counts})"
        )

    def atom_count(self) -> int:
        """Atoms over all samples."""
        return sum(s.natoms for s in self.samples)

    def target_counts(self) -> dict[str, int]:
        """How many samples carry each target."""
        return {name: sum(s.targets.has(name) for s in self.samples) for name in TARGETS}

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of every sample's structure and targets, worked out once per dataset.

        Caches key on it rather than on ``id(dataset)``, which a later dataset may reuse.
        """
        from alignn_nb.graphs import fingerprint

        digest = hashlib.blake2b(digest_size=16)
        for sample in self.samples:
            digest.update(fingerprint(sample.atoms).encode())
            for name in TARGETS:
                value = getattr(sample.targets, name)
                shape = None if value is None else np.shape(value)
                digest.update(f"{name}{shape}".encode())
                if value is not None:
                    digest.update(np.ascontiguousarray(value, dtype=np.float64).tobytes())
        return digest.hexdigest()


def _at(where: str) -> str:
    """The start of a message about ``where``; nothing for ``where=""``."""
    return f"{where}: " if where else ""


def finite_array(value: Any, what: str, where: str) -> np.ndarray:
    if value is None:
        raise ValueError(f"{_at(where)}{what} is null")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as failure:
        raise ValueError(f"{_at(where)}{what} is not numeric ({failure})") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{_at(where)}{what} contains NaN or infinity")
    return array


def _forces(value: Any, natoms: int, where: str) -> np.ndarray:
    forces = finite_array(value, "forces", where)
    if forces.shape != (natoms, 3):
        raise ValueError(
            f"{_at(where)}forces have shape {forces.shape} but the cell has {natoms} atoms; "
            f"expected ({natoms}, 3) in eV/Å"
        )
    return forces


def stress_matrix(value: Any, convention: str, where: str = "stress") -> np.ndarray:
    """A (3, 3) stress in GPa with alignn's sign from a 3×3, flat 9 or Voigt-6 ``value``.

    ``convention`` is a key of `STRESS_CONVENTIONS` ("vasp", "ase" or "alignn"); it fixes
    the unit, the sign and the order of a Voigt 6-vector. Anything else is refused.
    """
    factor, order, _ = STRESS_CONVENTIONS[convention]
    array = finite_array(value, "stress", where)
    if array.shape == (6,):
        matrix = np.zeros((3, 3))
        for number, (i, j) in zip(array, VOIGT_ORDER[order], strict=True):
            matrix[i, j] = matrix[j, i] = number
    elif array.shape in ((3, 3), (9,)):
        matrix = array.reshape(3, 3)
    else:
        raise ValueError(
            f"{_at(where)}stress has shape {array.shape}; expected 3×3, 9 numbers or a Voigt "
            "6-vector"
        )
    return factor * matrix + 0.0  # + 0.0 turns -0.0 into 0.0


def make_sample(
    sample_id: str,
    atoms: Atoms,
    *,
    energy: float | None = None,
    forces: Any = None,
    stress: Any = None,
    stress_convention: str = "alignn",
    atomwise: Any = None,
    additional: Any = None,
    where: str | None = None,
) -> Sample:
    """A checked `Sample`: energy in eV per cell, forces (N, 3) eV/Å, stress per convention.

    The targets are checked, not the structure (see `atoms_sample`).

    Raises:
        ValueError: naming the sample (or ``where``; ``""`` names nothing), for a
            non-numeric value or a wrong shape.
    """
    where = f"sample {sample_id!r}" if where is None else where
    natoms = len(atoms)
    targets = Targets(
        energy=None if energy is None else _energy(energy, where),
        forces=None if forces is None else _forces(forces, natoms, where),
        stress=None if stress is None else stress_matrix(stress, stress_convention, where),
        atomwise=None if atomwise is None else _atomwise(atomwise, natoms, where),
        additional=None
        if additional is None
        else finite_array(additional, "additional target", where).reshape(-1),
    )
    return Sample(id=str(sample_id), atoms=atoms, targets=targets)


def _energy(value: Any, where: str) -> float:
    array = finite_array(value, "energy", where)
    if array.size != 1:
        raise ValueError(f"{_at(where)}energy must be one number, got shape {array.shape}")
    return float(array.reshape(-1)[0])


def _atomwise(value: Any, natoms: int, where: str) -> np.ndarray:
    array = finite_array(value, "atomwise target", where)
    if array.ndim == 1 and array.shape == (natoms,):
        return array.reshape(natoms, 1)
    if array.ndim != 2 or array.shape[0] != natoms:
        raise ValueError(
            f"{_at(where)}atomwise target has shape {array.shape}; expected ({natoms}, k), "
            "one row per atom"
        )
    return array


def empty_dataset(name: str, skipped: Sequence[Skipped], count: int | None = None) -> ValueError:
    """The one refusal of a dataset with no readable structure, for every verb: ``count``
    entries were skipped (all of ``skipped`` unless given), the first of them named."""
    count = len(skipped) if count is None else count
    why = f" ({count} skipped; {skipped[0].id}: {skipped[0].reason})" if skipped else ""
    return ValueError(f"{name}: the dataset is empty: it holds no readable structure{why}")


def readable(
    name: str, samples: Sequence[Sample], skipped: Sequence[Skipped], **fields: Any
) -> Dataset:
    """A `Dataset` of the entries read and those skipped; `ValueError` when none was read."""
    if not samples:
        raise empty_dataset(name, skipped)
    return Dataset(name=name, samples=tuple(samples), skipped=tuple(skipped), **fields)
