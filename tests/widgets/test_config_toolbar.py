"""ConfigToolbar: load/save, presets, diff, reset and undo/redo on configs edited in place."""

from __future__ import annotations

import base64
import html
import json
import re

import pytest

from alignn_nb.config import (
    ALIGNNAtomWiseConfig,
    GraphConfig,
    TrainingSettings,
    load_alignn_config,
    load_preset,
    to_alignn_config,
)
from alignn_nb.widgets import ConfigForm, ConfigToolbar
from alignn_nb.widgets.config_toolbar import save_link
from tests.support.pages import page_refuses, page_sends
from tests.support.repo import PRESETS


@pytest.fixture
def toolbar() -> ConfigToolbar:
    return ConfigToolbar(ALIGNNAtomWiseConfig(), GraphConfig())


def saved(toolbar: ConfigToolbar) -> dict:
    """The config.json the Save link downloads."""
    link = toolbar.save_html.get_state()["value"]
    assert "download='config.json'" in link
    payload = re.search(r"href='data:application/json;base64,([A-Za-z0-9+/=]+)'", link).group(1)
    return json.loads(base64.b64decode(payload))


def upload(toolbar: ConfigToolbar, name: str, content: bytes) -> None:
    """What the browser sends when a file is chosen in the Load button."""
    page_sends(toolbar.upload, name, content)


def test_initial_state(toolbar):
    assert toolbar.undo_button.get_state()["disabled"] is True
    assert toolbar.redo_button.get_state()["disabled"] is True
    assert toolbar.preset_dropdown.options[:2] == ("alignn defaults", "seed defaults")
    assert toolbar.section_dropdown.value == "Basic Info"
    assert toolbar.diff_view.value == ""
    assert saved(toolbar) == to_alignn_config(ALIGNNAtomWiseConfig(), GraphConfig())


def test_upload_loads_in_place_and_keeps_training_keys(toolbar):
    cfg, graph = toolbar.config, toolbar.graph
    content = (PRESETS / "mlearn_Si_config.json").read_bytes()
    upload(toolbar, "mlearn_Si_config.json", content)
    assert toolbar.config is cfg and toolbar.graph is graph
    assert (cfg.hidden_features, cfg.alignn_layers, graph.atom_features) == (256, 4, "cgcnn")
    assert toolbar.settings.epochs == json.loads(content)["epochs"]
    assert "epochs" not in toolbar.training and toolbar.training["dataset"] == "user_data"
    assert toolbar.message == "Loaded mlearn_Si_config.json; 15 other training keys kept for Save."
    assert toolbar.failed is False
    assert toolbar.notes == load_alignn_config(PRESETS / "mlearn_Si_config.json").notes
    assert "alignn-nb-notes" in toolbar.message_html.value
    assert toolbar.upload.error == ""
    written = saved(toolbar)
    assert written["epochs"] == toolbar.settings.epochs == 50
    assert written["model"]["hidden_features"] == 256
    assert load_alignn_config(written).cfg == cfg


def test_refused_upload_changes_nothing(toolbar):
    toolbar.config.hidden_features = 96
    before = (toolbar.config.to_dict(), toolbar.graph.to_dict(), toolbar.history.undo_steps)
    body = b'{"model": {"name": "alignn_atomwise", "hidden_features": -3}}'
    upload(toolbar, "bad.json", body)
    assert toolbar.message == (
        "bad.json: model: hidden_features = -3 refused: hidden_features must be an integer >= 1"
    )
    assert toolbar.failed is True
    assert "alignn-nb-error" in toolbar.message_html.value
    after = (toolbar.config.to_dict(), toolbar.graph.to_dict(), toolbar.history.undo_steps)
    assert after == before


