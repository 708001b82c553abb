"""`load_dataset`: one entry point for every dataset source (alignn's id_prop.json, an
extxyz file, `ase.Atoms` or "default")."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ase import Atoms

from alignn_nb.datasets.dataset import Dataset, empty_dataset
from alignn_nb.datasets.example_data import default_dataset
from alignn_nb.datasets.frames import from_atoms, read_extxyz
from alignn_nb.datasets.id_prop import read_id_prop
from alignn_nb.datasets.stream import shard_of


def load_dataset(source: str | os.PathLike | Dataset | Sequence[Atoms], **options: Any) -> Dataset:
    """A `Dataset` from alignn's ``id_prop.json``, an extxyz file (either also gzip-compressed,
    read entry by entry), `ase.Atoms` or "default".

    ``options`` go to `read_id_prop` (energy, stress, atomwise_key, additional_key,
    keep_duplicates) or, for extxyz, ``atomwise_key``.

    Raises:
        ValueError: for an unreadable or empty file or a target of the wrong shape,
            naming the sample.
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
    shard = shard_of(path)
    if shard is not None and shard.format == "json":
        dataset = read_id_prop(path, **options)
    elif shard is not None and shard.format == "extxyz":
        dataset = read_extxyz(path, **options)
    else:
        raise ValueError(f"{path.name}: expected alignn's id_prop .json or an .xyz/.extxyz file")
    if not len(dataset):
        raise empty_dataset(path.name, dataset.skipped)
    return replace(dataset, path=str(path))
