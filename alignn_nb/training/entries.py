"""One entry of a dataset, read: its structure as a checked ``ase.Atoms``, its targets.

`alignn_nb.training.dataset_files` lists a dataset's entries (`Entry`, small enough to
send to a Dask worker); `read_entry` reads one entry's structure and `read_sample` its
targets too. These are the only ways a verb reads an entry: each raises `ValueError`
naming why an entry cannot be read, and nothing else, so that one bad entry fails alone
and every verb refuses it for the same reason.

Structures are read as alignn's training reads them: structure files with jarvis's
readers (``Atoms.from_poscar``, ``from_cif`` with jarvis's own parser, ``from_xyz`` and
``from_pdb`` in a 500 Å box), jarvis atoms dicts with jarvis's own Cartesian
coordinates, extxyz frames with ASE.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from alignn_nb.structures.lapack import one_blas_thread
from alignn_nb.training.datasets import Sample, Skipped, _array, make_sample

FileFormat = Literal["poscar", "cif", "xyz", "pdb"]
FILE_FORMATS: tuple[str, ...] = ("poscar", "cif", "xyz", "pdb")
"""alignn's ``--file_format`` values (``train_alignn.py``)."""
ALIGNN_BOX = 500.0
"""Å; the box alignn puts around an xyz or pdb molecule (``box_size=500``, ``max_lat=500``)."""
ID_KEY = "jid"
"""The id of an id_prop.json entry, as alignn's ``--id_key`` defaults."""

EntryKind = Literal["file", "jarvis", "arrays"]


@dataclass(frozen=True, eq=False)
class Entry:
    """One structure of a dataset, small enough to send to a worker.

    ``kind`` says what ``payload`` is: "file" a ``(path, file_format)`` pair read with
    jarvis; "jarvis" a jarvis atoms dict (``lattice_mat`` Å, ``coords``, ``elements``,
    ``cartesian``); "arrays" ``(numbers, positions Å (N, 3), cell Å (3, 3), pbc (3,))``.
    ``targets`` is the id_prop.json entry itself for a "jarvis" entry (its
    ``total_energy``, ``forces``, ``stresses``... as the file holds them), else None.
    """

    id: str
    kind: EntryKind
    payload: Any
    targets: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TargetKeys:
    """How `read_sample` reads an id_prop.json entry's targets (alignn's defaults).

    ``stress`` is a convention of `alignn_nb.training.datasets.STRESS_CONVENTIONS`;
    ``atomwise_key`` and ``additional_key`` name the entry's keys for alignn's atomwise
    and additional heads (``train_alignn``'s defaults).
    """

    stress: str = "vasp"
    atomwise_key: str = "forces"
    additional_key: str = "additional_output"


def entry_id(item: Any, index: int, id_key: str = ID_KEY) -> str:
    """The id of an id_prop.json entry: its ``id_key`` value, else its index."""
    return str(item.get(id_key, index)) if isinstance(item, Mapping) else str(index)


def json_entry(item: Any, index: int, id_key: str = ID_KEY) -> Entry:
    """Entry ``index`` of alignn's id_prop.json, listed (its structure is read by `read_entry`).

    Raises:
        ValueError: when it is not a dict holding a jarvis ``atoms`` dict.
    """
    if not isinstance(item, Mapping):
        raise ValueError(f"entry {index} is a {type(item).__name__}, not a dict with 'atoms'")
    if not isinstance(item.get("atoms"), Mapping):
        raise ValueError(f"entry {index} has no jarvis 'atoms' dict")
    return Entry(entry_id(item, index, id_key), "jarvis", item["atoms"], targets=item)


def frame_id(atoms: Any, index: int) -> str:
    """The id of an ASE frame: ``info["id"]``, else ``info["jid"]``, else its index."""
    return str(atoms.info.get("id", atoms.info.get("jid", index)))


def extxyz_frames(source: Any) -> Iterator[Any]:
    """Each frame of an extxyz file as ``ase.Atoms``, read one at a time by ASE.

    A frame ASE cannot parse ends the file: a `Skipped` for it is yielded last.
    """
    from ase.io import iread

    frames = iread(source, index=":", format="extxyz")
    index = 0
    while True:
        try:
            atoms = next(frames)
        except StopIteration:
            return
        except Exception as failure:  # ASE raises many types for a malformed frame
            reason = f"ASE could not read frame {index} or any after it: {failure}"
            yield Skipped(f"frame {index}", reason)
            return
        yield atoms
        index += 1


def read_entry(entry: Entry) -> Any:
    """The entry's structure as a checked ``ase.Atoms`` (positions in Å).

    Raises:
        ValueError: naming why it cannot be read or used (quoting jarvis or ASE).
    """
    from alignn_nb.structures.loading import check_structure

    if entry.kind == "file":
        atoms = _read_with_jarvis(*entry.payload)
    elif entry.kind == "jarvis":
        atoms = _from_jarvis_dict(entry.payload)
    else:
        from ase import Atoms

        numbers, positions, cell, pbc = entry.payload
        atoms = Atoms(numbers=numbers, positions=positions, cell=cell, pbc=pbc)
    check_structure(atoms)  # a new object of this function's own: nothing to copy
    return atoms


