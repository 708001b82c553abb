"""Dashboard: flavours switch live; failing or slow views neither stop nor block the engine."""

from __future__ import annotations

import html
import logging
import threading

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePure

from alignn_nb.config import (
    SETTINGS_KEYS,
    ALIGNNAtomWiseConfig,
    TrainingSettings,
    dgl_installed,
    to_alignn_model_config,
)
from alignn_nb.datasets import default_dataset
from alignn_nb.model import build_model, model_summary
from alignn_nb.tuning import open_storage
from alignn_nb.widgets import Dashboard
from alignn_nb.widgets._resync import widget_tree
from alignn_nb.widgets.dashboard import TABS
from tests.support.jobs import pause_after_event
from tests.support.pages import shown_hints, shown_images

HANG_GUARD_S = 60.0
"""Bound on waits that never end on a broken engine; not a speed limit."""
PURE_ONLY = ["conv_type", "num_heads", "use_zbl", "zbl_cutoff", "model_three_body_cutoff"]


def alignn_count(cfg: ALIGNNAtomWiseConfig) -> int:
    """Parameters of alignn's own model class for ``cfg``'s flavour."""
    if cfg.name == "alignn_atomwise_pure":
        model = ALIGNNAtomWisePure(to_alignn_model_config(cfg))
    else:
        from alignn.models.alignn_atomwise import ALIGNNAtomWise

        model = ALIGNNAtomWise(to_alignn_model_config(cfg))
    return sum(p.numel() for p in model.parameters())


@pytest.fixture
def dashboard():
    board = Dashboard(dataset=default_dataset(size=2))
    board.wait()
    yield board
    board.session.wait(HANG_GUARD_S)


def test_every_tab_reads_the_one_training_settings_and_the_export_holds_them(dashboard):
    from alignn.config import TrainingConfig

    training = dashboard.training
    assert isinstance(training, TrainingSettings)
    assert training is dashboard.form.training is dashboard.toolbar.settings
    assert training is dashboard.loss_plot.settings is dashboard.dataset_tab.training
    dashboard.form.control("batch_size").value = 8
    assert dashboard.dataset_tab.batch_text.get_state()["value"] == 8
    dashboard.dataset_tab.batch_text.value = 6
    dashboard.form.control("learning_rate").value = 0.004
    assert (training.batch_size, training.learning_rate) == (6, 0.004)
    assert dashboard.form.control("batch_size").get_state()["value"] == 6
    dashboard.toolbar.apply_preset("mlearn_Si_config.json")
    assert (training.epochs, training.n_train, training.batch_size) == (50, 214, 5)
    exported = dashboard.alignn_config()
    assert {k: exported[k] for k in SETTINGS_KEYS} == training.to_dict()
    alignn = TrainingConfig(**exported)
    assert {k: getattr(alignn, k) for k in SETTINGS_KEYS} == training.to_dict()
    dashboard.toolbar.undo()
    assert (training.batch_size, training.learning_rate, training.epochs) == (6, 0.004, 300)


@pytest.mark.slow
def test_the_dashboard_switches_flavours_live_and_counts_as_alignn(dashboard):
    form, config = dashboard.form, dashboard.config
    if dgl_installed():
        assert dashboard.summary.summary.total == alignn_count(config) == 143_297
    else:
        assert "DGL is not installed; alignn_atomwise needs it" in dashboard.status
        assert form.findings[0].message.startswith("DGL is not installed")
    assert all(form.control(n).disabled for n in PURE_ONLY)
    form.control("name").value = "alignn_atomwise_pure"
    form.control("conv_type").value = "t_alignn"
    form.control("num_heads").value = 4
    dashboard.wait()
    assert not any(form.control(n).disabled for n in PURE_ONLY)
    assert dashboard.session.result.error is None
    pure_total = alignn_count(config)
    assert dashboard.summary.summary.total == pure_total != 143_297
    assert type(dashboard.session.result.model) is ALIGNNAtomWisePure
    shown = dashboard.prediction.prediction
    assert shown is dashboard.session.result.prediction
    assert (shown.energy.unit, shown.forces.shape) == ("eV", (len(dashboard.picker.atoms), 3))
    form.control("name").value = "alignn_atomwise"
    dashboard.wait()
    assert all(form.control(n).disabled for n in PURE_ONLY)
    if dgl_installed():
        assert dashboard.summary.summary.total == 143_297
    else:
        assert "DGL is not installed; alignn_atomwise needs it" in dashboard.status
        assert dashboard.summary.summary.total == pure_total
    _check_the_sweep_tab(dashboard)


