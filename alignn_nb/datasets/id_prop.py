"""alignn's ``id_prop.json`` files: JARVIS atoms, energy and stress conventions, screening.

The conventions each file is read with are described in `alignn_nb.datasets.dataset`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from alignn_nb.datasets.dataset import (
    ENERGY_PER,
    MAX_ENERGY_PER_ATOM,
    STRESS_CONVENTIONS,
    Dataset,
    EnergyConvention,
    FileEnergy,
    Sample,
    Skipped,
    StressConvention,
    readable,
)
from alignn_nb.datasets.entries import (
    Entry,
    TargetKeys,
    entry_id,
    json_entry,
    read_sample,
)
from alignn_nb.datasets.stream import Unparsed, json_items, shard_of


def _energy_convention(samples: Sequence[Sample], name: str) -> tuple[FileEnergy, str]:
    """Decide whether an id_prop file's ``total_energy`` is per atom or per cell, and why.

    ``samples`` hold total_energy as the file does. With cells of different sizes, the
    reading under which energies spread less (relative to their mean) wins: per-cell
    totals grow with the atom count, per-atom energies do not. With one cell size, an
    |energy| above 15 eV cannot be per atom; otherwise the file is refused rather than
    guessed.
    """
    given = [s for s in samples if s.targets.energy is not None]
    energies = np.array([s.targets.energy for s in given], dtype=float)
    counts = np.array([s.natoms for s in given], dtype=float)
    if energies.size == 0:
        return "total", f"{name}: no total_energy in the file"
    if np.unique(counts).size > 1:
        with np.errstate(divide="ignore", invalid="ignore"):  # energies that average to 0
            spread = np.std(energies) / abs(np.mean(energies))
            spread_per_atom = np.std(energies / counts) / abs(np.mean(energies / counts))
        convention: FileEnergy = "per_atom" if spread < spread_per_atom else "total"
        return convention, (
            f"{name}: total_energy read as eV {ENERGY_PER[convention]} "
            f"(cells of {int(counts.min())} to {int(counts.max())} atoms; relative spread "
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


def _fingerprint(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return json.dumps(entry, sort_keys=True)
    return json.dumps([entry.get("atoms"), entry.get("total_energy")], sort_keys=True)


def _stress_key(entry: Any) -> str | None:
    stress = entry.get("stresses") if isinstance(entry, Mapping) else None
    try:
        if stress is None or not np.any(np.asarray(stress, dtype=float)):
            return None
    except (TypeError, ValueError):  # not numbers: the entry is refused when it is read
        return None
    return json.dumps(stress)


def _read_entries(
    entries: Iterable[Any], keep_duplicates: bool, keys: TargetKeys
) -> tuple[list[Sample], list[Skipped], int, int, int]:
    """The samples read, the entries skipped, how many entries repeated an earlier one
    exactly (dropped unless ``keep_duplicates``) or carried the very stress of another
    structure (read without it), and how many entries there were. Only entries that could
    be read count as earlier ones."""
    samples, skipped = [], []
    seen: set[str] = set()
    owners: dict[str, str] = {}
    duplicates = copied = total = 0
    for index, item in enumerate(entries):
        total = index + 1
        if isinstance(item, Unparsed):
            skipped.append(Skipped(str(index), item.reason))
            continue
        fingerprint = _fingerprint(item)
        if fingerprint in seen and not keep_duplicates:
            duplicates += 1
            continue
        key = _stress_key(item)
        stress_ok = key is None or owners.get(key, fingerprint) == fingerprint
        try:
            samples.append(read_sample(_entry(item, index, stress_ok), keys))
        except ValueError as failure:
            skipped.append(Skipped(entry_id(item, index), str(failure)))
            continue
        seen.add(fingerprint)
        if key is not None:
            owners.setdefault(key, fingerprint)
        copied += not stress_ok
    return samples, skipped, duplicates, copied, total


def _screen_notes(name: str, total: int, duplicates: int, copied: int) -> list[str]:
    notes = []
    if duplicates:
        notes.append(
            f"{name}: {duplicates} of {total} entries repeat an earlier entry exactly and were "
            f"dropped ({total - duplicates} remain)"
        )
    if copied:
        notes.append(
            f"{name}: {copied} entries carry the very stress of another structure; "
            "their stress is not trusted and reported as no target"
        )
    return notes


def _entry(item: Any, index: int, stress_ok: bool) -> Entry:
    """Entry ``index``, listed; without its stress when that is not trusted."""
    entry = json_entry(item, index)
    if stress_ok or entry.targets is None:
        return entry
    targets = {key: value for key, value in entry.targets.items() if key != "stresses"}
    return replace(entry, targets=targets)


def _per_cell(sample: Sample) -> Sample:
    energy = sample.targets.energy
    if energy is None:
        return sample
    return replace(sample, targets=replace(sample.targets, energy=energy * sample.natoms))


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
    ``total_energy``, ``forces`` (eV/Å) and ``stresses``, read entry by entry
    (`alignn_nb.datasets.stream.json_items`; also gzip-compressed or zipped).

    ``stress="auto"`` assumes VASP's convention (kbar, positive under compression, Voigt
    order xx yy zz xy yz zx), which is what both of alignn's force-field examples hold.
    ``atomwise_key`` defaults to ``"forces"`` as alignn's ``train_alignn`` does. Exact
    duplicate entries are dropped unless ``keep_duplicates``; a non-zero stress identical
    to that of a different structure is dropped from that entry. An entry that cannot be
    read (`alignn_nb.datasets.files.read_sample`) is listed in ``skipped`` with
    its reason; the energy convention is decided on the entries read.

    Raises:
        ValueError: for a file that is not a JSON list, has no readable entry, or whose
            energy convention cannot be told.
    """
    path = Path(path)
    name = path.name
    shard = shard_of(path)
    if shard is None or shard.format != "json":
        raise ValueError(f"{name}: expected alignn's id_prop .json (or .json.gz, .json.zip)")
    stress = "vasp" if stress == "auto" else stress
    keys = TargetKeys(stress, atomwise_key, additional_key)
    found = _read_entries(json_items(shard), keep_duplicates, keys)
    samples, skipped, duplicates, copied, total = found
    notes = _screen_notes(name, total, duplicates, copied)
    dataset = readable(name, samples, skipped)
    if energy == "auto":
        energy, note = _energy_convention(dataset.samples, name)
    else:
        note = f"{name}: total_energy read as eV {ENERGY_PER[energy]} (as told)"
    notes.insert(0, note)
    if energy == "per_atom":
        notes.insert(1, f"{name}: per-atom energies multiplied by the atom count (eV per cell)")
        samples = [_per_cell(sample) for sample in samples]
    notes.append(f"{name}: stresses read as {STRESS_CONVENTIONS[stress][2]}")
    return replace(dataset, samples=tuple(samples), conventions=tuple(notes), file_energy=energy)
