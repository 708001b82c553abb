"""alignn's history files, read from a real two-epoch alignn run on a tiny EMT dataset
(the session's `alignn_trained` run)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from alignn_nb.datasets import Dataset, load_dataset
from alignn_nb.evaluation import load_history
from alignn_nb.evaluation.history import COLUMNS
from alignn_nb.loss import loss_terms
from alignn_nb.model import build_model
from tests.support.alignn_training import SMALL_RUN

pytestmark = pytest.mark.dgl


def test_history_rows_are_alignns_six_columns(alignn_trained):
    history = load_history(alignn_trained.output)
    raw = json.loads((alignn_trained.output / "history_train.json").read_text())
    assert history.epochs == 2
    assert history.train.shape == (2, 6) and history.val.shape == (2, 6)
    assert history.series("gradwise").tolist() == [row[3] for row in raw]
    assert history.active_terms() == ("graphwise", "gradwise", "stresswise")
    assert np.allclose(history.train[:, 0], history.train[:, 1:].sum(axis=1))


def test_last_val_row_equals_our_decomposition_of_the_saved_model(alignn_trained):
    """alignn's own validation numbers are the per-batch mean of the weighted terms."""
    from alignn_nb.config import load_alignn_config

    out = alignn_trained.output
    cfg, graph = load_alignn_config(out / "config.json")
    cfg.update(lighten_edges=False, backtracking=True)
    model = build_model(cfg)
    model.load_state_dict(torch.load(out / "current_model.pt"))
    ids = json.loads((out / "ids_train_val_test.json").read_text())["id_val"]
    dataset = load_dataset(alignn_trained.data, energy="per_atom", stress="alignn")
    val = Dataset("val", tuple(s for i in ids for s in dataset if s.id == i))
    breakdown = loss_terms(model, val, cfg, graph, batch_size=SMALL_RUN["batch_size"])
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


def test_history_plot_draws_train_and_val_of_active_terms(alignn_trained):
    import matplotlib.pyplot as plt

    from alignn_nb.viz import history_plot

    history = load_history(alignn_trained.output)
    figure = history_plot(history)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == [
        f"{name} {split}"
        for name in ("graphwise (energy)", "gradwise (forces)", "stresswise (stress)", "total")
        for split in ("train", "val")
    ]
    assert list(figure.axes[0].get_lines()[-1].get_ydata()) == list(history.series("total", "val"))
    plt.close(figure)
