"""The Sweep tab: a refused range runs nothing; a run fills the table; Apply best; Resume."""

from __future__ import annotations

import json
import time

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import load_dataset
from alignn_nb.tuning import best, open_storage, records
from alignn_nb.tuning.study import STOPPED
from alignn_nb.widgets import ConfigToolbar, SweepTab
from alignn_nb.widgets.sweep_tab import PLOT_HINT
from tests.support.dask_processes import START_SECONDS, hold_trial_at_first_report
from tests.support.models import TINY_PURE_MODEL
from tests.support.pages import shown_hints, shown_images
from tests.support.repo import EXAMPLE_DATA


@pytest.fixture
def panel(tmp_path):
    rows = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[:6]
    path = tmp_path / "six.json"
    path.write_text(json.dumps(rows))
    toolbar = ConfigToolbar(config=ALIGNNAtomWiseConfig(**TINY_PURE_MODEL), graph=GraphConfig())
    return SweepTab(
        toolbar,
        load_dataset(path),
        storage=str(tmp_path / "study.journal"),
        local_directory=str(tmp_path / "dask"),
        trials=2,
        steps=2,
    )


def test_a_refused_range_is_shown_and_nothing_runs(panel, tmp_path):
    assert not panel.add_param("cutoff=9:2")
    assert panel.message == "cutoff=9:2: cutoff: LOW 9 is above HIGH 2"
    assert panel.failed and panel.specs == []
    assert "LOW 9 is above HIGH 2" in panel.message_html.get_state()["value"]
    assert not panel.add_param("num_heads=0:4")
    assert panel.message.startswith("num_heads=0:4: ")
    assert not panel.run()
    assert panel.message == "nothing to tune: give at least one --param FIELD=LOW:HIGH"
    assert not panel.running and panel.records == []
    assert panel.add_param("cutoff=4:6")
    panel.scheduler = "localhost:8786"
    assert not panel.run()
    assert panel.message == (
        "scheduler 'localhost:8786' refused: an address looks like tcp://HOST:PORT"
    )
    assert not panel.running and panel.records == []
    assert not (tmp_path / "study.journal").exists()


def test_the_base_of_a_run_is_the_training_settings(panel):
    panel.toolbar.settings.update(learning_rate=0.003, batch_size=2)
    assert panel.add_param("hidden_features=6,8")
    options = panel._plan(panel.dataset).base.options
    assert (options.learning_rate, options.batch_size, options.steps) == (0.003, 2, 2)


def test_before_any_trial_the_plot_says_what_to_do_and_no_empty_image_shows(panel):
    assert shown_images(panel) == []
    assert shown_hints(panel) == [PLOT_HINT]


def test_the_field_list_starts_at_hidden_features_and_lists_only_numbers_and_choices(panel):
    from traitlets import Bool, Enum, Float, Int

    from alignn_nb.tuning import owner_of

    state = panel.field_dropdown.get_state()
    labels = state["_options_labels"]
    assert labels[state["index"]] == "hidden_features"
    assert "name" not in labels and "zero_inflated" not in labels
    assert {"cutoff", "max_neighbors", "neighbor_strategy", "learning_rate", "steps"} <= set(labels)
    traits = [owner_of(f).field_trait(f) for f in labels]
    assert all(isinstance(t, Int | Float | Bool | Enum) for t in traits)
    panel.range_text.value = "16:64"
    panel.add_button.click()
    assert panel.specs == ["hidden_features=16:64"] and not panel.failed


def _values(shown):
    return [(r.number, r.params, r.value, r.state, r.worker) for r in shown]


@pytest.mark.dgl
@pytest.mark.slow
def test_a_stopped_run_fills_the_table_apply_best_undoes_and_resume_shows_it(panel):
    """Three trials asked for, Stop pressed once two have finished (one worker runs them
    one at a time): the run ends with two.

    The cluster is reached by address: a scheduler and one single-threaded worker in this
    process (torch is already imported here, so no worker process has to import it).
    """
    import dask
    from distributed import LocalCluster

    with (
        dask.config.set({"temporary-directory": panel.local_directory}),
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            local_directory=panel.local_directory,
        ) as cluster,
    ):
        panel.scheduler = cluster.scheduler_address
        _run_apply_and_resume(panel)


