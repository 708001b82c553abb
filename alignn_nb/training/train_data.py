"""The structures of a training, checked and written as alignn's ``train_for_folder`` reads them.

`inspect_data` reads a dataset entry by entry (`alignn_nb.datasets.stream`) and
checks that every structure carries the targets the config trains on, the way
``train_for_folder`` reads them (`needed_targets`); `write_data` then puts into the run's
``alignn-nb/data/`` what ``train_for_folder`` reads, again entry by entry:

- alignn's ``id_prop.json`` (or ``.json.zip``), from a folder or given alone: copied as it
  is, so alignn reads the very same file;
- alignn's folder with ``id_prop.csv``: the csv and its structure files, copied, read
  with one ``file_format``;
- anything else (an extxyz file, a gzip-compressed file, a folder or glob of shards):
  written as one alignn ``id_prop.json``; json entries are copied byte for byte, extxyz
  frames converted with ``total_energy`` in eV per atom when the model multiplies its
  output by the atom count (``energy_mult_natoms``, alignn's default) and per cell
  otherwise, forces in eV/Å and stresses as 3×3 in GPa with the sign of alignn's stress
  head (`alignn_nb.datasets.dataset`).

``source.json`` beside them says where they came from and how. Nothing is written by
`inspect_data`.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from alignn_nb.datasets import (
    DatasetSource,
    Sample,
    Shard,
    Skipped,
    empty_dataset,
    iter_entries,
    open_binary,
    open_source,
)
from alignn_nb.training.train_request import Refused

TARGET_KEY = "total_energy"
"""The key ``train_for_folder`` reads the graph-level target from (its ``target_key``)."""


def needed_targets(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(id_prop key, why)`` of every target ``train_for_folder`` reads for ``config``
    (alignn's whole config dict): the energy always, forces, stresses and the additional
    output where their weights are not 0. ``why`` names the weight ("" for the energy)."""
    model = config.get("model", {})
    gradient = bool(model.get("calculate_gradient", True))
    needs = [(TARGET_KEY, "")]
    weights = (
        ("forces", "gradwise_weight", gradient),
        ("stresses", "stresswise_weight", gradient),
        ("forces", "atomwise_weight", True),
    )
    for key, weight, on in weights:
        if on and model.get(weight, 0) != 0 and key not in dict(needs):
            needs.append((key, f"{weight} {model[weight]:g}"))
    weight = model.get("additional_output_weight", 0)
    if model.get("additional_output_features", 0) > 0 and weight:
        needs.append(("additional_output", f"additional_output_weight {weight:g}"))
    return needs


def _trained(key: str, why: str) -> str:
    return f"{key} ({why})" if why else key


@dataclass(frozen=True, eq=False)
class DataPlan:
    """A checked dataset: the path read, its layout (``id_prop.json`` or
    ``id_prop.json.zip``, copied; ``id_prop.csv``, copied with its files; or
    ``converted``, written as one id_prop.json), its name, how many structures it holds,
    and what it is (`DatasetSource`)."""

    source: Path
    layout: str
    name: str
    structures: int
    origin: DatasetSource
    file_format: str | None = None


def inspect_data(source: str | Path, config: Mapping[str, Any]) -> DataPlan:
    """Check ``source`` for a training with ``config`` (alignn's whole config dict), entry
    by entry: nothing of the dataset's size is held.

    Raises:
        Refused: one line, for a dataset that cannot be read, an entry that cannot be
            used, or structures without a target the config trains on.
    """
    path = Path(source)
    needs = needed_targets(config)
    try:
        found = open_source(path)
        if found.layout == "structure folder":
            raise Refused(f"{found.name}: structure files without targets: nothing to train on")
        total, formats = _check_entries(found, needs)
    except Refused:
        raise
    except (OSError, ValueError) as failure:
        raise Refused(str(failure)) from None
    if found.layout.startswith("alignn folder (id_prop.csv"):
        fmt = _csv_format(found.name, formats, needs)
        return DataPlan(path, "id_prop.csv", found.name, total, found, fmt)
    shard = found.shards[0]
    if len(found.shards) == 1 and shard.format == "json" and shard.compression != "gzip":
        layout = "id_prop.json.zip" if shard.compression == "zip" else "id_prop.json"
        return DataPlan(Path(shard.path), layout, found.name, total, found)
    layout = "extxyz" if found.layout == "extxyz" else "converted"
    return DataPlan(path, layout, found.name, total, found)