def read_sample(entry: Entry, keys: TargetKeys = TargetKeys()) -> Sample:
    """The entry's structure (`read_entry`) and its targets (from ``entry.targets``, if any)
    as a checked `Sample`, total_energy as the file holds it.

    This is how every verb reads an entry, so that each refuses one for the same reason.

    Raises:
        ValueError: naming why the structure or a target cannot be read or used.
    """
    atoms = read_entry(entry)
    found = entry.targets or {}
    return make_sample(
        entry.id,
        atoms,
        energy=found.get("total_energy"),
        forces=found.get("forces"),
        stress=found.get("stresses"),
        stress_convention=keys.stress,
        atomwise=found.get(keys.atomwise_key),
        additional=found.get(keys.additional_key),
        where="",
    )


def _from_jarvis_dict(payload: Any) -> Any:
    """A jarvis atoms dict as alignn's training reads it (``Atoms.from_dict``), in ASE.

    ``props`` and ``cartesian`` may be absent (``cartesian`` then False); alignn's
    ``from_dict`` needs both.

    Positions are jarvis's own Cartesian coordinates (fractional ones times its lattice
    rounded to 1e-5 Å, as ``Atoms.cart_coords`` computes them), so k-nearest ties fall as
    in alignn's graphs; `jarvis_arrays` checks the dict first for a clear refusal.
    """
    from alignn_nb.graphs.geometry import jarvis_lattice

    cell, coords, elements = jarvis_arrays(payload)
    if payload.get("cartesian", False):
        return _ase(elements, coords, cell)
    return _ase(elements, np.dot(coords, jarvis_lattice(cell)), cell)


def jarvis_arrays(payload: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(lattice_mat, coords, elements)`` of a jarvis atoms dict, checked.

    Raises:
        ValueError: naming the missing key, the value of the wrong type (elements not
            symbols H to Lr, numbers that are not finite, a ``cartesian`` that is not true
            or false), no atoms, or the mismatched shapes.
    """
    from alignn_nb.structures.loading import check_elements

    if not isinstance(payload, Mapping):
        raise ValueError(f"atoms is a {type(payload).__name__}, not a jarvis atoms dict")
    missing = [key for key in ("lattice_mat", "coords", "elements") if key not in payload]
    if missing:
        raise ValueError(
            f"atoms dict lacks {', '.join(map(repr, missing))} (needs lattice_mat, coords, "
            "elements)"
        )
    if not isinstance(payload.get("cartesian", False), bool):
        raise ValueError(f"cartesian is {payload['cartesian']!r}, not true or false")
    elements = check_elements(payload["elements"])
    if not elements:
        raise ValueError("the structure is empty: it has no atoms")
    cell = _array(payload["lattice_mat"], "lattice_mat", "")
    coords = _array(payload["coords"], "coords", "")
    if cell.shape != (3, 3) or coords.shape != (len(elements), 3):
        raise ValueError(
            f"lattice_mat has shape {cell.shape} and coords {coords.shape} for "
            f"{len(elements)} elements; expected (3, 3) and ({len(elements)}, 3)"
        )
    return cell, coords, elements


def _read_with_jarvis(path: str, file_format: str) -> Any:
    """A structure file read as alignn's train_alignn.py reads it, converted to ASE."""
    from jarvis.core.atoms import Atoms

    readers = {
        "poscar": lambda p: Atoms.from_poscar(p),
        "cif": _jarvis_cif,
        "xyz": lambda p: Atoms.from_xyz(p, box_size=ALIGNN_BOX),
        "pdb": lambda p: Atoms.from_pdb(p, max_lat=ALIGNN_BOX),
    }
    name = Path(path).name
    if not Path(path).is_file():
        raise ValueError(f"no file {name}")
    try:
        with one_blas_thread():
            atoms = readers[file_format](path)
        cell = np.asarray(atoms.lattice_mat, dtype=float)
        return _ase(atoms.elements, np.asarray(atoms.cart_coords, dtype=float), cell)
    except Exception as failure:  # jarvis raises many types for a malformed file
        reason = str(failure) or type(failure).__name__
        raise ValueError(f"jarvis could not read {name} as {file_format}: {reason}") from None


def _jarvis_cif(path: str) -> Any:
    """``Atoms.from_cif(path, use_cif2cell=False)``: jarvis's parse, then its primitive
    cell, found without spglib's search when a large cell has no symmetry (the same
    lattice, atoms and coordinates; `alignn_nb.structures.primitive`)."""
    from jarvis.core.atoms import Atoms

    from alignn_nb.structures.primitive import WORTH_FROM, primitive_without_symmetry

    parsed = Atoms.from_cif(path, use_cif2cell=False, get_primitive_atoms=False)
    numbers = np.asarray(parsed.atomic_numbers)
    found = None
    if len(numbers) >= WORTH_FROM:
        found = primitive_without_symmetry(parsed.lattice_mat, parsed.frac_coords, numbers)
    if found is None:
        return parsed.get_primitive_atoms
    lattice, fractional = found
    names: dict[int, str] = {}  # jarvis names each atomic number after its first atom
    for z, element in zip(numbers.tolist(), parsed.elements, strict=True):
        names.setdefault(z, element)
    return Atoms(
        lattice_mat=lattice,
        elements=[names[z] for z in numbers.tolist()],
        coords=fractional,
        cartesian=False,
    )


def _ase(elements: list[str], positions: np.ndarray, cell: np.ndarray) -> Any:
    from ase import Atoms

    from alignn_nb.structures.loading import check_elements

    if len(elements) == 0:
        raise ValueError("no atoms in it")
    return Atoms(symbols=check_elements(elements), positions=positions, cell=cell, pbc=True)
