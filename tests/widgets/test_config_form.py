"""ConfigForm: generated from trait metadata, linked both ways, refusals shown inline."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, TrainingSettings
from alignn_nb.widgets import ConfigForm
from alignn_nb.widgets.config_form import GRAPH_SECTION


@pytest.fixture
def form() -> ConfigForm:
    return ConfigForm()


def test_one_control_per_field_grouped_by_section(form):
    titles = list(form.accordion.titles)
    assert titles == [
        *ALIGNNAtomWiseConfig.SECTIONS,
        GRAPH_SECTION,
        "Training",
        "Training split",
        "Training output",
    ]
    sections = [len(box.children) for box in form.accordion.children]
    assert sections == [1, 8, 6, 6, 7, 4, 6, 5, 7, 11, 6, 5]
    assert sum(sections) == 38 + 5 + 7 + 22


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("alignn_layers", widgets.IntText),
        ("inner_cutoff", widgets.FloatText),
        ("lighten_edges", widgets.Checkbox),
        ("link", widgets.Dropdown),
        ("neighbor_strategy", widgets.Dropdown),
        ("max_neighbors", widgets.Text),
        ("three_body_cutoff", widgets.Text),
        ("epochs", widgets.IntText),
        ("optimizer", widgets.Dropdown),
        ("n_train", widgets.Text),
        ("write_predictions", widgets.Checkbox),
        ("output_dir", widgets.Text),
    ],
)
def test_control_type_follows_the_trait(form, name, kind):
    assert type(form.control(name)) is kind


def test_tooltip_carries_description_unit_bounds_and_effect(form):
    state = form.control("inner_cutoff").get_state()
    assert state["description"] == "inner_cutoff"
    assert state["tooltip"].splitlines() == [
        "Bond length (Å) for the smooth cutoff and, with lighten_edges, for angle triplets. [Å]",
        "Allowed: a finite number > 0.0.",
        "Takes effect in: forward pass, graph construction.",
    ]


def test_control_edits_reach_the_config(form):
    form.control("hidden_features").value = 128
    form.control("max_neighbors").value = "None"
    form.control("neighbor_strategy").value = "radius_graph"
    assert form.config.hidden_features == 128
    assert form.graph.max_neighbors is None
    assert form.graph.neighbor_strategy == "radius_graph"


def test_config_edits_reach_the_controls(form):
    form.config.gcn_layers = 4
    form.graph.three_body_cutoff = 3.5
    assert form.control("gcn_layers").get_state()["value"] == 4
    assert form.control("three_body_cutoff").get_state()["value"] == "3.5"


def test_refused_value_shows_inline_and_keeps_the_config(form):
    form.control("alignn_layers").value = -1
    message = "alignn_layers = -1 refused: alignn_layers must be an integer >= 0"
    assert form.config.alignn_layers == 2
    assert form.control("alignn_layers").value == -1
    assert form.errors == {"alignn_layers": message}
    assert html.escape(message) in form.error_label("alignn_layers").get_state()["value"]
    form.control("alignn_layers").value = 3
    assert form.config.alignn_layers == 3
    assert form.errors == {}
    assert form.error_label("alignn_layers").get_state()["value"] == ""


def test_unparsable_optional_value_is_refused(form):
    form.control("max_neighbors").value = "twelve"
    assert form.graph.max_neighbors == 12
    assert form.errors["max_neighbors"] == (
        "max_neighbors = 'twelve' refused: max_neighbors must be an integer >= 1 or None"
    )


@pytest.mark.dgl
def test_findings_follow_the_fields(form):
    assert form.findings == []
    form.control("atom_features").value = "cgcnn"
    assert [f.fields for f in form.findings] == [("atom_input_features", "atom_features")]
    assert "set atom_input_features=92" in form.children[1].get_state()["value"]
    form.control("atom_input_features").value = 92
    assert form.findings == []


def test_replacing_the_config_object_rebinds_the_form(form):
    old = form.config
    form.config = ALIGNNAtomWiseConfig(hidden_features=32)
    assert form.control("hidden_features").value == 32
    old.hidden_features = 7
    assert form.control("hidden_features").value == 32
    form.control("hidden_features").value = 48
    assert form.config.hidden_features == 48 and old.hidden_features == 7


def test_given_configs_are_edited_in_place():
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig(cutoff=5.0)
    form = ConfigForm(config=cfg, graph=graph)
    assert form.control("cutoff").value == 5.0
    form.control("cutoff").value = 6.0
    assert graph.cutoff == 6.0


def test_disabled_controls(form):
    form.set_disabled(["use_penalty"])
    assert form.control("use_penalty").get_state()["disabled"] is True
    form.set_disabled(["use_penalty"], False)
    assert form.control("use_penalty").disabled is False


def test_a_refused_value_is_shown_escaped(form):
    form.control("max_neighbors").value = "<img src=x onerror=alert(1)>"
    shown = form.error_label("max_neighbors").get_state()["value"]
    assert shown == (
        "<span style='color:#b00020'>max_neighbors = &#x27;&lt;img src=x onerror=alert(1)&gt;"
        "&#x27; refused: max_neighbors must be an integer &gt;= 1 or None</span>"
    )
    assert form.graph.max_neighbors == 12


def test_training_settings_edit_both_ways_and_refusals_keep_the_value():
    training = TrainingSettings()
    form = ConfigForm(training=training)
    form.control("epochs").value = 12
    form.control("n_val").value = "5"
    form.control("output_dir").value = " runs/a "
    assert (training.epochs, training.n_val, training.output_dir) == (12, 5, "runs/a")
    training.learning_rate = 0.002
    assert form.control("learning_rate").get_state()["value"] == 0.002
    form.control("batch_size").value = 0
    form.control("train_ratio").value = "1.5"
    assert (training.batch_size, training.train_ratio) == (64, 0.8)
    assert form.errors == {
        "batch_size": "batch_size = 0 refused: batch_size must be an integer >= 1",
        "train_ratio": "train_ratio = 1.5 refused: train_ratio must be a finite number >= 0.0 "
        "and <= 1.0 or None",
    }
    form.control("output_dir").value = ""
    assert training.output_dir is None
    state = form.control("warmup_steps").get_state()
    assert state["tooltip"].splitlines()[-1] == "Takes effect in: nowhere."