def _run_apply_and_resume(panel):
    toolbar = panel.toolbar
    assert panel.add_param("hidden_features=6,8")
    assert panel.add_param("learning_rate=1e-4:1e-2:log")
    panel.trials = 3
    panel.observe(lambda change: change["new"] == 2 and panel.stop(), "finished")
    assert panel.run()
    assert panel.running and panel.stop_button.get_state()["disabled"] is False
    assert panel.wait(300), "the sweep did not end"
    assert not panel.running and not panel.failed, panel.message
    assert panel.message.startswith("stopped: best trial ")
    study = panel.study
    stored = records(study)
    assert len(panel.records) == 2 and _values(panel.records) == _values(stored)
    assert all(r.state == "COMPLETE" and r.value > 0 for r in stored)
    assert panel.finished == 2
    assert (panel.progress.get_state()["value"], panel.progress.get_state()["max"]) == (2, 3)
    table = panel.table_html.get_state()["value"]
    assert table.count("<tr>") == 3 and f"{stored[1].value:.6g}" in table
    assert panel.plot.image.get_state()["value"][:8] == b"\x89PNG\r\n\x1a\n"
    assert set(panel.importance) == {"hidden_features", "learning_rate"}
    assert sum(panel.importance.values()) == pytest.approx(1.0)
    assert "importance: " in panel.importance_html.get_state()["value"]
    assert panel.importance_plot.image.get_state()["value"][:8] == b"\x89PNG\r\n\x1a\n"
    assert len(shown_images(panel)) == 2 and shown_hints(panel) == []

    top = best(study)
    assert panel.apply_best()
    assert toolbar.config.hidden_features == top.params["hidden_features"]
    assert toolbar.settings.learning_rate == top.params["learning_rate"]
    assert toolbar.training == {}
    assert json.loads(toolbar.config_json())["learning_rate"] == top.params["learning_rate"]
    toolbar.undo()
    assert toolbar.config.hidden_features == 8 and toolbar.training == {}
    assert toolbar.settings.learning_rate == 0.01

    again = SweepTab(toolbar, panel.dataset, storage=panel.storage)
    assert again.resume()
    assert _values(again.records) == _values(stored)
    assert again.specs == ["hidden_features=6,8", "learning_rate=0.0001:0.01:log"]
    assert again.message == "study 'alignn-nb': 2 trials, 2 finished."
    again.study_name = "missing"
    assert not again.resume()
    assert again.message == f"no study 'missing' in {panel.storage}"
    assert _values(again.records) == _values(stored)


def _wait_for_file(folder, pattern):
    deadline = time.monotonic() + START_SECONDS
    while not list(folder.glob(pattern)) and time.monotonic() < deadline:
        time.sleep(0.05)
    found = list(folder.glob(pattern))
    assert len(found) == 1, f"no {pattern} in {folder}"
    return found[0]


@pytest.mark.slow
def test_stop_mid_trial_on_local_workers_records_every_trial_and_leaves_no_process(
    panel, tmp_path, monkeypatch
):
    """The tab's default cluster: "Workers 1" starts a local worker process. Trial 0 is
    held after its first step and released, and completes; trial 1 is held after its
    first step while Stop is pressed, and ends there. Both are recorded with a final
    state, the table shows the study's records, and the worker process is gone."""
    from multiprocessing import resource_tracker

    import optuna
    import psutil

    from alignn_nb.tuning import driver as tuning

    scratch = tmp_path / "dask"
    scratch.mkdir()
    monkeypatch.setenv("DASK_TEMPORARY_DIRECTORY", str(scratch))
    monkeypatch.setattr(tuning, "trial_task", hold_trial_at_first_report)
    # Python's own resource tracker outlives every spawned process: start it first.
    resource_tracker.ensure_running()
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    assert panel.add_param("hidden_features=6,8")
    assert (panel.scheduler, panel.workers, panel.trials, panel.steps) == ("", 1, 2, 2)
    assert panel.run()
    held = _wait_for_file(scratch, "held-0-*")
    worker = psutil.Process(int(held.name.rsplit("-", 1)[1]))
    started = [p for p in me.children(recursive=True) if p.pid not in before]
    assert worker in started
    (scratch / "release-0").touch()
    _wait_for_file(scratch, "held-1-*")
    assert panel.running and panel.finished == 1
    panel.stop()
    assert panel.wait(START_SECONDS), "the sweep did not end"

    assert not panel.running and not panel.failed, panel.message
    assert panel.message.startswith("stopped: best trial 0 ")
    study = panel.study
    stored_study = optuna.load_study(
        study_name=study.study_name, storage=open_storage(panel.storage)
    )
    frozen = stored_study.get_trials(deepcopy=False)
    assert [(t.number, t.state.name) for t in frozen] == [(0, "COMPLETE"), (1, "FAIL")]
    assert sorted(frozen[0].intermediate_values) == [1, 2]
    assert frozen[1].user_attrs["steps"] == 1 and frozen[1].user_attrs["stopped"] is True
    assert frozen[1].user_attrs["error"] == STOPPED
    stored = records(study)
    assert _values(panel.records) == _values(stored)
    assert panel.finished == 1 and [r.stopped for r in stored] == [False, True]
    assert panel.table_html.get_state()["value"].count("<tr>") == 3
    assert not worker.is_running()
    left = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], [p.cmdline() for p in left]
