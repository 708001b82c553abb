"""alignn's own ``train_for_folder`` on a small EMT force-field set, kept inside a folder.

`write_id_prop` writes alignn's ``id_prop.json`` for a `Dataset`; `train_alignn` runs
alignn's training loop on it with a config dict, with the working directory set to the
run's root (alignn writes its LMDB caches ``sample*_data`` there) and the process-wide
settings ``train_dgl`` changes (environment variables, torch's default dtype) restored
afterwards. Used by the loss, history and evaluation tests.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from alignn_nb.datasets import Dataset


def id_prop_entries(dataset: Dataset, per_atom: bool) -> list[dict[str, Any]]:
    """alignn's id_prop.json entries: energy in eV per atom (``per_atom``) or per cell,
    forces in eV/Å and stress as 3×3 matrices in GPa (alignn's stress-head units)."""
    from jarvis.core.atoms import ase_to_atoms

    return [
        {
            "jid": sample.id,
            "atoms": ase_to_atoms(sample.atoms).to_dict(),
            "total_energy": sample.targets.energy / (sample.natoms if per_atom else 1),
            "forces": sample.targets.forces.tolist(),
            "stresses": sample.targets.stress.tolist(),
        }
        for sample in dataset
    ]


def write_id_prop(folder: Path, dataset: Dataset, per_atom: bool) -> Path:
    """``folder/id_prop.json`` (the folder is made) for ``dataset``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "id_prop.json"
    path.write_text(json.dumps(id_prop_entries(dataset, per_atom)))
    return path


@contextlib.contextmanager
def contained(folder: Path) -> Iterator[None]:
    """Run alignn inside ``folder`` (its LMDB caches land in the working directory) and undo
    the process-wide settings train_dgl changes (environment, default dtype)."""
    environ, dtype = dict(os.environ), torch.get_default_dtype()
    try:
        with contextlib.chdir(folder):
            yield
    finally:
        torch.set_default_dtype(dtype)
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        os.environ.update(environ)


def train_alignn(root: Path, config: Mapping[str, Any], id_prop: Path) -> Path:
    """alignn's ``train_for_folder`` on ``id_prop``'s folder with the training ``config``
    (a dict; ``output_dir`` is set to ``root/output``), all of it inside ``root``.

    Returns the output folder.
    """
    from alignn.train_alignn import train_for_folder

    output = root / "output"
    (root / "config.json").write_text(json.dumps({**config, "output_dir": str(output)}))
    with contained(root):
        train_for_folder(
            root_dir=str(id_prop.parent), config_name=str(root / "config.json"), output_dir=None
        )
    return output


#: A small alignn_atomwise run: 8 EMT Cu/Al cells (4 train, 2 val, 2 test), 2 epochs.
SMALL_RUN = {
    "dataset": "user_data",
    "target": "target",
    "atom_features": "atomic_number",
    "neighbor_strategy": "k-nearest",
    "id_tag": "jid",
    "random_seed": 123,
    "n_train": 4,
    "n_val": 2,
    "n_test": 2,
    "epochs": 2,
    "batch_size": 2,
    "learning_rate": 0.001,
    "filename": "run",
    "use_lmdb": True,
    "num_workers": 0,
    "cutoff": 8.0,
    "max_neighbors": 12,
    "keep_data_order": True,
    "write_predictions": False,
    "model": {
        "name": "alignn_atomwise",
        "atom_input_features": 1,
        "alignn_layers": 1,
        "gcn_layers": 1,
        "hidden_features": 16,
        "embedding_features": 16,
        "graphwise_weight": 1.0,
        "gradwise_weight": 0.5,
        "stresswise_weight": 0.1,
    },
}
SMALL_RUN_SIZE = 8


@dataclass(frozen=True)
class TrainedFolder:
    """Where alignn's run lives: its root, the id_prop.json it read and its output_dir."""

    root: Path
    data: Path
    output: Path


def train_small_run(root: Path) -> TrainedFolder:
    """alignn's `SMALL_RUN` on `SMALL_RUN_SIZE` EMT cells (energies in eV per atom)."""
    from alignn_nb.datasets import default_dataset

    data = write_id_prop(root / "data", default_dataset(size=SMALL_RUN_SIZE), per_atom=True)
    return TrainedFolder(root, data, train_alignn(root, SMALL_RUN, data))


def changed_copy(output: Path, folder: Path, energy_shift: float, **changes: Any) -> Path:
    """A second run to compare with: a copy of alignn's output folder ``output`` at
    ``folder`` (same histories) whose config.json has the top-level ``changes`` and whose
    best_model.pt predicts ``energy_shift`` more (the readout's bias, in its unit)."""
    import shutil

    shutil.copytree(output, folder)
    state = torch.load(output / "best_model.pt", weights_only=True)
    torch.save({**state, "fc.bias": state["fc.bias"] + energy_shift}, folder / "best_model.pt")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **changes}))
    return folder
