"""TrainTab: a real alignn run of the form's config, watched; stop, resume, Open in Explore;
bad input refused with one line and nothing started."""

from __future__ import annotations

import json
import threading

import pytest

from alignn_nb.training import TrainFolder
from alignn_nb.widgets import ConfigToolbar
from alignn_nb.widgets.train_tab import TrainTab, form_config
from tests.support.train_runs import env, si_entries, tiny_config

STRUCTURES = 10
"""The structures of `tiny_config`'s split."""
HANG_GUARD_S = 600.0
"""Bound on waits that never end on a broken run; not a speed limit."""
EPOCHS = 12
"""Epochs of the run stopped after its first: enough that a stop sent from a loaded machine
still lands before the last."""


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "si" / "id_prop.json"
    path.parent.mkdir()
    path.write_text(json.dumps(si_entries()[:STRUCTURES]))
    return path


@pytest.fixture
def one_thread(monkeypatch):
    """The training's process gets one torch thread (cores are shared)."""
    monkeypatch.setenv("OMP_NUM_THREADS", env()["OMP_NUM_THREADS"])


def toolbar_with(epochs: int) -> ConfigToolbar:
    toolbar = ConfigToolbar()
    assert toolbar.load_file("config.json", json.dumps(tiny_config(epochs)).encode())
    return toolbar


def after_epoch(tab: TrainTab, number: int) -> threading.Event:
    """An event set once the tab shows ``number`` whole epochs."""
    reached = threading.Event()

    def check(change: dict) -> None:
        if change["new"] >= number:
            reached.set()

    tab.observe(check, "done")
    return reached


def history_epochs(output) -> tuple[int, int]:
    return tuple(
        len(json.loads((output / f"history_{s}.json").read_text())) for s in ("train", "val")
    )


def test_the_tab_reads_the_forms_config_through_the_toolbars_export():
    toolbar = toolbar_with(epochs=2)
    config = form_config(toolbar)
    assert config == json.loads(toolbar.config_json())
    assert (config["epochs"], config["n_train"], config["model"]["hidden_features"]) == (2, 6, 16)


@pytest.mark.parametrize(
    ("data_given", "output_given", "message"),
    [
        ("", "run", "data: give the structures (a path, an example or an upload)"),
        ("missing.json", "run", "data: no file or folder at {tmp}/missing.json"),
        ("si/id_prop.json", "", "output: give the run's output folder"),
        (
            "bad.json",
            "run",
            "bad.json: expected a JSON list of entries like alignn's id_prop.json",
        ),
    ],
)
def test_bad_input_is_one_line_and_nothing_starts(
    tmp_path, data, data_given, output_given, message
):
    (tmp_path / "bad.json").write_text("{not json")
    tab = TrainTab(toolbar_with(epochs=2), output=str(tmp_path / "run"))
    tab.data = str(tmp_path / data_given) if data_given else ""
    tab.output = str(tmp_path / output_given) if output_given else ""
    assert tab.start() is False
    assert tab.failed and "\n" not in tab.message
    assert tab.message == message.format(tmp=tmp_path)
    assert (tab.job, tab.running, tab.state) == (None, False, "")
    assert not (tmp_path / "run").exists()
    assert not tab.start_button.disabled


def test_a_config_alignn_refuses_is_named_and_nothing_starts(tmp_path, data):
    toolbar = toolbar_with(epochs=2)
    toolbar.training = {**toolbar.training, "epochs": 0}
    tab = TrainTab(toolbar, output=str(tmp_path / "run"), data=str(data))
    assert tab.start() is False
    assert tab.message == (
        "config: training keys: epochs = 0 refused: epochs must be an integer >= 1"
    )
    assert tab.job is None and not (tmp_path / "run").exists()


@pytest.mark.slow
@pytest.mark.dgl
def test_a_run_draws_each_epoch_stops_resumes_is_followed_again_and_opens_in_explore(
    tmp_path, data, one_thread
):
    output = tmp_path / "run"
    tab = TrainTab(toolbar_with(epochs=EPOCHS), output=str(output), data=str(data))
    first = after_epoch(tab, 1)
    assert tab.start()
    assert tab.running and tab.start_button.disabled and not tab.stop_button.disabled
    assert first.wait(HANG_GUARD_S)
    tab.stop()
    assert tab.wait(HANG_GUARD_S)
    assert (tab.state, tab.running, tab.start_button.disabled) == ("stopped", False, False)
    assert tab.progress_html.value.endswith(f"epoch {tab.done}/{EPOCHS} · stopped</span>")
    kept = history_epochs(output)
    assert 1 <= kept[1] < EPOCHS and kept[0] == kept[1]
    assert len(tab.train_rows) == len(tab.val_rows) == kept[1] == tab.done
    assert tab.val_rows == json.loads((output / "history_val.json").read_text())
    assert tab.plot.value.startswith(b"\x89PNG")
    earlier = list(tab.val_rows)

    started = threading.Event()
    assert tab.resume()
    tab.job.observe(lambda change: change["new"].kind == "started" and started.set(), "event")
    assert started.wait(HANG_GUARD_S)
    reopened = TrainTab(toolbar_with(epochs=EPOCHS), output=str(output))  # the notebook reopened
    assert reopened.running and reopened.job is not None and reopened.start_button.disabled
    assert tab.wait(HANG_GUARD_S) and reopened.wait(HANG_GUARD_S)
    assert (tab.state, tab.done, tab.epochs) == ("done", EPOCHS, EPOCHS), tab.message
    assert history_epochs(output) == (EPOCHS, EPOCHS)
    assert tab.val_rows == json.loads((output / "history_val.json").read_text())
    assert tab.val_rows[: len(earlier)] == earlier
    assert (reopened.state, reopened.val_rows, reopened.train_rows) == (
        "done",
        tab.val_rows,
        tab.train_rows,
    )
    assert tab.message == f"the run done: {EPOCHS} of {EPOCHS} epochs (done)"
    assert f"epoch {EPOCHS}/{EPOCHS} · done" in tab.progress_html.value and tab.log_tail

    opened = []
    tab.on_open(lambda folder, data_folder: opened.append((folder, data_folder)))
    assert tab.open_in_explore()
    assert opened == [(str(output), str(TrainFolder.of(output).data))]
    assert (TrainFolder.of(output).data / "id_prop.json").is_file()


def test_open_in_explore_before_a_run_is_refused(tmp_path):
    tab = TrainTab(toolbar_with(epochs=2), output=str(tmp_path / "run"))
    opened = []
    tab.on_open(lambda *args: opened.append(args))
    assert tab.open_in_explore() is False
    assert (tab.message, opened, tab.open_button.disabled) == (
        "no run with a whole epoch to open yet",
        [],
        True,
    )


def test_the_example_subset_and_an_upload_become_the_data(tmp_path):
    tab = TrainTab(toolbar_with(epochs=2), output=str(tmp_path / "run"))
    tab.example_dropdown.value = "subset"
    assert len(json.loads(open(tab.data).read())) == 24
    assert tab.example_dropdown.value == ""
    tab.load_upload("mine.json", json.dumps(si_entries()[:3]).encode())
    assert tab.data.endswith("mine.json") and len(json.loads(open(tab.data).read())) == 3
    tab.load_upload("notes.txt", b"x")
    assert tab.message == "notes.txt: expected alignn's id_prop.json or an extxyz file"
    assert tab.data.endswith("mine.json")
