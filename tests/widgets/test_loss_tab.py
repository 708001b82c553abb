"""LossTab: widget state and trait values, not pixels."""

from __future__ import annotations

import json
import re
import time

import pytest
import torch
from traitlets import TraitError

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, TrainingSettings
from alignn_nb.datasets import default_dataset
from alignn_nb.loss import LossBreakdown, fresh_breakdown
from alignn_nb.loss.breakdown import Penalty
from alignn_nb.loss.terms import Term
from alignn_nb.widgets import LossTab, loss_tab, loss_tab_pages
from tests.support.jobs import pause_after_event

pytestmark = pytest.mark.dgl


@pytest.fixture(scope="module")
def tiny():
    return default_dataset()[:4]


@pytest.fixture
def counted(monkeypatch):
    """Count forward-pass decompositions the widget runs."""
    calls = []
    real = loss_tab.loss_terms

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(loss_tab, "loss_terms", counting)
    return calls


def _png(image) -> bytes:
    return bytes(image.get_state()["value"])


def test_shows_the_terms_of_a_fresh_model(tiny):
    plot = LossTab(config=ALIGNNAtomWiseConfig(stresswise_weight=0.1), dataset=tiny)
    assert list(plot.breakdown.terms) == ["graphwise", "gradwise", "stresswise"]
    assert plot.status == f"loss terms of 4 structures: total {plot.breakdown.total:.4g}"
    table = plot.table_html.get_state()["value"]
    assert "<td>stresswise</td>" in table and "<td>GPa</td>" in table
    for image in (plot.bars_image, plot.response_image, plot.train_image):
        assert _png(image).startswith(b"\x89PNG")
    assert _png(plot.history_image) == b""
    assert tuple(plot.tabs.get_state()["titles"]) == loss_tab_pages.TABS


def test_a_fresh_model_and_a_training_run_leave_the_global_rng_alone(tiny):
    torch.manual_seed(9)
    expected = fresh_breakdown(tiny, ALIGNNAtomWiseConfig(), GraphConfig(), seed=4)
    before = torch.get_rng_state()
    plot = LossTab(dataset=tiny, seed=4, steps=2)
    assert plot.breakdown.as_dict() == expected.as_dict()
    plot.model = None
    plot.start_training()
    assert plot.wait_training(120) and len(plot.run.steps) == 2
    assert torch.equal(torch.get_rng_state(), before)


def test_a_training_run_takes_the_training_settings_learning_rate(tiny):
    """With a learning rate of 1e-12 the weights stay put, so every step (the whole dataset
    each) gives the first step's loss; at the settings' default rate the loss moves."""
    totals = {}
    for rate in (1e-12, TrainingSettings().learning_rate):
        settings = TrainingSettings(learning_rate=rate)
        plot = LossTab(dataset=tiny, seed=4, steps=3, settings=settings, auto_compute=False)
        plot.start_training()
        assert plot.wait_training(120) and len(plot.run.steps) == 3
        totals[rate] = [step.total for step in plot.run.steps]
    still, moved = totals.values()
    assert still[2] == pytest.approx(still[0], rel=1e-6)
    assert moved[0] == pytest.approx(still[0], rel=1e-6)
    assert abs(moved[2] - moved[0]) > 1e-3 * abs(moved[0])


def test_a_weight_change_reweights_without_a_forward_pass(tiny, counted):
    cfg = ALIGNNAtomWiseConfig()
    plot = LossTab(config=cfg, dataset=tiny)
    assert len(counted) == 1
    before = plot.breakdown.terms["graphwise"].weighted
    sweep_png = _png(plot.response_image)
    cfg.graphwise_weight = 0.25
    assert len(counted) == 1
    assert plot.breakdown.terms["graphwise"].weighted == pytest.approx(0.25 * before)
    assert _png(plot.response_image) != sweep_png


def test_other_fields_recompute_and_keep_the_model_when_its_shape_holds(tiny, counted):
    cfg = ALIGNNAtomWiseConfig()
    plot = LossTab(config=cfg, dataset=tiny)
    model = plot.model
    cfg.energy_mult_natoms = False
    assert len(counted) == 2
    assert plot.model is model
    assert plot.breakdown.terms["graphwise"].unit == "eV"
    cfg.hidden_features = 16
    assert plot.model is not model and plot.model.config.hidden_features == 16


def test_a_supplied_breakdown_is_shown_as_is(tiny, counted):
    cfg = ALIGNNAtomWiseConfig()
    supplied = fresh_breakdown(tiny, cfg, GraphConfig(), seed=9)
    plot = LossTab(config=cfg, dataset=tiny, breakdown=supplied, auto_compute=False)
    assert plot.breakdown is supplied
    assert counted == []
    cfg.use_penalty = False
    assert plot.breakdown is supplied and counted == []


def test_a_refused_control_value_keeps_the_trait_and_says_why(tiny):
    plot = LossTab(dataset=tiny)
    plot.response_max_input.value = -1.0
    assert plot.response_max == 2.0
    assert plot.response_max_input.get_state()["value"] == 2.0
    assert plot.status == "response_max = -1.0 refused: it must be a finite weight > 0"
    with pytest.raises(TraitError, match="steps = 0 refused: a run needs at least 1 step"):
        plot.steps = 0
    assert plot.steps == 50


def test_view_and_sweep_controls_follow_traits(tiny):
    plot = LossTab(dataset=tiny)
    bars = _png(plot.bars_image)
    plot.view = "fraction"
    assert plot.view_toggle.get_state()["index"] == 1
    assert _png(plot.bars_image) != bars
    plot.response_dropdown.value = "gradwise_weight"
    assert plot.response_field == "gradwise_weight"


