"""alignn's history files, read from a real two-epoch alignn run on a tiny EMT dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from alignn_nb.model.build import build_model
from alignn_nb.training.breakdown import loss_terms
from alignn_nb.training.datasets import Dataset, load_dataset
from alignn_nb.training.example_data import default_dataset
from alignn_nb.training.history import COLUMNS, load_history

pytestmark = pytest.mark.dgl

ALIGNN_CONFIG = {
    "dataset": "user_data",
    "target": "target",
    "atom_features": "atomic_number",
    "neighbor_strategy": "k-nearest",
    "id_tag": "jid",
    "random_seed": 123,
    "n_train": 6,
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


def _id_prop(dataset: Dataset) -> list[dict]:
    """alignn's id_prop.json entries: eV per atom, forces eV/Å, stress in GPa (head units)."""
    from jarvis.core.atoms import ase_to_atoms

    return [
        {
            "jid": s.id,
            "atoms": ase_to_atoms(s.atoms).to_dict(),
            "total_energy": s.targets.energy / s.natoms,
            "forces": s.targets.forces.tolist(),
            "stresses": s.targets.stress.tolist(),
        }
        for s in dataset
    ]


@pytest.fixture(scope="module")
def alignn_run(tmp_path_factory):
    """Train alignn itself for two epochs (about a second) and return its folder."""
    from alignn.train_alignn import train_for_folder

    root = tmp_path_factory.mktemp("alignn_run")
    (root / "id_prop.json").write_text(json.dumps(_id_prop(default_dataset(size=10))))
    config = {**ALIGNN_CONFIG, "output_dir": str(root / "out")}
    (root / "config.json").write_text(json.dumps(config))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        train_for_folder(
            root_dir=str(root), config_name=str(root / "config.json"), output_dir=str(root / "out")
        )
    return root


def test_history_rows_are_alignns_six_columns(alignn_run):
    history = load_history(alignn_run / "out")
    raw = json.loads((alignn_run / "out" / "history_train.json").read_text())
    assert history.epochs == 2
    assert history.train.shape == (2, 6) and history.val.shape == (2, 6)
    assert history.series("gradwise").tolist() == [row[3] for row in raw]
    assert history.active_terms() == ("graphwise", "gradwise", "stresswise")
    assert np.allclose(history.train[:, 0], history.train[:, 1:].sum(axis=1))


def test_last_val_row_equals_our_decomposition_of_the_saved_model(alignn_run):
    """alignn's own validation numbers are the per-batch mean of the weighted terms."""
    from alignn_nb.config.alignn_io import load_alignn_config

    out = alignn_run / "out"
    cfg, graph = load_alignn_config(out / "config.json")
    cfg.update(lighten_edges=False, backtracking=True)
    model = build_model(cfg)
    model.load_state_dict(torch.load(out / "current_model.pt"))
    ids = json.loads((out / "ids_train_val_test.json").read_text())["id_val"]
    dataset = load_dataset(alignn_run / "id_prop.json", energy="per_atom", stress="alignn")
    val = Dataset("val", tuple(s for i in ids for s in dataset if s.id == i))
    breakdown = loss_terms(model, val, cfg, graph, batch_size=ALIGNN_CONFIG["batch_size"])
    row = dict(zip(COLUMNS, load_history(out).val[-1], strict=True))
    assert breakdown.total == pytest.approx(row["total"], rel=1e-4)
    for name, term in breakdown.terms.items():
        assert term.weighted == pytest.approx(row[name], rel=1e-4), name
    assert row["atomwise"] == row["additional"] == 0.0


def test_missing_folder_and_file_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no alignn output folder at"):
        load_history(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"has no history_train\.json; alignn writes it"):
        load_history(tmp_path)


def test_wrong_shape_is_refused(tmp_path):
    (tmp_path / "history_train.json").write_text(json.dumps([[1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"history_train.json: expected one row per epoch of 6"):
        load_history(tmp_path)


def test_val_file_is_optional(tmp_path):
    (tmp_path / "history_train.json").write_text(json.dumps([[3.0, 1.0, 0.0, 2.0, 0.0, 0.0]]))
    history = load_history(tmp_path)
    assert history.val is None
    assert history.active_terms() == ("graphwise", "gradwise")
    with pytest.raises(ValueError, match=r"has no history_val\.json"):
        history.series("total", "val")


def test_history_plot_draws_train_and_val_of_active_terms(alignn_run):
    import matplotlib.pyplot as plt

    from alignn_nb.viz.plots import history_plot

    history = load_history(alignn_run / "out")
    figure = history_plot(history)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == [
        f"{name} {split}"
        for name in ("graphwise (energy)", "gradwise (forces)", "stresswise (stress)", "total")
        for split in ("train", "val")
    ]
    assert list(figure.axes[0].get_lines()[-1].get_ydata()) == list(history.series("total", "val"))
    plt.close(figure)
