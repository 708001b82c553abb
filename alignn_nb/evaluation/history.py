"""alignn's per-epoch loss history from a training output folder.

alignn 2026.8.11's ``train_dgl`` rewrites ``history_train.json`` and ``history_val.json`` in
its output folder after every epoch: a JSON list with one row per epoch so far, each row
``[total, graphwise, atomwise, gradwise, stresswise, additional]``.

How the values are normalised: each term is the *weighted* term (weight × criterion, the
criterion being the mean absolute error over every element of a batch) averaged over the
epoch's batches, so every batch counts the same whatever its size; the total is the sum of
the five. The training row is accumulated while the weights change during the epoch; the
validation row is computed with the weights at the end of the epoch. Under distributed
training the means are also averaged over ranks. A term that does not apply is written as
0, so an all-zero column is read as "not in the loss".
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alignn_nb.loss import TERMS

COLUMNS = ("total", *TERMS)
FILES = {"train": "history_train.json", "val": "history_val.json"}


@dataclass(frozen=True, eq=False)
class AlignnHistory:
    """Per-epoch loss rows of one alignn run; ``train`` and ``val`` have shape (epochs, 6)."""

    folder: Path
    train: np.ndarray
    val: np.ndarray | None

    def __repr__(self) -> str:
        val = f", {len(self.val)} val epochs" if self.val is not None else ", no val"
        return f"AlignnHistory({self.folder.name!r}, {len(self.train)} train epochs{val})"

    @property
    def epochs(self) -> int:
        """Epochs in the training history."""
        return len(self.train)

    def series(self, name: str, split: str = "train") -> np.ndarray:
        """The per-epoch values of column ``name`` ("total" or a term) for "train" or "val"."""
        if name not in COLUMNS:
            raise ValueError(f"unknown column {name!r}; columns are {', '.join(COLUMNS)}")
        rows = self.train if split == "train" else self.val
        if rows is None:
            raise ValueError(f"{self.folder} has no {FILES['val']}")
        return rows[:, COLUMNS.index(name)]

    def active_terms(self) -> tuple[str, ...]:
        """Terms with a non-zero value in some epoch of either split."""
        rows = self.train if self.val is None else np.vstack([self.train, self.val])
        return tuple(name for i, name in enumerate(TERMS) if np.any(rows[:, i + 1] != 0))


def _read_rows(path: Path) -> np.ndarray:
    """The (epochs, 6) rows of one history file."""
    try:
        rows = json.loads(path.read_text())
    except json.JSONDecodeError as failure:
        raise ValueError(f"{path.name} is not valid JSON: {failure}") from None
    try:
        array = np.asarray(rows, dtype=float)
    except (TypeError, ValueError):
        array = np.empty(0)
    if array.ndim != 2 or array.shape[1] != len(COLUMNS) or len(array) == 0:
        raise ValueError(
            f"{path.name}: expected one row per epoch of {len(COLUMNS)} numbers "
            f"({', '.join(COLUMNS)}), as alignn's train_dgl writes for alignn_atomwise"
        )
    return array


def load_history(folder: str | os.PathLike) -> AlignnHistory:
    """``history_train.json`` (required) and ``history_val.json`` (optional) from ``folder``.

    Raises:
        FileNotFoundError: when the folder or its history_train.json is missing.
        ValueError: when a file is not alignn's per-epoch six-column history.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no alignn output folder at {folder}")
    train_path = folder / FILES["train"]
    if not train_path.is_file():
        raise FileNotFoundError(
            f"{folder} has no {FILES['train']}; alignn writes it into its output_dir after each "
            "epoch"
        )
    val_path = folder / FILES["val"]
    val = _read_rows(val_path) if val_path.is_file() else None
    return AlignnHistory(folder=folder, train=_read_rows(train_path), val=val)