def test_a_failed_recompute_keeps_the_last_terms(tiny):
    cfg = ALIGNNAtomWiseConfig()
    plot = LossTab(config=cfg, dataset=tiny)
    kept = plot.breakdown
    cfg.atom_input_features = 92
    assert plot.breakdown is kept
    assert plot.status.startswith("loss terms not updated: atom_input_features is 92")


def test_training_updates_progress_model_and_terms(tiny):
    plot = LossTab(config=ALIGNNAtomWiseConfig(), dataset=tiny, steps=4)
    model = plot.model
    weights = [p.detach().clone() for p in model.parameters()]
    before = plot.breakdown.total
    plot.start_training()
    assert plot.wait_training(120)
    assert plot.progress_bar.get_state()["value"] == 4 and plot.progress_bar.get_state()["max"] == 4
    assert re.fullmatch(r"4/4 steps · [\d.e+]+ steps/s · 0 s left", plot.progress_label.value)
    assert len(plot.run.steps) == 4 and not plot.run.stopped
    assert plot.model is plot.run.model is not model
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters(), strict=True))
    trained = plot.model.parameters()
    assert any(not torch.equal(a, b) for a, b in zip(weights, trained, strict=True))
    assert plot.breakdown.total != before
    assert plot.status.startswith("training finished after 4 steps")
    assert plot.train_button.get_state()["disabled"] is False
    assert plot.stop_button.get_state()["disabled"] is True


def test_weights_trained_for_a_shape_the_config_left_are_not_adopted(tiny):
    cfg = ALIGNNAtomWiseConfig()
    plot = LossTab(config=cfg, dataset=tiny, steps=2)
    model = plot.model
    paused, resume = pause_after_event(plot)
    plot.start_training()
    try:
        assert paused.wait(120)
        cfg.update(hidden_features=16, gcn_layers=1)
        assert plot.run.model.config.hidden_features == 64
    finally:
        resume.set()
    assert plot.wait_training(120)
    assert plot.run.model.config.hidden_features == 64
    assert plot.model is not plot.run.model and plot.model is not model
    assert plot.model.config.hidden_features == 16
    assert plot.breakdown.config["hidden_features"] == 16
    assert plot.status.startswith("training finished after 2 steps in ")
    assert plot.status.endswith(
        "; its weights were not adopted: the model's shape changed during the run "
        "(gcn_layers 2 → 1, hidden_features 64 → 16)"
    )


def test_stop_ends_the_run_early(tiny):
    plot = LossTab(config=ALIGNNAtomWiseConfig(), dataset=tiny, steps=500)
    plot.start_training()
    assert plot.stop_button.get_state()["disabled"] is False
    deadline = time.monotonic() + 60
    while not plot.run.steps and time.monotonic() < deadline:
        time.sleep(0.01)
    plot.stop_button.click()
    assert plot.wait_training(60)
    assert plot.run.stopped and 1 <= len(plot.run.steps) < 500
    assert (
        plot.status == f"training stopped after {len(plot.run.steps)} steps in "
        f"{plot.run.seconds:.1f} s"
    )


def test_history_folder_loads_and_a_bad_one_is_refused(tmp_path, tiny):
    rows = [[3.0, 2.0, 0.0, 1.0, 0.0, 0.0], [2.0, 1.2, 0.0, 0.8, 0.0, 0.0]]
    (tmp_path / "history_train.json").write_text(json.dumps(rows))
    plot = LossTab(dataset=tiny)
    plot.show_history(str(tmp_path))
    assert plot.history.epochs == 2
    assert plot.status == f"alignn history: 2 epochs from {tmp_path}"
    assert _png(plot.history_image).startswith(b"\x89PNG")
    plot.show_history(str(tmp_path / "missing"))
    assert plot.history_folder == str(tmp_path)
    assert plot.folder_input.get_state()["value"] == str(tmp_path)
    assert plot.status.startswith("history not loaded: no alignn output folder at")


def test_an_empty_history_folder_clears_the_history(tmp_path, tiny):
    (tmp_path / "history_train.json").write_text(json.dumps([[3.0, 2.0, 0.0, 1.0, 0.0, 0.0]]))
    plot = LossTab(dataset=tiny)
    plot.show_history(str(tmp_path))
    plot.show_history("")
    assert (plot.history_folder, plot.history) == ("", None)
    assert plot.status == "alignn history cleared: no folder given"
    assert plot.history_image.value == b""


def test_without_a_dataset_nothing_is_computed():
    plot = LossTab()
    assert plot.breakdown is None
    assert plot.status == "no dataset: set one to see the loss terms"
    assert _png(plot.bars_image) == b""
    assert repr(plot) == "LossTab(no dataset, no breakdown, training=False)"


def test_the_terms_table_escapes_names_units_and_statuses():
    terms = {
        "<b>a</b>": Term("<b>a</b>", 1.0, raw=2.0, weighted=2.0, share=1.0, unit="<i>eV</i>"),
        "b": Term("b", 0.5, status="<img src=x onerror=alert(1)>"),
    }
    table = loss_tab_pages.breakdown_html(LossBreakdown(terms, 2.0, Penalty(0.0, 0), 1, "mse"))
    assert "<td>&lt;b&gt;a&lt;/b&gt;</td><td>2</td><td>&lt;i&gt;eV&lt;/i&gt;</td>" in table
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in table
    assert "<b>a" not in table and "<i>" not in table and "<img" not in table
