"""The structures of a training, checked and written as alignn's ``train_for_folder`` reads them.

`inspect_data` lists a dataset with `alignn_nb.datasets.files.open_dataset` and
checks that every structure carries the targets the config trains on, the way
``train_for_folder`` reads them (`needed_targets`); `write_data` then puts into the run's
``alignn-nb/data/`` what ``train_for_folder`` reads:

- alignn's ``id_prop.json`` (or ``.json.zip``), from a folder or given alone: copied as it
  is, so alignn reads the very same file;
- alignn's folder with ``id_prop.csv``: the csv and its structure files, copied, read
  with one ``file_format``;
- an extxyz file: converted to alignn's ``id_prop.json``, with ``total_energy`` in eV per
  atom when the model multiplies its output by the atom count (``energy_mult_natoms``,
  alignn's default) and per cell otherwise, forces in eV/Å and stresses as 3×3 in GPa with
  the sign of alignn's stress head (`alignn_nb.datasets.dataset`).

``source.json`` beside them says where they came from and how. Nothing is written by
`inspect_data`.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignn_nb.datasets import DatasetFiles, open_dataset
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
    """A checked dataset: its source, layout (id_prop.json, id_prop.json.zip, id_prop.csv
    or extxyz), listed structures in file order, and for extxyz the dataset read."""

    source: Path
    layout: str
    files: DatasetFiles
    file_format: str | None = None
    dataset: Any = None

    @property
    def structures(self) -> int:
        return len(self.files.entries)


def inspect_data(source: str | Path, config: Mapping[str, Any]) -> DataPlan:
    """Check ``source`` for a training with ``config`` (alignn's whole config dict).

    Raises:
        Refused: one line, for a dataset that cannot be read, an entry that cannot be
            used, or structures without a target the config trains on.
    """
    path = Path(source)
    try:
        files = open_dataset(path)
    except (OSError, ValueError) as failure:
        raise Refused(str(failure)) from None
    if files.skipped:
        first = files.skipped[0]
        raise Refused(
            f"{files.name}: {len(files.skipped)} of {len(files.skipped) + len(files.entries)} "
            f"entries cannot be used; the first, {first.id!r}: {first.reason}"
        )
    needs = needed_targets(config)
    if files.layout == "extxyz":
        return DataPlan(path, "extxyz", files, dataset=_extxyz(path, files, needs))
    if files.layout == "structure folder":
        raise Refused(f"{files.name}: structure files without targets: nothing to train on")
    if files.layout.startswith("alignn folder (id_prop.csv"):
        return DataPlan(path, "id_prop.csv", files, file_format=_csv_format(files, needs))
    json_path = _json_path(path)
    entries = _json_entries(json_path)
    _refuse_missing(files.name, len(entries), _json_problems(entries, needs))
    layout = "id_prop.json.zip" if json_path.name.lower().endswith(".zip") else "id_prop.json"
    return DataPlan(json_path, layout, files)


def _json_path(path: Path) -> Path:
    if not path.is_dir():
        return path
    zipped = path / "id_prop.json.zip"
    return zipped if zipped.is_file() else path / "id_prop.json"


def _json_entries(path: Path) -> list[Any]:
    if path.name.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            return list(json.loads(archive.read("id_prop.json")))
    return list(json.loads(path.read_text()))


def _csv_format(files: DatasetFiles, needs: Sequence[tuple[str, str]]) -> str:
    others = [_trained(key, why) for key, why in needs if key != TARGET_KEY]
    if others:
        raise Refused(
            f"{files.name} holds one row of targets per structure file, without "
            f"{' or '.join(others)}, which the config trains on: give alignn's force-field "
            "id_prop.json or an extxyz file"
        )
    formats = sorted({entry.payload[1] for entry in files.entries})
    if len(formats) > 1:
        raise Refused(
            f"{files.name} names structure files of {len(formats)} formats "
            f"({', '.join(formats)}); alignn reads one format per folder (--file_format)"
        )
    return str(formats[0])


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


def _json_problems(
    entries: Sequence[Any], needs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """``(problem, why) → ids`` of the entries whose target cannot be used."""
    found: dict[tuple[str, str], list[str]] = {}
    for index, entry in enumerate(entries):
        natoms = len(entry["atoms"].get("elements", []))
        for key, why in needs:
            problem = _checked(key, entry.get(key), natoms)
            if problem is not None:
                found.setdefault((problem, why), []).append(str(entry.get("jid", index)))
    return found


def _refuse_missing(name: str, total: int, problems: Mapping[tuple[str, str], list[str]]) -> None:
    if not problems:
        return
    (problem, why), ids = next(iter(problems.items()))
    weight = f" ({why})" if why else ""
    raise Refused(
        f"{name}: {len(ids)} of {total} structures {problem}, which the config trains "
        f"on{weight}; the first: {ids[0]!r}"
    )


def _extxyz(path: Path, files: DatasetFiles, needs: Sequence[tuple[str, str]]) -> Any:
    from alignn_nb.datasets import load_dataset

    try:
        dataset = load_dataset(path)
    except (OSError, ValueError) as failure:
        raise Refused(str(failure)) from None
    attribute = {TARGET_KEY: "energy", "forces": "forces", "stresses": "stress"}
    problems: dict[tuple[str, str], list[str]] = {}
    for key, why in needs:
        name = attribute.get(key)
        lacking = [s.id for s in dataset if name is None or not s.targets.has(name)]
        if lacking:
            problems[(f"lack {key}", why)] = lacking
    _refuse_missing(files.name, len(dataset), problems)
    return dataset


def id_prop_entries(dataset: Any, per_atom: bool) -> list[dict[str, Any]]:
    """alignn's id_prop.json entries of a `Dataset`: total_energy in eV per atom
    (``per_atom``) or per cell, forces eV/Å, stresses 3×3 GPa in alignn's sign."""
    from jarvis.core.atoms import ase_to_atoms

    return [
        {
            "jid": sample.id,
            "atoms": ase_to_atoms(sample.atoms).to_dict(),
            TARGET_KEY: sample.targets.energy / (sample.natoms if per_atom else 1),
            "forces": None if sample.targets.forces is None else sample.targets.forces.tolist(),
            "stresses": None if sample.targets.stress is None else sample.targets.stress.tolist(),
        }
        for sample in dataset
    ]


def write_data(plan: DataPlan, folder: Path, config: Mapping[str, Any]) -> str:
    """Write ``plan``'s structures into ``folder`` (made) as ``train_for_folder`` reads
    them, and ``source.json``; returns the note saying how."""
    folder.mkdir(parents=True, exist_ok=True)
    if plan.layout == "extxyz":
        per_atom = bool(config.get("model", {}).get("energy_mult_natoms", True))
        entries = id_prop_entries(plan.dataset, per_atom)
        (folder / "id_prop.json").write_text(json.dumps(entries))
        unit = "per atom (energy_mult_natoms is on)" if per_atom else "per cell"
        note = (
            f"converted from extxyz to alignn's id_prop.json: total_energy in eV {unit}, "
            "forces in eV/Å, stresses as 3×3 in GPa with the sign of alignn's stress head"
        )
    elif plan.layout == "id_prop.csv":
        shutil.copyfile(plan.source / "id_prop.csv", folder / "id_prop.csv")
        for entry in plan.files.entries:
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
