"""ExploreTab: opening a run folder evaluates it off the callback; a bad folder is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.build import bulk

from alignn_nb.training.evaluation import Evaluation, StructureErrors
from alignn_nb.training.history import FILES, load_history
from alignn_nb.viz.plots import history_plot, png_bytes
from alignn_nb.widgets.explore_tab import ExploreTab

HANG_GUARD_SECONDS = 600


def _open(tab: ExploreTab) -> None:
    thread = tab.open_run()
    thread.join(HANG_GUARD_SECONDS)
    assert not thread.is_alive() and not tab.busy


def test_a_bad_folder_is_refused_by_its_message_and_the_evaluation_stays(tmp_path):
    tab = ExploreTab()
    kept = Evaluation(
        "kept",
        "all",
        "w",
        (StructureErrors(id="si", atoms=bulk("Si"), energy_unit="eV/atom", energy_pred=-5.0),),
        "eV/atom",
    )
    tab.explore.evaluation = kept
    tab.children[0].children[0].value = str(tmp_path / "missing")
    assert tab.folder == str(tmp_path / "missing")
    tab.children[0].children[4].click()
    tab._thread.join(HANG_GUARD_SECONDS)
    assert not tab.busy
    assert tab.error == f"no alignn output folder at {tmp_path / 'missing'}"
    assert tab.explore.evaluation is kept and tab.history is None
    assert "no alignn output folder at" in tab.children[2].value
    tab.folder = str(tmp_path)
    _open(tab)
    assert tab.error.startswith(f"{tmp_path} has no config.json; ")
    assert tab.explore.evaluation is kept


@pytest.mark.dgl
def test_opening_a_trained_run_shows_its_test_split(alignn_trained):
    tab = ExploreTab(folder=str(alignn_trained.output))
    _open(tab)
    assert tab.error.startswith("give the structures: alignn records no data folder in ")
    assert tab.explore.evaluation is None
    tab.data = str(alignn_trained.data)
    tab.children[0].children[2].value = "nowhere.pt"
    _open(tab)
    assert tab.error == (
        f"no weights file nowhere.pt; {alignn_trained.output} holds best_model.pt, "
        "current_model.pt, current_state.pt, last_model.pt"
    )
    assert tab.explore.evaluation is None
    tab.weights = "last_model.pt"
    tab.children[0].children[3].value = "val"
    _open(tab)
    evaluation = tab.explore.evaluation
    assert tab.error == "" and evaluation.split == "val" and evaluation.weights == "last_model.pt"
    tab.split = ""
    _open(tab)
    evaluation = tab.explore.evaluation
    assert tab.error == "" and evaluation.split == "test" and len(evaluation.structures) >= 1
    assert tab.children[1].value == tab.children[1].max == len(evaluation.structures)
    written = {s: json.loads((alignn_trained.output / f).read_text()) for s, f in FILES.items()}
    np.testing.assert_array_equal(tab.history.train, written["train"])
    np.testing.assert_array_equal(tab.history.val, written["val"])
    curves = history_plot(load_history(alignn_trained.output))
    labels = [line.get_label() for line in curves.axes[0].get_lines()]
    assert labels == [
        "graphwise (energy) train", "graphwise (energy) val", "gradwise (forces) train",
        "gradwise (forces) val", "stresswise (stress) train", "stresswise (stress) val",
        "total train", "total val",
    ]  # fmt: skip
    assert bytes(tab.children[3].value) == png_bytes(curves)
    assert tab.explore.map.volume.size == len(evaluation.structures)
