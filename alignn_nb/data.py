"""Datasets of structures with energy, force and stress targets, in the units alignn's heads use.

Whatever a file stores, every `Sample` holds:

- ``energy``: the total energy of the cell in eV (a float);
- ``forces``: eV/Å, shape (N, 3);
- ``stress``: GPa, shape (3, 3), in the sign convention of alignn's stress head;
- ``atomwise``: per-atom targets for alignn's atomwise head, shape (N, k), in the file's units;
- ``additional``: targets for alignn's additional graph-level head, shape (k,).

Any of them may be None: a term whose target is missing is reported as "no target" by
`alignn_nb.losses`, never as zero.

Stress convention. alignn 2026.8.11's ``ALIGNNAtomWise.forward`` forms the stress of each
structure from the bond vectors r and the bond forces dE/dr (with grad_multiplier -1) as
``-160.21766208 · rᵀ(-dE/dr) / V``: that is ``+(1/V) ∂E/∂ε`` converted from eV/Å³ to GPa
with the factor 1 eV/Å³ = 160.21766208 GPa quoted in that code. This is ASE's sign
(positive under tension, negative under compression), which is also what alignn's ASE
calculator assumes when it divides the head's output by 160.21766208 to hand ASE eV/Å³.
`tests/test_data.py` checks the sign and factor against finite differences of the energy.
So ASE stresses are multiplied by 160.21766208, and VASP stresses (kbar, positive under
compression) are multiplied by -0.1.

Energy convention. alignn's loaders pass ``total_energy`` through unchanged
(``lmdb_dataset.get_torch_dataset`` stores ``d[target]`` as the label); whether it means eV
per cell or eV per atom is up to the file. Samples always store eV per cell;
`alignn_nb.losses` converts to what alignn's readout predicts for the config.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
from ase import Atoms

#: 1 eV/Å³ in GPa, the factor in alignn's stress head.
EV_PER_A3_IN_GPA = 160.21766208
#: 1 kbar in GPa.
KBAR_IN_GPA = 0.1
#: Above this |energy| per entry (eV) a number cannot be an energy per atom.
MAX_ENERGY_PER_ATOM = 15.0

_PER = {"per_atom": "per atom", "total": "per cell"}
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
    """

    name: str
    samples: tuple[Sample, ...]
    conventions: tuple[str, ...] = field(default_factory=tuple)
    file_energy: FileEnergy | None = None

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
        return f"Dataset({self.name!r}, {len(self)} samples, {self.atom_count()} atoms; {counts})"

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
        from alignn_nb.graph import fingerprint

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