def test_preset_apply_and_undo_redo(toolbar):
    toolbar.config.hidden_features = 128
    toolbar.preset_dropdown.value = "mlearn_Si_config.json"
    toolbar.apply_button.click()
    assert toolbar.config.hidden_features == 256
    assert (
        toolbar.message
        == "Applied preset mlearn_Si_config.json; 15 other training keys kept for Save."
    )
    assert (toolbar.settings.n_train, toolbar.settings.learning_rate) == (214, 0.001)
    assert toolbar.undo_button.tooltip == "Undo preset mlearn_Si_config.json"
    toolbar.undo_button.click()
    assert toolbar.config.hidden_features == 128
    assert toolbar.graph == GraphConfig()
    assert (toolbar.training, toolbar.loaded, toolbar.loaded_name) == ({}, None, "")
    assert toolbar.settings == TrainingSettings()
    assert toolbar.message == "Undid preset mlearn_Si_config.json."
    assert toolbar.redo_button.disabled is False
    toolbar.undo_button.click()
    assert toolbar.config.hidden_features == 64
    assert toolbar.undo_button.disabled is True
    toolbar.redo_button.click()
    toolbar.redo_button.click()
    assert toolbar.config.hidden_features == 256
    assert toolbar.loaded_name == "mlearn_Si_config.json"
    assert saved(toolbar)["n_train"] == 214


def test_every_preset_applies(toolbar):
    for name in toolbar.preset_dropdown.options:
        assert toolbar.apply_preset(name), toolbar.message
        assert toolbar.config == load_preset(name).cfg


def test_form_edits_are_undone_through_the_toolbar(toolbar):
    form = ConfigForm(config=toolbar.config, graph=toolbar.graph)
    form.control("hidden_features").value = 100
    assert toolbar.undo_button.disabled is False
    toolbar.undo()
    assert form.control("hidden_features").value == 64
    assert toolbar.config.hidden_features == 64


def test_diff_against_defaults_and_loaded_file(toolbar):
    toolbar.diff_toggle.value = "against loaded file"
    assert toolbar.diff_mode == "against loaded file"
    assert "Nothing loaded yet" in toolbar.diff_view.value
    toolbar.apply_preset("config_example_atomwise.json")
    assert toolbar.diff == []
    assert "No field differs from config_example_atomwise.json." in toolbar.diff_view.value
    toolbar.config.hidden_features = 32
    assert [(r.field, r.reference, r.current) for r in toolbar.diff] == [
        ("hidden_features", 64, 32)
    ]
    toolbar.diff_mode = "against defaults"
    fields = [r.field for r in toolbar.diff]
    assert fields[:3] == ["alignn_layers", "gcn_layers", "atom_input_features"]
    assert "<b>hidden_features</b>" in toolbar.diff_view.value
    toolbar.diff_mode = "off"
    assert toolbar.diff_view.value == ""


def test_training_settings_are_diffed_undone_and_saved(toolbar):
    form = ConfigForm(toolbar.config, toolbar.graph, toolbar.settings)
    toolbar.apply_preset("config_example_atomwise.json")
    toolbar.diff_mode = "against loaded file"
    form.control("epochs").value = 7
    assert [(r.section, r.field, r.reference, r.current) for r in toolbar.diff] == [
        ("Training", "epochs", 3, 7)
    ]
    assert saved(toolbar)["epochs"] == 7
    assert toolbar.undo_button.tooltip == "Undo epochs 3 → 7"
    toolbar.undo()
    assert toolbar.settings.epochs == 3 and form.control("epochs").value == 3
    assert saved(toolbar)["epochs"] == 3
    toolbar.diff_mode = "against defaults"
    rows = {r.field: (r.section, r.reference, r.current) for r in toolbar.diff}
    assert rows["learning_rate"] == ("Training", 0.01, 0.001)
    assert rows["store_outputs"] == ("Training output", True, False)


def test_reset_section_is_one_step(toolbar):
    toolbar.apply_preset("mlearn_Si_config.json")
    toolbar.section_dropdown.value = "Model Architecture"
    toolbar.reset_button.click()
    assert (toolbar.config.hidden_features, toolbar.config.alignn_layers) == (64, 2)
    assert toolbar.graph.atom_features == "cgcnn"
    assert toolbar.history.undo_description == "reset Model Architecture"
    toolbar.undo()
    assert toolbar.config.hidden_features == 256