def _check_the_sweep_tab(dashboard: Dashboard) -> None:
    """The Sweep tab tunes the toolbar's config and follows the loss tab's dataset."""
    titles = tuple(dashboard.tabs.get_state()["titles"])
    assert titles[titles.index("Sweep") + 1 : titles.index("Sweep") + 3] == ("Train", "Explore")
    assert dashboard.tabs.children[titles.index("Train")] is dashboard.train
    assert dashboard.tabs.children[titles.index("Sweep")] is dashboard.sweep
    assert dashboard.tabs.children[titles.index("Explore")] is dashboard.explore
    assert dashboard.explore.explore.evaluation is None
    assert dashboard.sweep.toolbar is dashboard.toolbar
    assert dashboard.sweep.dataset is dashboard.loss_plot.dataset
    smaller = default_dataset(size=1)
    dashboard.loss_plot.dataset = smaller
    assert dashboard.sweep.dataset is smaller
    dashboard.wait()


def test_before_any_data_the_sweep_explore_and_dataset_tabs_say_what_to_do(dashboard):
    from alignn_nb.widgets import dataset_tab, explore_tab, sweep_tab, train_tab

    tabs = {name: dashboard.tabs.children[TABS.index(name)] for name in TABS}
    assert tabs["Sweep"] is dashboard.sweep and tabs["Dataset"] is dashboard.dataset_tab
    for name in ("Sweep", "Train", "Explore", "Dataset"):
        assert shown_images(tabs[name]) == [], name
    assert shown_hints(tabs["Sweep"]) == [sweep_tab.PLOT_HINT]
    assert shown_hints(tabs["Train"]) == [train_tab.PLOT_HINT]
    assert shown_hints(tabs["Dataset"]) == [dataset_tab.PLOT_HINT]
    message = tabs["Explore"].message_html.get_state()["value"]
    assert message == html.escape(explore_tab.EXAMPLE_HINT)


@pytest.mark.dgl
def test_showing_the_explore_tab_opens_the_example_run_once(dashboard):
    explore = dashboard.explore
    assert explore.explore.evaluation is None and explore.job is None
    dashboard.tabs.selected_index = TABS.index("Explore")
    opened = explore.job
    assert opened.wait(HANG_GUARD_S * 10)
    assert not explore.busy and explore.error == ""
    assert explore.explore.evaluation.run == "mlearn_Si_run"
    assert len(explore.explore.evaluation.structures) == 4
    dashboard.tabs.selected_index = TABS.index("Sweep")
    dashboard.tabs.selected_index = TABS.index("Explore")
    assert explore.job is opened


def test_the_sweeps_best_trial_goes_to_the_train_tab_in_one_click(dashboard, tmp_path):
    import optuna

    from alignn_nb.widgets.train_tab import form_config

    storage = tmp_path / "study.journal"
    study = optuna.create_study(study_name="best", storage=open_storage(storage))
    features = optuna.distributions.CategoricalDistribution([6, 8])
    rate = optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)
    for value, params in ((0.5, (6, 1e-3)), (0.25, (8, 3e-3))):
        study.add_trial(
            optuna.trial.create_trial(
                params={"hidden_features": params[0], "learning_rate": params[1]},
                distributions={"hidden_features": features, "learning_rate": rate},
                value=value,
            )
        )
    sweep = dashboard.sweep
    sweep.storage, sweep.study_name = str(storage), "best"
    assert sweep.resume()
    assert dashboard.tabs.selected_index == 0
    sweep.train_button.click()
    assert sweep.sent_to_train == 1 and not sweep.failed, sweep.message
    assert dashboard.tabs.selected_index == TABS.index("Train")
    config = form_config(dashboard.toolbar)
    assert (config["model"]["hidden_features"], config["learning_rate"]) == (8, 3e-3)
    dashboard.wait()


