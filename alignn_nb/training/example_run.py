"""The trained example run alignn-nb ships, and the recipe that makes it with alignn itself.

``alignn_nb/datasets/examples/mlearn_Si_run/`` is an output folder of alignn's own
``train_for_folder``: alignn's DGL config for mlearn Si
(``alignn_nb/config/presets/mlearn_Si_config_dgl.json``) made tiny by `CHANGES`, trained
on the first `SUBSET` entries of the shipped ``examples/mlearn_Si_id_prop.json``. Only
what `alignn_nb.evaluation.load_run` and the Explore tab read is kept (`KEPT`), beside a
README that gives its provenance. Its data is the shipped mlearn Si file itself: the
run's split names ids of its first entries.

``make example-run`` (``python -m alignn_nb.training.example_run``) makes it again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from alignn_nb.datasets import EXAMPLES, example_dataset_path

EXAMPLE_RUN = "mlearn_Si_run"
"""The example run's folder name in the shipped examples (`alignn_nb.datasets.EXAMPLES`)."""
SUBSET = 24
"""The run trains, validates and tests on this many first entries of mlearn Si."""
PRESET = "mlearn_Si_config_dgl.json"
"""alignn's config the recipe starts from (in ``alignn_nb/config/presets/``)."""
CHANGES: dict[str, Any] = {
    "n_train": 16,
    "n_val": 4,
    "n_test": 4,
    "epochs": 8,
    "batch_size": 4,
    "learning_rate": 0.01,
    "progress": False,
    "write_predictions": False,
}
"""The training keys the recipe changes: 16/4/4 structures (in file order, as the preset's
keep_data_order says), 8 epochs of 4 steps at a learning rate of 0.01."""
MODEL_CHANGES: dict[str, Any] = {
    "alignn_layers": 1,
    "gcn_layers": 1,
    "edge_input_features": 16,
    "triplet_input_features": 16,
    "embedding_features": 16,
    "hidden_features": 16,
    "force_mult_natoms": False,
}
"""The model keys the recipe changes: one layer of each kind, 16 features wide, and
force_mult_natoms off (alignn's default): on, alignn multiplies the forces by the atom
count of the whole batch, so they change with the batch size."""
KEPT = (
    "config.json",
    "best_model.pt",
    "history_train.json",
    "history_val.json",
    "ids_train_val_test.json",
)
"""alignn's output files the example keeps: what `load_run` and the Explore tab read."""


def example_run_path() -> Path:
    """The shipped example run: an alignn output folder (see `KEPT`)."""
    return EXAMPLES / EXAMPLE_RUN


def example_run_data() -> Path:
    """The structures the example run was trained on: the shipped mlearn Si id_prop.json."""
    return example_dataset_path("mlearn_Si")


def recipe() -> dict[str, Any]:
    """alignn's training config of the example run; its output_dir is relative, so no path
    of the machine that made it is written into the run's config.json."""
    presets = Path(__file__).resolve().parent.parent / "config" / "presets"
    config = json.loads((presets / PRESET).read_text())
    config.update(CHANGES)
    config["model"] = {**config["model"], **MODEL_CHANGES}
    return {**config, "output_dir": EXAMPLE_RUN}


@contextlib.contextmanager
def _contained(folder: Path) -> Iterator[None]:
    """Work in ``folder`` (alignn writes its LMDB caches to the working directory) and undo
    the process-wide settings alignn's training changes (environment, default dtype)."""
    import torch

    environ, dtype = dict(os.environ), torch.get_default_dtype()
    try:
        with contextlib.chdir(folder):
            yield
    finally:
        torch.set_default_dtype(dtype)
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        os.environ.update(environ)


def train_example_run(folder: str | os.PathLike) -> Path:
    """Train the example run with alignn's ``train_for_folder`` and keep `KEPT` in ``folder``
    (made, or emptied of alignn's files first), with its README. Returns ``folder``."""
    from alignn.train_alignn import train_for_folder

    folder = Path(folder)
    entries = json.loads(example_run_data().read_text())[:SUBSET]
    with tempfile.TemporaryDirectory(prefix="alignn-nb-example-run-") as scratch:
        root = Path(scratch)
        (root / "data").mkdir()
        (root / "data" / "id_prop.json").write_text(json.dumps(entries))
        (root / "config.json").write_text(json.dumps(recipe()))
        with _contained(root):
            train_for_folder(root_dir="data", config_name="config.json", output_dir=None)
        folder.mkdir(parents=True, exist_ok=True)
        for name in KEPT:
            shutil.copyfile(root / EXAMPLE_RUN / name, folder / name)
    (folder / "README.md").write_text(readme())
    return folder


def readme() -> str:
    """The example run's README: what it is, how it was made and with which alignn."""
    from importlib.metadata import version

    ids = [str(e["jid"]) for e in json.loads(example_run_data().read_text())[:SUBSET]]
    n_train, n_val, n_test = (CHANGES[k] for k in ("n_train", "n_val", "n_test"))
    bullets = [
        f"Data: the first {SUBSET} entries of `../mlearn_Si_id_prop.json` (jid {ids[0]} to "
        f"{ids[-1]}), split by alignn in file order (`keep_data_order`) into "
        f"`ids_train_val_test.json`: {n_train} to train, {n_val} to validate, {n_test} to test.",
        f"Config: alignn's DGL config for mlearn Si (`alignn_nb/config/presets/{PRESET}`) with "
        f"the model keys {_listed(MODEL_CHANGES)} and the training keys {_listed(CHANGES)}.",
        f"Kept: {', '.join(KEPT)}. alignn also writes last_model.pt, current_model.pt, "
        "current_state.pt and its results files; the Explore tab reads none of them.",
    ]
    listed = "\n".join(textwrap.fill(f"- {b}", 90, subsequent_indent="  ") for b in bullets)
    stack = f"alignn {version('alignn')}, torch {version('torch')}, dgl {version('dgl')}"
    return f"""# Example run: alignn on {SUBSET} mlearn Si cells

An output folder of alignn's own `train_for_folder` ({stack}), made by
`make example-run`, which runs `python -m alignn_nb.training.example_run`
(`alignn_nb/training/example_run.py`).

{listed}

The model is far too small and too briefly trained to be a useful force field: it learns
the energy scale, not the forces. It is here so that the dashboard's Explore tab and
`alignn-nb explore` (without a folder) have a real run to show: they evaluate it on its
test split of `../mlearn_Si_id_prop.json`, as `alignn-nb evaluate` does.
"""


def _listed(changes: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in changes.items())


def main(argv: Sequence[str] | None = None) -> int:
    """Make the example run again, into the shipped folder or ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(example_run_path()), help="the folder to write")
    train_example_run(parser.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
