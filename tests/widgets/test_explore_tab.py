"""ExploreTab: opening a run folder evaluates it off the callback; a bad folder is refused."""

from __future__ import annotations

import html
import json

import numpy as np
import pytest
from ase.build import bulk

from alignn_nb.evaluation import (
    Evaluation,
    StructureErrors,
    evaluate,
    load_history,
    load_run,
    run_dataset,
)
from alignn_nb.evaluation.history import FILES
from alignn_nb.training import example_run_data, example_run_path
from alignn_nb.viz import figure_png, histories_plot, history_plot
from alignn_nb.widgets import ExploreTab
from alignn_nb.widgets.explore_tab import EXAMPLE_HINT, HINT
from tests.support.alignn_training import changed_copy
from tests.support.pages import shown_hints, shown_images

HANG_GUARD_SECONDS = 600


def _open(tab: ExploreTab) -> None:
    job = tab.open_run()
    assert job is tab.job and job.wait(HANG_GUARD_SECONDS)
    assert not tab.busy


def test_out_of_the_box_the_tab_offers_the_example_run_and_shows_no_empty_image():
    tab = ExploreTab()
    assert (tab.folder, tab.data) == (str(example_run_path()), str(example_run_data()))
    assert tab.folder_text.get_state()["value"] == str(example_run_path())
    assert tab.message_html.get_state()["value"] == html.escape(EXAMPLE_HINT)
    assert shown_images(tab) == [] and shown_hints(tab) == []
    own = ExploreTab(folder="output")
    assert (own.folder, own.data) == ("output", "")
    assert own.message_html.get_state()["value"] == html.escape(HINT)
    assert own.open_unless_opened() is None and not own.busy


@pytest.mark.dgl
def test_the_example_button_opens_the_example_run_with_its_test_maes():
    tab = ExploreTab(folder="output", data="data.json", split="all", weights="last_model.pt")
    tab.example_button.click()
    assert tab.job.wait(HANG_GUARD_SECONDS)
    assert not tab.busy and tab.error == ""
    assert (tab.folder, tab.data, tab.weights, tab.split) == (
        str(example_run_path()),
        str(example_run_data()),
        "",
        "",
    )
    run = load_run(example_run_path())
    expected = evaluate(run, run_dataset(run, example_run_data()), "test")
    shown = tab.explore.evaluation
    assert shown.split == "test" and [s.id for s in shown.structures] == ["21", "22", "23", "24"]
    for quantity in ("energy_mae", "force_mae", "stress_mae"):
        value = getattr(shown, quantity)
        assert value == pytest.approx(getattr(expected, quantity), rel=1e-6) and value > 0
    summary = tab.explore.children[0].get_state()["value"]
    assert f"energy MAE {expected.energy_mae:.4g} eV/atom" in summary
    assert f"force MAE {expected.force_mae:.4g} eV/Å" in summary
    images = shown_images(tab)
    assert len(images) == 3 and all(bytes(i.value).startswith(b"\x89PNG") for i in images)
    assert tab.open_unless_opened() is None


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
    tab.folder_text.value = str(tmp_path / "missing")
    assert tab.folder == str(tmp_path / "missing")
    tab.open_button.click()
    assert tab.job.wait(HANG_GUARD_SECONDS)
    assert not tab.busy
    assert tab.error == f"no alignn output folder at {tmp_path / 'missing'}"
    assert tab.explore.evaluation is kept and tab.history is None
    assert "no alignn output folder at" in tab.message_html.value
    tab.folder = str(tmp_path)
    _open(tab)
    assert tab.error.startswith(f"{tmp_path} has no config.json; ")
    assert tab.explore.evaluation is kept
    tab.scheduler_text.value = "localhost:8786"
    _open(tab)
    assert tab.error == "scheduler 'localhost:8786' refused: an address looks like tcp://HOST:PORT"
    assert tab.explore.evaluation is kept