@pytest.mark.dgl
def test_open_in_explore_shows_the_explore_tab_on_that_run(dashboard):
    from alignn_nb.training import example_run_data, example_run_path

    explore = dashboard.explore
    explore.weights = "last_model.pt"
    dashboard.open_in_explore(str(example_run_path()), str(example_run_data()))
    assert dashboard.tabs.selected_index == TABS.index("Explore")
    assert (explore.folder, explore.data, explore.weights) == (
        str(example_run_path()),
        str(example_run_data()),
        "",
    )
    assert explore.job is not None and explore.job.wait(HANG_GUARD_S * 10)
    assert explore.error == "" and explore.explore.evaluation.run == "mlearn_Si_run"
    assert explore.history is not None and explore.history.epochs == 8


def test_clearing_the_dataset_leaves_each_tab_working(dashboard):
    """No dataset: no loss terms, no dataset samples, a sweep refused by name; the Dataset
    tab keeps scanning its own source. Setting one back restores them all."""
    dataset, source = dashboard.loss_plot.dataset, dashboard.dataset_tab.source
    sweep, picker = dashboard.sweep, dashboard.picker
    assert len(picker.sample_dropdown.get_state()["_options_labels"]) == len(dataset) == 2
    dashboard.loss_plot.dataset = None
    result = dashboard.wait()
    assert dashboard.session.dataset is picker.dataset is sweep.dataset is None
    assert result.losses is None and dashboard.loss_plot.breakdown is None
    assert picker.sample_dropdown.get_state()["_options_labels"] == ()
    assert dashboard.dataset_tab.source == source
    assert sweep.add_param("cutoff=4:6")
    assert not sweep.run()
    assert sweep.message == "no dataset to train the trials on: set the dashboard's dataset first"
    assert sweep.failed and not sweep.running and sweep.records == []
    assert "no dataset to train the trials on" in sweep.message_html.get_state()["value"]
    dashboard.loss_plot.dataset = dataset
    dashboard.wait()
    assert dashboard.session.dataset is picker.dataset is sweep.dataset is dataset
    assert len(picker.sample_dropdown.get_state()["_options_labels"]) == 2


@pytest.mark.dgl
def test_the_prediction_shows_the_live_models_parameter_count(dashboard):
    cfg = ALIGNNAtomWiseConfig()
    default = model_summary(build_model(cfg)).total
    assert dashboard.prediction.parameters == default == 143_297
    assert "<span class='alignn-nb-parameters'>143,297 parameters</span>" in shown(dashboard)
    dashboard.config.hidden_features = 128
    dashboard.wait()
    wider = model_summary(build_model(ALIGNNAtomWiseConfig(hidden_features=128))).total
    assert dashboard.prediction.parameters == wider == 524_289
    assert "<span class='alignn-nb-parameters'>524,289 parameters</span>" in shown(dashboard)


def shown(dashboard: Dashboard) -> str:
    return dashboard.prediction.children[0].get_state()["value"]


@pytest.mark.dgl
def test_an_observer_that_raises_is_shown_and_the_next_edit_publishes(dashboard, caplog):
    failures = iter([RuntimeError("boom")])

    def flaky(change):
        failure = next(failures, None)
        if failure is not None:
            raise failure

    dashboard.session.observe(flaky, "result")
    dashboard.config.hidden_features = 32
    with caplog.at_level(logging.ERROR, logger="alignn_nb.live.session"):
        dashboard.wait(HANG_GUARD_S)
    assert dashboard.status == (
        "the views were not all updated: an observer of result raised RuntimeError: boom "
        "(see the log)"
    )
    assert "color:#b00020" in dashboard.status_html.value
    assert len(caplog.records) == 1
    dashboard.config.hidden_features = 48
    result = dashboard.wait(HANG_GUARD_S)
    assert result.config["hidden_features"] == 48
    assert dashboard.summary.summary.total == result.summary.total
    assert dashboard.status.startswith("Si (example): recomputed model ")


