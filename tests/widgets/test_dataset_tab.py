"""DatasetTab: scans only once live, shows `dataset_stats`' numbers, coalesces edits, keeps
the last good result after a failure or a Stop, and hands a heaviest structure on."""

from __future__ import annotations

import tempfile
import time

import ase.build
import ase.io
import numpy as np
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, TrainingSettings
from alignn_nb.sizing import dataset_stats
from alignn_nb.widgets import DatasetTab
from alignn_nb.widgets.dataset_tab import PLOT_HINT
from tests.support.pages import page_sends, shown_hints, shown_images

HANG_GUARD_S = 120.0
"""Bound on waits that never end on a broken runner; not a speed limit."""
BURST_SETTLE_S = 1.0
"""Quiet time before a scan in the coalescing test: far longer than the gap between edits."""
EDIT_GAP_S = 0.05
"""Time between the edits of a burst, so a scan without a settle time would start between."""
VOLATILE = ("seconds", "timings", "advice_seconds")


def frames() -> list[ase.Atoms]:
    """Ten small rattled cells (1 to 8 atoms): two chunks of the local scan."""
    rng = np.random.default_rng(0)
    cells = [
        ase.build.bulk("Si", "diamond", a=5.43),
        ase.build.bulk("Cu", "fcc", a=3.61),
        ase.build.bulk("NaCl", "rocksalt", a=5.64, cubic=True),
        ase.build.bulk("Al", "fcc", a=4.05, cubic=True),
    ]
    picked = [cells[i % len(cells)].copy() for i in range(10)]
    for atoms in picked:
        atoms.positions += rng.normal(0.0, 0.03, atoms.positions.shape)
    return picked