@dataclass
class _Problems:
    """The first problem found, and how many entries have it."""

    first: tuple[tuple[str, str], str] | None = None
    count: int = 0

    def add(self, problem: tuple[str, str], entry: str) -> None:
        if self.first is None:
            self.first = (problem, entry)
        if self.first[0] == problem:
            self.count += 1


@dataclass
class _Checked:
    total: int = 0
    formats: set[str] = field(default_factory=set)
    skipped: _Problems = field(default_factory=_Problems)
    lacking: _Problems = field(default_factory=_Problems)
    unusable: int = 0
    first_unusable: Skipped | None = None

    def skip(self, item: Skipped) -> None:
        self.skipped.add((item.reason, ""), item.id)
        self.unusable += 1
        self.first_unusable = self.first_unusable or item


def _check_entries(found: DatasetSource, needs: Sequence[tuple[str, str]]) -> tuple[int, set[str]]:
    """Count and check every entry, one at a time; refuse the first problem.

    Returns:
        the number of structures and the formats of an id_prop.csv's files.
    """
    checked = _Checked()
    for shard in found.shards:
        if shard.format == "extxyz":
            _check_frames(shard, needs, checked)
            continue
        for item in iter_entries(
            DatasetSource(found.name, found.layout, (shard,), found.file_format)
        ):
            checked.total += 1
            if isinstance(item, Skipped):
                checked.skip(item)
            elif item.kind == "file":
                checked.formats.add(item.payload[1])
            else:
                natoms = len(item.payload.get("elements", []))
                for key, why in needs:
                    problem = _checked(key, (item.targets or {}).get(key), natoms)
                    if problem is not None:
                        checked.lacking.add((problem, why), item.id)
    if checked.unusable == checked.total:
        named = [checked.first_unusable] if checked.first_unusable else []
        raise Refused(str(empty_dataset(found.name, named, checked.unusable)))
    if checked.skipped.first is not None:
        (reason, _), first = checked.skipped.first
        raise Refused(
            f"{found.name}: {checked.skipped.count} of {checked.total} entries cannot be used; "
            f"the first, {first!r}: {reason}"
        )
    _refuse_missing(found.name, checked.total, checked.lacking)
    return checked.total, checked.formats


def _check_frames(shard: Shard, needs: Sequence[tuple[str, str]], checked: _Checked) -> None:
    """An extxyz shard's frames and their targets, read as `from_atoms` reads them."""
    attribute = {TARGET_KEY: "energy", "forces": "forces", "stresses": "stress"}
    for sample in frame_samples(shard):
        checked.total += 1
        if isinstance(sample, Skipped):
            checked.skip(sample)
            continue
        for key, why in needs:
            name = attribute.get(key)
            if name is None or not sample.targets.has(name):
                checked.lacking.add((f"lack {key}", why), sample.id)


def frame_samples(shard: Shard) -> Iterator[Sample | Skipped]:
    """Each frame of an extxyz shard as a checked `Sample` (ASE units, see
    `alignn_nb.datasets.dataset.atoms_sample`), or `Skipped` with the reason."""
    from alignn_nb.datasets import atoms_sample, extxyz_frames, frame_id

    with open_binary(shard) as handle:
        for index, atoms in enumerate(extxyz_frames(io.TextIOWrapper(handle, encoding="utf-8"))):
            if isinstance(atoms, Skipped):
                yield atoms
                continue
            try:
                yield atoms_sample(atoms, index)
            except ValueError as failure:
                yield Skipped(frame_id(atoms, index), str(failure))


def _csv_format(name: str, formats: set[str], needs: Sequence[tuple[str, str]]) -> str:
    others = [_trained(key, why) for key, why in needs if key != TARGET_KEY]
    if others:
        raise Refused(
            f"{name} holds one row of targets per structure file, without "
            f"{' or '.join(others)}, which the config trains on: give alignn's force-field "
            "id_prop.json or an extxyz file"
        )
    if len(formats) > 1:
        raise Refused(
            f"{name} names structure files of {len(formats)} formats "
            f"({', '.join(sorted(formats))}); alignn reads one format per folder (--file_format)"
        )
    return str(next(iter(formats)))