@pytest.mark.dgl
def test_a_view_that_raises_while_shown_is_named_and_the_others_still_update(
    dashboard, monkeypatch, caplog
):
    show = dashboard.prediction.show
    calls = []

    def fails_once(prediction, *args, **kwargs):
        calls.append(prediction)
        if len(calls) == 1:
            raise ValueError("cannot draw")
        show(prediction, *args, **kwargs)

    monkeypatch.setattr(dashboard.prediction, "show", fails_once)
    dashboard.config.hidden_features = 32
    with caplog.at_level(logging.ERROR, logger="alignn_nb.widgets.dashboard"):
        failed = dashboard.wait(HANG_GUARD_S)
    assert dashboard.status.endswith(
        "; the prediction view failed: ValueError: cannot draw (see the log)"
    )
    assert dashboard.summary.summary is failed.summary
    assert dashboard.loss_plot.breakdown is failed.losses
    assert [r.exc_info[0] for r in caplog.records] == [ValueError]
    dashboard.config.hidden_features = 48
    shown = dashboard.wait(HANG_GUARD_S)
    assert dashboard.prediction.prediction is shown.prediction
    assert (
        dashboard.status.startswith("Si (example): recomputed model ")
        and "failed" not in dashboard.status
    )


@pytest.mark.dgl
def test_an_edit_returns_while_the_graph_view_is_still_redrawing(dashboard, monkeypatch):
    view = dashboard.graph_view
    redraw = view._redraw
    drawing, drawn, release = threading.Event(), threading.Event(), threading.Event()

    def slow_redraw():
        if threading.current_thread().name == "alignn-nb-live" and not drawing.is_set():
            drawing.set()
            release.wait(HANG_GUARD_S)
            redraw()
            drawn.set()
            return
        redraw()

    monkeypatch.setattr(view, "_redraw", slow_redraw)
    dashboard.config.inner_cutoff = 3.5
    try:
        assert drawing.wait(HANG_GUARD_S)
        edit = threading.Thread(target=setattr, args=(dashboard.config, "hidden_features", 32))
        edit.start()
        edit.join(HANG_GUARD_S)
        returned_while_drawing = not edit.is_alive() and not drawn.is_set()
    finally:
        release.set()
    assert returned_while_drawing
    result = dashboard.wait(HANG_GUARD_S)
    assert drawn.is_set()
    assert (result.config["inner_cutoff"], result.config["hidden_features"]) == (3.5, 32)
    assert dashboard.summary.summary.total == result.summary.total


def _same_numpy_state(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


@pytest.mark.dgl
def test_rebuilds_a_loss_and_a_training_run_leave_the_global_rngs_alone():
    torch.manual_seed(2024)  # a state no seeded build can leave behind by chance
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    board = Dashboard(dataset=default_dataset(size=2))
    board.wait(HANG_GUARD_S)
    edits = {"hidden_features": 32, "name": "alignn_atomwise_pure", "inner_cutoff": 3.5}
    for name, value in edits.items():
        setattr(board.config, name, value)
        assert board.wait(HANG_GUARD_S).error is None
    breakdown = board.loss_plot.compute()
    assert breakdown is board.loss_plot.breakdown and breakdown.samples == 2
    board.loss_plot.steps = 2
    board.loss_plot.start_training()
    assert board.loss_plot.wait_training(HANG_GUARD_S)
    assert len(board.loss_plot.run.steps) == 2
    board.wait(HANG_GUARD_S)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert _same_numpy_state(np.random.get_state(), numpy_state)


def _weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def _same_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor]) -> bool:
    state = model.state_dict()
    return state.keys() == weights.keys() and all(torch.equal(state[k], weights[k]) for k in state)