@pytest.fixture(scope="module")
def small_xyz(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("dataset") / "small.xyz"
    ase.io.write(path, frames(), format="extxyz")
    return str(path)


@pytest.fixture
def tab(small_xyz):
    board = DatasetTab(ALIGNNAtomWiseConfig(), GraphConfig(), source=small_xyz)
    yield board
    board.stop()
    board.wait(HANG_GUARD_S)


def expected(path: str, cfg=None, graph=None, batch_size: int = 64) -> dict:
    found = dataset_stats(
        path, cfg or ALIGNNAtomWiseConfig(), graph or GraphConfig(), batch_size=batch_size
    )
    return {k: v for k, v in found.items() if k not in VOLATILE}


def shown(tab: DatasetTab) -> dict:
    return {k: v for k, v in tab.stats.items() if k not in VOLATILE}


def test_nothing_is_scanned_until_live_then_the_tab_shows_dataset_stats(tab, small_xyz):
    tab.graph.cutoff = 6.0
    assert tab.scans == 0 and tab.stats is None
    assert shown_images(tab) == [] and shown_hints(tab) == [PLOT_HINT]
    tab.live = True
    assert tab.wait(HANG_GUARD_S)
    want = expected(small_xyz, graph=GraphConfig(cutoff=6.0))
    assert tab.scans == 1
    assert shown(tab) == want
    assert want["structures"] == 10 and want["atoms"]["total"] == 3 * 2 + 3 * 1 + 2 * 8 + 2 * 4
    html = tab.summary_html.get_state()["value"]
    assert f"<td>{want['edges']['total']:,} total;" in html
    assert f"<td>{want['triplets']['total']:,} total;" in html
    assert "<th style='text-align:left'>step time</th><td>not estimated</td>" in html
    assert bytes(tab.plot.value).startswith(b"\x89PNG")
    assert [i is tab.plot.image for i in shown_images(tab)] == [True]
    assert shown_hints(tab) == []
    heaviest = max(want["per_structure"], key=lambda r: r["triplets"])
    label, row = tab.heaviest_dropdown.options[0]
    assert want["per_structure"][row] == heaviest
    assert label == (
        f"#{row} {heaviest['id']}: {heaviest['atoms']} atoms, {heaviest['triplets']:,} triplets"
    )
    assert len(tab.heaviest_dropdown.options) == 5
    assert tab.message_html.get_state()["value"].startswith(
        "<div class='alignn-nb-dataset-message'>small.xyz: 10 structures scanned in "
    )


@pytest.mark.slow
def test_a_burst_of_graph_edits_rescans_once_with_the_latest_values(small_xyz):
    tab = DatasetTab(ALIGNNAtomWiseConfig(), GraphConfig(), settle=BURST_SETTLE_S, source=small_xyz)
    tab.live = True
    assert tab.wait(HANG_GUARD_S) and tab.scans == 1
    edits = [
        (tab.graph, "cutoff", 5.0),
        (tab.graph, "max_neighbors", 8),
        (tab.graph, "neighbor_strategy", "radius_graph"),
        (tab.graph, "cutoff", 4.0),
        (tab.config, "inner_cutoff", 3.0),
    ]
    for owner, name, value in edits:  # spaced as a page's messages arrive
        setattr(owner, name, value)
        time.sleep(EDIT_GAP_S)
    assert tab.wait(HANG_GUARD_S)
    assert tab.scans == 2
    latest = GraphConfig(cutoff=4.0, max_neighbors=8, neighbor_strategy="radius_graph")
    assert shown(tab) == expected(small_xyz, ALIGNNAtomWiseConfig(inner_cutoff=3.0), latest)
    tab.config.graphwise_weight = 0.5
    tab.live = False
    tab.graph.cutoff = 4.5
    assert tab.wait(HANG_GUARD_S) and tab.scans == 2, "a loss weight or a hidden tab scanned"
    tab.live = True
    assert tab.wait(HANG_GUARD_S) and tab.scans == 3
    later = GraphConfig(**{**latest.to_dict(), "cutoff": 4.5})
    assert tab.stats["edges"] == expected(small_xyz, graph=later)["edges"]
    a_shape_edit_rescans_only_when_the_result_has_estimates(tab)


def a_shape_edit_rescans_only_when_the_result_has_estimates(tab: DatasetTab) -> None:
    batch = {**tab.stats["heaviest_batch"], "peak_memory_bytes": None, "step_seconds": None}
    tab.stats = {**tab.stats, "heaviest_batch": batch, "epoch_seconds": None}
    tab.config.hidden_features = 32
    assert tab.wait(HANG_GUARD_S) and tab.scans == 3
    tab.stats = {**tab.stats, "epoch_seconds": 60.0}  # as when dataset_stats estimates steps
    tab.config.hidden_features = 48
    assert tab.wait(HANG_GUARD_S) and tab.scans == 4


def test_a_bad_path_keeps_the_previous_result_and_says_why(tab, tmp_path):
    tab.live = True
    assert tab.wait(HANG_GUARD_S)
    good, summary = tab.stats, tab.summary_html.value
    missing = tmp_path / "missing.json"
    tab.path_text.value = str(missing)
    assert tab.wait(HANG_GUARD_S)
    assert tab.message == f"no dataset at {missing} (showing the previous result)"
    assert tab.failed
    assert "color:#b00020" in tab.message_html.value
    assert tab.stats is good and tab.summary_html.value == summary
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    tab.source = str(broken)
    assert tab.wait(HANG_GUARD_S)
    assert tab.message.startswith("broken.json is not valid JSON: ")
    assert tab.stats is good and tab.scanned.endswith("small.xyz")
    tab.source = tab.scanned
    tab.scheduler_text.value = "localhost:1"
    assert tab.wait(HANG_GUARD_S)
    assert tab.message == (
        "scheduler 'localhost:1' refused: an address looks like tcp://HOST:PORT "
        "(showing the previous result)"
    )
    assert tab.stats is good


def test_stop_ends_the_scan_and_keeps_the_previous_result(tab, small_xyz, monkeypatch):
    from alignn_nb.sizing import chunks as dataset_chunks

    monkeypatch.setattr(dataset_chunks, "CHUNK", 4)
    tab.live = True
    assert tab.wait(HANG_GUARD_S)
    good = tab.stats
    tab.progress.observe(lambda change: change["new"] > 0 and tab.stop(), "value")
    tab.graph.cutoff = 5.0
    assert tab.wait(HANG_GUARD_S)
    assert tab.scans == 2 and tab.message == "stopped; showing the previous result"
    assert tab.stats is good and tab.progress.value == 4 < tab.progress.max
    assert tab.job.state == "stopped" and tab.job.result["structures"] == 4
    assert not tab.running and tab.stop_button.disabled


def test_an_upload_is_scanned_and_a_refused_one_changes_nothing(
    tab, small_xyz, tmp_path, monkeypatch
):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    tab.live = True
    assert tab.wait(HANG_GUARD_S)
    good = tab.stats
    page_sends(tab.upload, "notes.txt", b"hello")
    assert tab.message.startswith("notes.txt") and tab.failed and tab.stats is good
    assert list(scratch.iterdir()) == []
    page_sends(tab.upload, "mine.xyz", open(small_xyz, "rb").read())
    assert tab.wait(HANG_GUARD_S)
    assert tab.stats["dataset"] == "mine.xyz" and tab.scans == 2
    (folder,) = scratch.iterdir()
    assert folder.name.startswith("alignn-nb-dataset-") and tab.scanned == str(folder / "mine.xyz")
    assert {k: v for k, v in shown(tab).items() if k != "dataset"} == {
        k: v for k, v in expected(small_xyz).items() if k != "dataset"
    }


def test_a_heaviest_structure_is_handed_on_with_its_atoms(tab):
    tab.live = True
    assert tab.wait(HANG_GUARD_S)
    got = []
    tab.on_jump(lambda atoms, label: got.append((atoms, label)))
    _, row = tab.heaviest_dropdown.options[-1]
    tab.heaviest_dropdown.value = row
    ((atoms, label),) = got
    frame = frames()[row]
    assert row > 0 and label == f"small.xyz: {tab.stats['per_structure'][row]['id']} (heaviest)"
    assert len(atoms) == tab.stats["per_structure"][row]["atoms"] == len(frame)
    assert np.allclose(atoms.positions, frame.positions, atol=1e-6)


@pytest.mark.slow
def test_the_dashboard_tab_scans_once_opened_follows_the_dataset_and_jumps_the_picker(small_xyz):
    from alignn_nb.datasets import default_dataset, example_dataset_path, load_dataset
    from alignn_nb.widgets import Dashboard
    from alignn_nb.widgets.dashboard import TABS

    board = Dashboard(dataset=default_dataset(size=2))
    board.wait(HANG_GUARD_S)
    tab = board.dataset_tab
    assert tab.source == str(example_dataset_path("jarvis_ff_sample"))
    board.loss_plot.dataset = load_dataset(small_xyz)
    board.graph.cutoff = 7.0
    board.wait(HANG_GUARD_S)
    assert tab.source == small_xyz and tab.scans == 0 and tab.stats is None and not tab.live
    board.tabs.selected_index = TABS.index("Dataset")
    assert tab.live and tab.wait(HANG_GUARD_S) and tab.scans == 1
    assert shown(tab) == expected(small_xyz, graph=GraphConfig(cutoff=7.0))
    _, row = tab.heaviest_dropdown.options[0]
    tab.heaviest_dropdown.value = row
    label = f"small.xyz: {tab.stats['per_structure'][row]['id']} (heaviest)"
    assert board.picker.label == label and len(board.picker.atoms) == len(frames()[row])
    board.wait(HANG_GUARD_S)
    assert board.session.label == label
    board.tabs.selected_index = 0
    assert not tab.live


def test_estimates_calibrate_once_per_model_shape_and_show_the_fitted_step(
    tab, small_xyz, monkeypatch
):
    from alignn_nb.sizing import stats as stats_module
    from alignn_nb.viz.dataset_plot import seconds_text
    from tests.support.step_costs import COST, HALF

    shapes: list[int] = []

    def fit(cfg, graph, advise=True, threads=1):
        shapes.append(cfg.hidden_features)
        return {64: COST, 32: HALF}, "", 0.0

    monkeypatch.setattr(stats_module, "fit_step_costs", fit)
    tab.live = True
    assert tab.wait(HANG_GUARD_S) and tab.stats["epoch_seconds"] is None and shapes == []
    tab.estimate_box.value = True
    assert tab.wait(HANG_GUARD_S) and tab.estimate and shapes == [64]
    cfg = ALIGNNAtomWiseConfig()
    want = dataset_stats(small_xyz, cfg, GraphConfig(), costs=[COST, HALF])
    assert tab.stats["heaviest_batch"] == want["heaviest_batch"]
    assert tab.stats["epoch_seconds"] == want["epoch_seconds"] > 0
    assert [a["field"] for a in tab.stats["advice"]] == [a["field"] for a in want["advice"]]
    html = tab.summary_html.get_state()["value"]
    step = want["heaviest_batch"]["step_seconds"]
    assert f"<th style='text-align:left'>step time</th><td>{seconds_text(step)}</td>" in html
    tab.graph.max_neighbors = 8
    assert tab.wait(HANG_GUARD_S) and shapes == [64]
    after = dataset_stats(small_xyz, cfg, GraphConfig(max_neighbors=8), costs=[COST, HALF])
    assert tab.stats["heaviest_batch"] == after["heaviest_batch"] != want["heaviest_batch"]
    tab.config.hidden_features = 32
    assert tab.wait(HANG_GUARD_S) and shapes == [64, 32]


def test_the_batch_size_is_the_training_settings_one(small_xyz):
    training = TrainingSettings(batch_size=4)
    tab = DatasetTab(ALIGNNAtomWiseConfig(), GraphConfig(), training=training, source=small_xyz)
    try:
        assert tab.batch_text.get_state()["value"] == 4
        tab.live = True
        assert tab.wait(HANG_GUARD_S) and tab.scans == 1
        assert shown(tab) == expected(small_xyz, batch_size=4)
        tab.batch_text.value = 0
        assert training.batch_size == 4 and tab.batch_text.value == 4
        assert (tab.message, tab.failed) == (
            "batch_size = 0 refused: batch_size must be an integer >= 1",
            True,
        )
        tab.batch_text.value = 3
        assert training.batch_size == 3
        assert tab.wait(HANG_GUARD_S) and tab.scans == 2
        training.batch_size = 2
        assert tab.batch_text.get_state()["value"] == 2
        assert tab.wait(HANG_GUARD_S) and tab.scans == 3
        assert shown(tab) == expected(small_xyz, batch_size=2)
        assert shown(tab)["heaviest_batch"] != expected(small_xyz, batch_size=4)["heaviest_batch"]
    finally:
        tab.stop()
        tab.wait(HANG_GUARD_S)