def _array(value: Any, what: str, where: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as failure:
        raise ValueError(f"{where}: {what} is not numeric ({failure})") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: {what} contains NaN or infinity")
    return array


def _forces(value: Any, natoms: int, where: str) -> np.ndarray:
    forces = _array(value, "forces", where)
    if forces.shape != (natoms, 3):
        raise ValueError(
            f"{where}: forces have shape {forces.shape} but the cell has {natoms} atoms; "
            f"expected ({natoms}, 3) in eV/Å"
        )
    return forces


def stress_matrix(value: Any, convention: str, where: str = "stress") -> np.ndarray:
    """A (3, 3) stress in GPa with alignn's sign from a 3×3, flat 9 or Voigt-6 ``value``.

    ``convention`` is a key of `STRESS_CONVENTIONS` ("vasp", "ase" or "alignn"); it fixes
    the unit, the sign and the order of a Voigt 6-vector. Anything else is refused.
    """
    factor, order, _ = STRESS_CONVENTIONS[convention]
    array = _array(value, "stress", where)
    if array.shape == (6,):
        matrix = np.zeros((3, 3))
        for number, (i, j) in zip(array, VOIGT_ORDER[order], strict=True):
            matrix[i, j] = matrix[j, i] = number
    elif array.shape in ((3, 3), (9,)):
        matrix = array.reshape(3, 3)
    else:
        raise ValueError(
            f"{where}: stress has shape {array.shape}; expected 3×3, 9 numbers or a Voigt 6-vector"
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
) -> Sample:
    """A checked `Sample`: energy in eV per cell, forces (N, 3) eV/Å, stress per convention.

    Raises:
        ValueError: naming the sample, for a non-numeric value or a wrong shape.
    """
    where = f"sample {sample_id!r}"
    natoms = len(atoms)
    targets = Targets(
        energy=None if energy is None else _energy(energy, where),
        forces=None if forces is None else _forces(forces, natoms, where),
        stress=None if stress is None else stress_matrix(stress, stress_convention, where),
        atomwise=None if atomwise is None else _atomwise(atomwise, natoms, where),
        additional=None
        if additional is None
        else _array(additional, "additional target", where).reshape(-1),
    )
    return Sample(id=str(sample_id), atoms=atoms, targets=targets)


def _energy(value: Any, where: str) -> float:
    array = _array(value, "energy", where)
    if array.size != 1:
        raise ValueError(f"{where}: energy must be one number, got shape {array.shape}")
    return float(array.reshape(-1)[0])


def _atomwise(value: Any, natoms: int, where: str) -> np.ndarray:
    array = _array(value, "atomwise target", where)
    if array.ndim == 1 and array.shape == (natoms,):
        return array.reshape(natoms, 1)
    if array.ndim != 2 or array.shape[0] != natoms:
        raise ValueError(
            f"{where}: atomwise target has shape {array.shape}; expected ({natoms}, k), "
            "one row per atom"
        )
    return array


def atoms_from_jarvis(entry: Mapping[str, Any], where: str) -> Atoms:
    """An `ase.Atoms` from a jarvis atoms dict (lattice_mat Å, coords, elements, cartesian)."""
    try:
        cell = _array(entry["lattice_mat"], "lattice_mat", where)
        coords = _array(entry["coords"], "coords", where)
        elements = list(entry["elements"])
    except (KeyError, TypeError) as failure:
        raise ValueError(
            f"{where}: atoms dict lacks {failure} (needs lattice_mat, coords, elements)"
        ) from None
    if cell.shape != (3, 3) or coords.shape != (len(elements), 3):
        raise ValueError(
            f"{where}: lattice_mat has shape {cell.shape} and coords {coords.shape} for "
            f"{len(elements)} elements; expected (3, 3) and ({len(elements)}, 3)"
        )
    if entry.get("cartesian", False):
        return Atoms(symbols=elements, positions=coords, cell=cell, pbc=True)
    return Atoms(symbols=elements, scaled_positions=coords, cell=cell, pbc=True)


def _energy_convention(
    entries: Sequence[Mapping[str, Any]], natoms: Sequence[int], name: str
) -> tuple[str, str]:
    """Decide whether an id_prop file's ``total_energy`` is per atom or per cell, and why.

    With cells of different sizes, the reading under which energies spread less (relative
    to their mean) wins: per-cell totals grow with the atom count, per-atom energies do not.
    With one cell size, an |energy| above 15 eV cannot be per atom; otherwise the file is
    refused rather than guessed.
    """
    energies = np.array(
        [e["total_energy"] for e in entries if e.get("total_energy") is not None], dtype=float
    )
    counts = np.array(
        [n for e, n in zip(entries, natoms, strict=True) if e.get("total_energy") is not None],
        dtype=float,
    )
    if energies.size == 0:
        return "total", f"{name}: no total_energy in the file"
    if np.unique(counts).size > 1:
        spread = np.std(energies) / abs(np.mean(energies))
        spread_per_atom = np.std(energies / counts) / abs(np.mean(energies / counts))
        convention = "per_atom" if spread < spread_per_atom else "total"
        return convention, (
            f"{name}: total_energy read as eV {_PER[convention]} (cells of {int(counts.min())} "
            f"to {int(counts.max())} atoms; relative spread "
            f"{spread:.3g} as given vs {spread_per_atom:.3g} divided by the atom count)"
        )
    if np.max(np.abs(energies)) > MAX_ENERGY_PER_ATOM:
        return "total", (
            f"{name}: total_energy read as eV per cell (|E| up to {np.max(np.abs(energies)):.4g} "
            f"eV cannot be per atom; every cell has {int(counts[0])} atoms)"
        )
    raise ValueError(
        f"{name}: cannot tell whether total_energy is per atom or per cell (every cell has "
        f"{int(counts[0])} atoms and |E| <= {MAX_ENERGY_PER_ATOM} eV); pass energy='total' or "
        "energy='per_atom'"
    )


def _fingerprint(entry: Mapping[str, Any]) -> str:
    return json.dumps([entry.get("atoms"), entry.get("total_energy")], sort_keys=True)


def _stress_key(entry: Mapping[str, Any]) -> str | None:
    stress = entry.get("stresses")
    if stress is None or not np.any(np.asarray(stress, dtype=float)):
        return None
    return json.dumps(stress)


def _screen(
    entries: Sequence[Mapping[str, Any]], keep_duplicates: bool, name: str
) -> tuple[list[int], set[int], list[str]]:
    """Indices to keep, indices whose stress is a copy of another structure's, and notes."""
    seen: dict[str, int] = {}
    stress_owner: dict[str, str] = {}
    keep, copied, duplicates = [], set(), 0
    for index, entry in enumerate(entries):
        fingerprint = _fingerprint(entry)
        if fingerprint in seen and not keep_duplicates:
            duplicates += 1
            continue
        seen.setdefault(fingerprint, index)
        keep.append(index)
        key = _stress_key(entry)
        if key is not None and stress_owner.setdefault(key, fingerprint) != fingerprint:
            copied.add(index)
    notes = []
    if duplicates:
        notes.append(
            f"{name}: {duplicates} of {len(entries)} entries repeat an earlier entry "
            f"exactly and were dropped ({len(keep)} samples remain)"
        )
    if copied:
        notes.append(
            f"{name}: {len(copied)} entries carry the very stress of another structure; "
            "their stress is not trusted and reported as no target"
        )
    return keep, copied, notes


def _id_prop_sample(
    entry: Mapping[str, Any],
    index: int,
    per_atom: bool,
    stress_ok: bool,
    options: Mapping[str, Any],
    name: str,
) -> Sample:
    sample_id = str(entry.get("jid", index))
    where = f"{name} entry {index} (jid {sample_id!r})"
    atoms = atoms_from_jarvis(entry.get("atoms") or {}, where)
    energy = entry.get("total_energy")
    if energy is not None and per_atom:
        energy = float(energy) * len(atoms)
    try:
        return make_sample(
            sample_id,
            atoms,
            energy=energy,
            forces=entry.get("forces"),
            stress=entry.get("stresses") if stress_ok else None,
            stress_convention=options["stress"],
            atomwise=entry.get(options["atomwise_key"]),
            additional=entry.get(options["additional_key"]),
        )
    except ValueError as failure:
        raise ValueError(str(failure).replace(f"sample {sample_id!r}", where)) from None


def read_id_prop(
    path: str | os.PathLike,
    *,
    energy: EnergyConvention = "auto",
    stress: StressConvention = "auto",
    atomwise_key: str = "forces",
    additional_key: str = "additional_output",
    keep_duplicates: bool = False,
) -> Dataset:
    """alignn's force-field ``id_prop.json``: a list of entries with ``atoms`` (a jarvis dict),
    ``total_energy``, ``forces`` (eV/Å) and ``stresses``.

    ``stress="auto"`` assumes VASP's convention (kbar, positive under compression, Voigt
    order xx yy zz xy yz zx), which is what both of alignn's force-field examples hold.
    ``atomwise_key`` defaults to ``"forces"`` as alignn's ``train_alignn`` does. Exact
    duplicate entries are dropped unless ``keep_duplicates``; a non-zero stress identical
    to that of a different structure is dropped from that entry.
    """
    path = Path(path)
    name = path.name
    try:
        entries = json.loads(path.read_text())
    except json.JSONDecodeError as failure:
        raise ValueError(f"{name} is not valid JSON: {failure}") from None
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ValueError(f"{name}: expected a JSON list of entries like alignn's id_prop.json")
    keep, copied, notes = _screen(entries, keep_duplicates, name)
    kept = [entries[i] for i in keep]
    natoms = [len((e.get("atoms") or {}).get("elements", [])) for e in kept]
    if energy == "auto":
        energy, note = _energy_convention(kept, natoms, name)
    else:
        note = f"{name}: total_energy read as eV {_PER[energy]} (as told)"
    notes.insert(0, note)
    if energy == "per_atom":
        notes.insert(1, f"{name}: per-atom energies multiplied by the atom count (eV per cell)")
    stress = "vasp" if stress == "auto" else stress
    notes.append(f"{name}: stresses read as {STRESS_CONVENTIONS[stress][2]}")
    options = {"stress": stress, "atomwise_key": atomwise_key, "additional_key": additional_key}
    samples = tuple(
        _id_prop_sample(entries[i], i, energy == "per_atom", i not in copied, options, name)
        for i in keep
    )
    return Dataset(name=name, samples=samples, conventions=tuple(notes), file_energy=energy)


def _ase_target(atoms: Atoms, getter: str, **kwargs: Any) -> Any:
    from ase.calculators.calculator import PropertyNotImplementedError

    if atoms.calc is None:
        return None
    try:
        return getattr(atoms, getter)(**kwargs)
    except (PropertyNotImplementedError, RuntimeError, KeyError):
        return None


def from_atoms(
    frames: Sequence[Atoms], name: str = "structures", atomwise_key: str = "forces"
) -> Dataset:
    """A dataset from `ase.Atoms` whose calculators hold energy, forces and stress (ASE units).

    Energies are total eV, forces eV/Å, stresses ASE's eV/Å³ (positive under tension),
    multiplied by 160.21766208 to GPa. Missing results become missing targets.
    """
    samples = []
    for index, atoms in enumerate(frames):
        forces = _ase_target(atoms, "get_forces")
        sample_id = str(atoms.info.get("id", atoms.info.get("jid", index)))
        samples.append(
            make_sample(
                sample_id,
                atoms.copy(),
                energy=_ase_target(atoms, "get_potential_energy"),
                forces=forces,
                stress=_ase_target(atoms, "get_stress", voigt=False),
                stress_convention="ase",
                atomwise=forces if atomwise_key == "forces" else atoms.arrays.get(atomwise_key),
            )
        )
    notes = (f"{name}: energies as total eV, forces eV/Å, {STRESS_CONVENTIONS['ase'][2]}",)
    return Dataset(name=name, samples=tuple(samples), conventions=notes)


def read_extxyz(path: str | os.PathLike, atomwise_key: str = "forces") -> Dataset:
    """Every frame of an extended-XYZ file, read by ASE, with its energy, forces and stress."""
    from ase.io import read

    path = Path(path)
    try:
        frames = read(path, index=":", format="extxyz")
    except Exception as failure:  # ASE raises many types for malformed files
        raise ValueError(f"{path.name}: ASE could not read it as extxyz: {failure}") from None
    return from_atoms(frames, name=path.name, atomwise_key=atomwise_key)


def load_dataset(source: str | os.PathLike | Dataset | Sequence[Atoms], **options: Any) -> Dataset:
    """A `Dataset` from alignn's ``id_prop.json``, an extxyz file, `ase.Atoms` or "default".

    ``options`` go to `read_id_prop` (energy, stress, atomwise_key, additional_key,
    keep_duplicates) or, for extxyz, ``atomwise_key``.

    Raises:
        ValueError: for an unreadable file or a target of the wrong shape, naming the sample.
        FileNotFoundError: for a path that does not exist.
    """
    if isinstance(source, Dataset):
        return source
    if isinstance(source, str) and source == "default":
        return default_dataset()
    if isinstance(source, Sequence) and not isinstance(source, str):
        return from_atoms(list(source), **options)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no dataset file at {path}")
    if path.suffix.lower() == ".json":
        return read_id_prop(path, **options)
    if path.suffix.lower() in (".xyz", ".extxyz"):
        return read_extxyz(path, **options)
    raise ValueError(f"{path.name}: expected alignn's id_prop .json or an .xyz/.extxyz file")


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