def test_reset_graph_section_and_all(toolbar):
    toolbar.apply_preset("mlearn_Si_config_dgl.json")
    toolbar.reset_section("Graph")
    assert toolbar.graph == GraphConfig()
    assert toolbar.config.hidden_features == 256
    toolbar.reset_section("Training split")
    assert (toolbar.settings.n_train, toolbar.settings.epochs) == (None, 50)
    toolbar.reset_all_button.click()
    assert toolbar.config == ALIGNNAtomWiseConfig()
    assert toolbar.settings == TrainingSettings()
    assert toolbar.training["dataset"] == "user_data"
    assert toolbar.message == "Reset every field to alignn-nb's defaults."


def test_unknown_section_is_refused(toolbar):
    toolbar.reset_section("Optics")
    assert toolbar.failed is True
    assert toolbar.message.startswith("no section 'Optics'; sections: Basic Info, ")
    assert toolbar.history.can_undo is False


def test_unsavable_training_keys_show_instead_of_the_link(toolbar):
    toolbar.training = {"dtype": 3}
    state = html.unescape(toolbar.save_html.get_state()["value"])
    assert "alignn-nb-save-error" in state
    assert "dtype = 3 refused by alignn's TrainingConfig" in state
    toolbar.training = {"dtype": "float64"}
    assert saved(toolbar)["dtype"] == "float64"


HOSTILE = "<img src=x onerror=alert(1)>"


def test_an_oversized_config_is_refused_and_every_edit_stays(toolbar):
    toolbar.config.hidden_features = 96
    toolbar.graph.cutoff = 6.0
    before = (toolbar.config.to_dict(), toolbar.graph.to_dict(), toolbar.history.undo_steps)
    page_refuses(toolbar.upload, "huge.json", 21 * 1024 * 1024)
    assert toolbar.message == (
        "huge.json is 21.0 MB (22,020,096 bytes); uploads are limited to 20 MB"
    )
    assert toolbar.failed is True
    assert "alignn-nb-error" in toolbar.message_html.get_state()["value"]
    after = (toolbar.config.to_dict(), toolbar.graph.to_dict(), toolbar.history.undo_steps)
    assert after == before


def test_the_load_button_takes_json_files_up_to_the_limit(toolbar):
    state = toolbar.upload.get_state()
    assert (state["accept"], state["max_bytes"]) == ([".json"], 20 * 1024 * 1024)
    assert state["tooltip"] == "Load an alignn training config.json (at most 20 MB)"


@pytest.mark.parametrize(
    ("send", "shown"),
    [
        (
            lambda t: page_refuses(t.upload, f"{HOSTILE}.txt", 3),
            f"{html.escape(HOSTILE)}.txt is not an alignn config.json",
        ),
        (
            lambda t: upload(
                t, "c.json", json.dumps({"model": {"name": "alignn_atomwise", HOSTILE: 1}}).encode()
            ),
            f"c.json: model: unknown field {html.escape(repr(HOSTILE))}",
        ),
        (
            lambda t: upload(t, f"{HOSTILE}.json", b"<b>not json</b>"),
            f"{html.escape(HOSTILE)}.json: is not JSON",
        ),
    ],
    ids=["file name", "config key", "refusal"],
)
def test_hostile_text_is_shown_escaped(toolbar, send, shown):
    send(toolbar)
    value = toolbar.message_html.get_state()["value"]
    assert shown in value
    assert "<img" not in value and "<b>not" not in value


def test_the_save_link_escapes_its_file_name():
    link = save_link("{}", f"{HOSTILE}.json")
    assert f"download='{html.escape(HOSTILE, quote=True)}.json'" in link
    assert "<img" not in link
