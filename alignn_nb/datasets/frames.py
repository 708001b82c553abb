"""Datasets from `ase.Atoms` frames: structures whose calculators hold energy, forces and
stress in ASE's units, and extended-XYZ files read frame by frame."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ase import Atoms

from alignn_nb.datasets.dataset import (
    STRESS_CONVENTIONS,
    Dataset,
    Sample,
    Skipped,
    make_sample,
    readable,
)
from alignn_nb.datasets.entries import extxyz_frames, frame_id
from alignn_nb.datasets.stream import open_binary, shard_of


def _ase_target(atoms: Atoms, getter: str, **kwargs: Any) -> Any:
    from ase.calculators.calculator import PropertyNotImplementedError

    if atoms.calc is None:
        return None
    try:
        return getattr(atoms, getter)(**kwargs)
    except (PropertyNotImplementedError, RuntimeError, KeyError):
        return None


def atoms_sample(atoms: Atoms, index: int, atomwise_key: str = "forces") -> Sample:
    """One `ase.Atoms` frame as a checked `Sample` (a copy), its targets in ASE units.

    The id is ``atoms.info["id"]`` (or ``"jid"``, else ``index``); energy is total eV,
    forces eV/Å, stress ASE's eV/Å³ (positive under tension) multiplied by 160.21766208
    to GPa. Missing results become missing targets.

    Raises:
        ValueError: for a structure `check_structure` refuses or a target of the wrong shape.
    """
    from alignn_nb.structures import check_structure

    sample_id = frame_id(atoms, index)
    check_structure(atoms)
    forces = _ase_target(atoms, "get_forces")
    return make_sample(
        sample_id,
        atoms.copy(),
        energy=_ase_target(atoms, "get_potential_energy"),
        forces=forces,
        stress=_ase_target(atoms, "get_stress", voigt=False),
        stress_convention="ase",
        atomwise=forces if atomwise_key == "forces" else atoms.arrays.get(atomwise_key),
    )


def from_atoms(
    frames: Iterable[Atoms | Skipped], name: str = "structures", atomwise_key: str = "forces"
) -> Dataset:
    """A dataset from `ase.Atoms` whose calculators hold energy, forces and stress (ASE units).

    Each frame is read by `atoms_sample`; one it refuses is listed in ``skipped`` with the
    reason, and so is a `Skipped` among ``frames`` (an unreadable frame of a file).

    Raises:
        ValueError: when no frame could be read.
    """
    samples, skipped = [], []
    for index, atoms in enumerate(frames):
        if isinstance(atoms, Skipped):
            skipped.append(atoms)
            continue
        try:
            samples.append(atoms_sample(atoms, index, atomwise_key))
        except ValueError as failure:
            skipped.append(Skipped(frame_id(atoms, index), str(failure)))
    notes = (f"{name}: energies as total eV, forces eV/Å, {STRESS_CONVENTIONS['ase'][2]}",)
    return readable(name, samples, skipped, conventions=notes)


def read_extxyz(path: str | os.PathLike, atomwise_key: str = "forces") -> Dataset:
    """Every frame of an extended-XYZ file, read by ASE, with its energy, forces and stress.

    A frame ASE cannot parse ends the file: it is listed in ``skipped``, the frames before
    it are read.
    """
    path = Path(path)
    shard = shard_of(path)
    if shard is None or shard.format != "extxyz":
        return from_atoms(extxyz_frames(path), name=path.name, atomwise_key=atomwise_key)
    with open_binary(shard) as handle:
        frames = extxyz_frames(io.TextIOWrapper(handle, encoding="utf-8"))
        return from_atoms(frames, name=path.name, atomwise_key=atomwise_key)
