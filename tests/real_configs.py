"""alignn's own example configs against real inputs, for the matrix tests of the verbs and tabs.

Every ``*config*.json`` under ``tests/data/alignn_example_configs/`` meets a few of the
smallest structures of the repo's mlearn Si set (the repo has no Cu, Ge, Li, Mo or Ni data).
`expected_refusal` says what each (config, verb) must give: None for success, else the end
of the one-line refusal. A config naming alignn's DGL model is refused by the verbs that
run the model where DGL is not installed (``make test-nodgl``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from alignn_nb.config.rules import dgl_installed
from tests.conftest import EXAMPLE_DATA, REPO

CONFIG_ROOT = REPO / "tests" / "data" / "alignn_example_configs"
CONFIGS = tuple(
    sorted(path.relative_to(CONFIG_ROOT).as_posix() for path in CONFIG_ROOT.rglob("*config*.json"))
)
"""Every example config, by its path under `CONFIG_ROOT`."""
SMALL = 4
"""mlearn Si structures in the id_prop the verbs read (the smallest: 12, 16, 16, 18 atoms)."""
HIDDEN = "hidden_features=16"
"""The ``--set`` that keeps every verb that trains or runs the model quick."""
MODEL_VERBS = ("loss-terms", "sweep", "evaluate", "explore", "sweep tab")
"""The verbs and tabs that build alignn's model."""
EALIGNN = "sample_data_ff/econfig_example_atomwise.json"
EALIGNN_REFUSAL = (
    "model name 'ealignn_atomwise' is alignn's eALIGNN variant of alignn_atomwise, not "
    "supported; only 'alignn_atomwise' or 'alignn_atomwise_pure' load"
)
FEATURES = "sample_data_ff_feats/config_example_atomwise.json"
FEATURES_REFUSAL = (
    "extra_features is 6 but the dataset has no per-structure extra features for alignn to read"
)
NOTHING_TO_TRAIN = {
    "recipes/spectra/config_example.json": 200,
    "recipes/tensor/config_example.json": 9,
}
"""Configs whose graph-level output (this many values) cannot be trained on an energy."""
DGL_REFUSAL = (
    "DGL is not installed; alignn_atomwise needs it: choose 'alignn_atomwise_pure' or install DGL"
)
CALIBRATED_DGL = "sample_data_ff/mlearn_data/Si/config_dgl.json"
"""The one DGL config dataset-stats calibrates (real alignn steps, ~20 s); the other six DGL
configs (all mlearn, radius_graph with the same graph options) are counted uncalibrated."""


def config_path(config: str) -> Path:
    return CONFIG_ROOT / config


def config_data(config: str) -> dict[str, Any]:
    return json.loads(config_path(config).read_text())


def model_name(config: str) -> str:
    return config_data(config)["model"]["name"]


def runs_here(config: str) -> bool:
    """Whether alignn's model of ``config`` can be built here (pure, or DGL installed)."""
    return model_name(config) != "alignn_atomwise" or dgl_installed()


def expected_refusal(config: str, verb: str) -> str | None:
    """The end of the one-line refusal of ``verb`` on ``config``, or None for success."""
    if config == EALIGNN:
        return EALIGNN_REFUSAL
    if verb not in MODEL_VERBS:
        return None
    if not runs_here(config):
        return DGL_REFUSAL
    if config == FEATURES:
        return FEATURES_REFUSAL
    if verb in ("sweep", "sweep tab") and config in NOTHING_TO_TRAIN:
        return (
            f"nothing to train: graphwise: not computable: output_features is "
            f"{NOTHING_TO_TRAIN[config]} but the energy target is one number"
        )
    return None


def write_si_inputs(folder: Path) -> tuple[Path, Path]:
    """``folder/si.json`` (alignn's id_prop of the `SMALL` smallest mlearn Si structures) and
    ``folder/POSCAR`` (the smallest one); returns both paths."""
    import ase.io
    from jarvis.core.atoms import Atoms

    entries = json.loads((EXAMPLE_DATA / "mlearn_Si_id_prop.json").read_text())
    order = sorted(range(len(entries)), key=lambda i: (len(entries[i]["atoms"]["elements"]), i))
    small = [entries[i] for i in order[:SMALL]]
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "si.json"
    data.write_text(json.dumps(small))
    poscar = folder / "POSCAR"
    ase.io.write(poscar, Atoms.from_dict(small[0]["atoms"]).ase_converter(), format="vasp")
    return data, poscar


def write_run(config: str, folder: Path) -> Path:
    """An alignn output folder for ``config``: the config (hidden_features 16) as its
    config.json and, as best_model.pt, alignn's freshly built model's weights (an empty
    state where the model cannot be built here). Returns the folder."""
    from alignn_nb.config.alignn_io import load_alignn_config
    from alignn_nb.model.build import build_model

    data = config_data(config)
    data["model"]["hidden_features"] = 16
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(data))
    state: dict[str, torch.Tensor] = {}
    if config != EALIGNN and runs_here(config):
        state = build_model(load_alignn_config(data).cfg, seed=0).state_dict()
    torch.save(state, folder / "best_model.pt")
    return folder