def _checked(key: str, value: Any, natoms: int) -> str | None:
    """Why ``value`` is not a usable ``key`` target for a structure of ``natoms``, or None."""
    if value is None:
        return f"lack {key}"
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return f"have non-numeric {key}"
    if not np.all(np.isfinite(array)):
        return f"have NaN or infinite {key}"
    shapes: dict[str, list[tuple[int, ...]]] = {"forces": [(natoms, 3)], "stresses": [(3, 3), (6,)]}
    wanted = shapes.get(key)
    if wanted is not None and array.shape not in wanted:
        return f"have {key} of a shape other than {' or '.join(str(s) for s in wanted)}"
    return None


def _refuse_missing(name: str, total: int, problems: _Problems) -> None:
    if problems.first is None:
        return
    (problem, why), first = problems.first
    weight = f" ({why})" if why else ""
    raise Refused(
        f"{name}: {problems.count} of {total} structures {problem}, which the config trains "
        f"on{weight}; the first: {first!r}"
    )


def id_prop_entry(sample: Sample, per_atom: bool) -> dict[str, Any]:
    """alignn's id_prop.json entry of a `Sample`: total_energy in eV per atom
    (``per_atom``) or per cell, forces eV/Å, stresses 3×3 GPa in alignn's sign."""
    from jarvis.core.atoms import ase_to_atoms

    energy = sample.targets.energy
    return {
        "jid": sample.id,
        "atoms": ase_to_atoms(sample.atoms).to_dict(),
        TARGET_KEY: None if energy is None else energy / (sample.natoms if per_atom else 1),
        "forces": None if sample.targets.forces is None else sample.targets.forces.tolist(),
        "stresses": None if sample.targets.stress is None else sample.targets.stress.tolist(),
    }


def _write_converted(plan: DataPlan, target: Path, per_atom: bool) -> None:
    """One id_prop.json of every shard, written entry by entry."""
    from alignn_nb.datasets import split_json_array

    with open(target, "wb") as out:
        out.write(b"[")
        first = True
        for shard in plan.origin.shards:
            pieces: Iterator[bytes]
            if shard.format == "json":
                pieces = _raw_json(shard, split_json_array)
            else:
                pieces = (
                    json.dumps(id_prop_entry(s, per_atom)).encode()
                    for s in frame_samples(shard)
                    if isinstance(s, Sample)
                )
            for piece in pieces:
                out.write((b"\n" if first else b",\n") + piece)
                first = False
        out.write(b"\n]\n")


def _raw_json(shard: Shard, split: Any) -> Iterator[bytes]:
    handle: IO[bytes]
    with open_binary(shard) as handle:
        for _, raw in split(handle, shard.name):
            yield raw


def write_data(plan: DataPlan, folder: Path, config: Mapping[str, Any]) -> str:
    """Write ``plan``'s structures into ``folder`` (made) as ``train_for_folder`` reads
    them, and ``source.json``; returns the note saying how."""
    folder.mkdir(parents=True, exist_ok=True)
    if plan.layout in ("extxyz", "converted"):
        per_atom = bool(config.get("model", {}).get("energy_mult_natoms", True))
        _write_converted(plan, folder / "id_prop.json", per_atom)
        unit = "per atom (energy_mult_natoms is on)" if per_atom else "per cell"
        what = "extxyz" if plan.layout == "extxyz" else plan.origin.layout
        note = (
            f"converted from {what} to alignn's id_prop.json: total_energy in eV {unit}, "
            "forces in eV/Å, stresses as 3×3 in GPa with the sign of alignn's stress head"
        )
    elif plan.layout == "id_prop.csv":
        shutil.copyfile(plan.source / "id_prop.csv", folder / "id_prop.csv")
        for entry in iter_entries(plan.origin):
            if isinstance(entry, Skipped):
                continue
            target = folder / entry.id
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry.payload[0], target)
        note = f"id_prop.csv and its structure files copied, read as {plan.file_format}"
    else:
        shutil.copyfile(plan.source, folder / plan.layout)
        note = f"alignn's {plan.layout} copied as it is"
    record = {
        "source": str(plan.source),
        "layout": plan.layout,
        "structures": plan.structures,
        "file_format": plan.file_format,
        "note": note,
    }
    (folder / "source.json").write_text(json.dumps(record, indent=1))
    return note