@pytest.mark.dgl
def test_opening_a_trained_run_shows_its_test_split(alignn_trained):
    tab = ExploreTab(folder=str(alignn_trained.output))
    _open(tab)
    assert tab.error.startswith("give the structures: alignn records no data folder in ")
    assert tab.explore.evaluation is None
    tab.data = str(alignn_trained.data)
    tab.weights_text.value = "nowhere.pt"
    _open(tab)
    assert tab.error == (
        f"no weights file nowhere.pt; {alignn_trained.output} holds best_model.pt, "
        "current_model.pt, current_state.pt, last_model.pt"
    )
    assert tab.explore.evaluation is None
    tab.weights = "last_model.pt"
    tab.split_dropdown.value = "val"
    _open(tab)
    evaluation = tab.explore.evaluation
    assert tab.error == "" and evaluation.split == "val" and evaluation.weights == "last_model.pt"
    tab.split = ""
    _open(tab)
    evaluation = tab.explore.evaluation
    assert tab.error == "" and evaluation.split == "test" and len(evaluation.structures) >= 1
    assert tab.progress.value == tab.progress.max == len(evaluation.structures)
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
    assert bytes(tab.curves.value) == figure_png(curves)
    assert tab.explore.map.volume.size == len(evaluation.structures)


@pytest.mark.dgl
@pytest.mark.slow
def test_a_second_run_shows_both_maes_the_diff_and_the_curves_overlaid(alignn_trained, tmp_path):
    out, data = alignn_trained.output, alignn_trained.data
    other = changed_copy(out, tmp_path / "other", 0.5, learning_rate=0.002)
    tab = ExploreTab(folder=str(out), data=str(data))
    tab.compare_text.value = str(other)
    _open(tab)
    first, second = load_run(out), load_run(other)
    dataset = run_dataset(first, data)
    a, b = evaluate(first, dataset, "test"), evaluate(second, dataset, "test")
    assert tab.error == "" and tab.explore.evaluation.energy_mae == a.energy_mae
    tables = tab.comparison.children[0].value
    for quantity, unit in (("energy", "eV/atom"), ("force", "eV/Å"), ("stress", "GPa")):
        mae_a, mae_b = getattr(a, f"{quantity}_mae"), getattr(b, f"{quantity}_mae")
        row = f"<tr><td>{quantity} MAE ({unit})</td><td>{mae_a:.6g}</td><td>{mae_b:.6g}</td></tr>"
        assert row in tables
    assert a.energy_mae != b.energy_mae
    assert tables.endswith(
        "<tr><th>section</th><th>field</th><th>1</th><th>2</th></tr>"
        "<tr><td>training</td><td>learning_rate</td><td>0.001</td><td>0.002</td></tr></table>"
    )
    overlay = histories_plot({"1: output": first.history, "2: other": second.history})
    assert bytes(tab.comparison.children[1].value) == figure_png(overlay)
    shown = tab.comparison.comparison
    tab.compare = str(tmp_path / "missing")
    _open(tab)
    assert tab.error == f"no alignn output folder at {tmp_path / 'missing'}"
    assert tab.comparison.comparison is shown


@pytest.mark.dgl
@pytest.mark.slow
def test_a_run_evaluated_on_a_cluster_of_processes_gives_the_kernels_numbers(
    alignn_trained, dask_cluster
):
    run = load_run(alignn_trained.output)
    here = evaluate(run, run_dataset(run, alignn_trained.data), "all")
    tab = ExploreTab(folder=str(alignn_trained.output), data=str(alignn_trained.data))
    tab.split, tab.scheduler = "all", dask_cluster.address
    _open(tab)
    there = tab.explore.evaluation
    assert tab.error == "" and len(there.structures) == len(here.structures) == 8
    assert tab.progress.value == tab.progress.max == 8
    for a, b in zip(there.structures, here.structures, strict=True):
        assert a.id == b.id
        assert a.energy_pred == pytest.approx(b.energy_pred, rel=1e-6, abs=1e-9)
        np.testing.assert_allclose(a.forces_pred, b.forces_pred, rtol=1e-5, atol=1e-7)