@pytest.mark.dgl
@pytest.mark.parametrize(
    ("shape_edits", "refusal"),
    [
        ([], None),
        ([("hidden_features", 32), ("hidden_features", 64)], None),
        ([("hidden_features", 32)], "hidden_features 64 → 32"),
        (
            [("name", "alignn_atomwise_pure")],
            "name 'alignn_atomwise' → 'alignn_atomwise_pure'",
        ),
    ],
)
def test_a_training_run_trains_its_own_model_and_hands_back_weights_of_the_same_shape(
    dashboard, shape_edits, refusal
):
    plot, live_model = dashboard.loss_plot, dashboard.session.result.model
    live_weights = _weights(live_model)
    plot.steps = 3
    paused, resume = pause_after_event(plot)
    plot.start_training()
    try:
        assert paused.wait(HANG_GUARD_S)
        trained = plot.run.model
        assert trained is not live_model
        mid_run = _weights(trained)
        dashboard.config.penalty_threshold = 2.5
        dashboard.wait(HANG_GUARD_S)
        for name, value in shape_edits:
            setattr(dashboard.config, name, value)
            dashboard.wait(HANG_GUARD_S)
        assert (trained.config.penalty_threshold, trained.config.hidden_features) == (1.0, 64)
        assert plot.run.config.penalty_threshold == 1.0
        assert _same_weights(trained, mid_run)
        assert dashboard.session.result.model is not trained
    finally:
        resume.set()
    assert plot.wait_training(HANG_GUARD_S) and len(plot.run.steps) == 3
    result = dashboard.wait(HANG_GUARD_S)
    assert _same_weights(live_model, live_weights)
    assert not _same_weights(trained, mid_run)
    if refusal is None:
        assert result.model is trained is plot.model
        assert trained.config.penalty_threshold == 2.5
        assert "not adopted" not in plot.status + dashboard.status
    else:
        assert result.model is not trained and plot.model is not trained
        assert plot.status.endswith(
            f"; its weights were not adopted: the model's shape changed during the run ({refusal})"
        )
        assert dashboard.status == plot.status


def _record_sends(monkeypatch) -> list[str]:
    """Model ids of every ``send_state`` call from now on."""
    sent: list[str] = []
    send = widgets.Widget.send_state

    def recording(self, key=None):
        sent.append(self.model_id)
        return send(self, key)

    monkeypatch.setattr(widgets.Widget, "send_state", recording)
    return sent


def test_a_page_drawing_the_dashboard_is_sent_every_control_again_but_not_the_3d_view(
    dashboard, monkeypatch
):
    tree = list(widget_tree(dashboard))
    core = {w.model_id for w in tree if w._model_module.startswith("@jupyter-widgets/")}
    assert dashboard._view_count == 0
    assert dashboard.status_html.model_id in core and len(core) > 100
    sent = _record_sends(monkeypatch)
    dashboard.set_state({"_view_count": 1})  # as the page reports a drawn view
    assert sorted(sent) == sorted(core)
    assert dashboard.graph_view.view.model_id not in sent
    sent.clear()
    dashboard.set_state({"_view_count": 0})
    assert sent == []


def test_the_resend_waits_for_a_round_being_published(dashboard, monkeypatch):
    sent = _record_sends(monkeypatch)
    publishing, release = threading.Event(), threading.Event()

    def publish_slowly():
        with dashboard._views_lock:
            publishing.set()
            release.wait(HANG_GUARD_S)

    publisher = threading.Thread(target=publish_slowly)
    publisher.start()
    assert publishing.wait(HANG_GUARD_S)
    page = threading.Thread(target=dashboard.set_state, args=({"_view_count": 1},))
    page.start()
    page.join(0.2)
    waited = page.is_alive() and sent == []
    release.set()
    page.join(HANG_GUARD_S)
    publisher.join(HANG_GUARD_S)
    assert waited
    assert dashboard.status_html.model_id in sent
