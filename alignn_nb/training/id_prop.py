"""alignn's ``id_prop.json`` files: JARVIS atoms, energy and stress conventions, screening.

The conventions each file is read with are described in `alignn_nb.training.datasets`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from alignn_nb.training.datasets import (
    _PER,
    MAX_ENERGY_PER_ATOM,
    STRESS_CONVENTIONS,
    Dataset,
    EnergyConvention,
    FileEnergy,
    Sample,
    StressConvention,
    _array,
    make_sample,
)


def atoms_from_jarvis(entry: Mapping[str, Any], where: str) -> Atoms:
    """An `ase.Atoms` from a jarvis atoms dict (lattice_mat Å, coords, elements, cartesian)."""
    cell, coords, elements = jarvis_arrays(entry, where)
    if entry.get("cartesian", False):
        return Atoms(symbols=elements, positions=coords, cell=cell, pbc=True)
    return Atoms(symbols=elements, scaled_positions=coords, cell=cell, pbc=True)


def jarvis_arrays(entry: Mapping[str, Any], where: str) -> tuple[np.ndarray, np.ndarray, list]:
    """``(lattice_mat, coords, elements)`` of a jarvis atoms dict, checked for shape.

    Raises:
        ValueError: naming ``where`` and the missing key or the mismatched shapes.
    """
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
    return cell, coords, elements


def _energy_convention(
    entries: Sequence[Mapping[str, Any]], natoms: Sequence[int], name: str
) -> tuple[FileEnergy, str]:
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
        convention: FileEnergy = "per_atom" if spread < spread_per_atom else "total"
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
