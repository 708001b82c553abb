"""config_diff: only changed fields, with their section, reference and current value."""

from __future__ import annotations

import pytest

from alignn_nb.config import (
    ALIGNNAtomWiseConfig,
    DiffRow,
    GraphConfig,
    config_diff,
    diff_from_defaults,
    diff_from_loaded,
    load_alignn_config,
)
from tests.support.repo import PRESETS


def test_defaults_have_no_diff():
    assert diff_from_defaults(ALIGNNAtomWiseConfig(), GraphConfig()) == []


def test_only_changed_fields_in_declaration_order():
    cfg = ALIGNNAtomWiseConfig(link="log", hidden_features=128)
    graph = GraphConfig(max_neighbors=None)
    assert diff_from_defaults(cfg, graph) == [
        DiffRow("Model Architecture", "hidden_features", 64, 128),
        DiffRow("Miscellaneous", "link", "identity", "log"),
        DiffRow("Graph", "max_neighbors", 12, None),
    ]


def test_against_explicit_reference_dicts():
    cfg, graph = ALIGNNAtomWiseConfig(gcn_layers=4), GraphConfig()
    rows = config_diff(cfg, graph, {"gcn_layers": 4, "alignn_layers": 3}, {"cutoff": 5.0})
    assert rows == [
        DiffRow("Model Architecture", "alignn_layers", 3, 2),
        DiffRow("Graph", "cutoff", 5.0, 8.0),
    ]


def test_unknown_reference_field_is_refused():
    with pytest.raises(ValueError, match=r"GraphConfig has unknown fields: 'hidden_features'"):
        config_diff(ALIGNNAtomWiseConfig(), GraphConfig(), {}, {"hidden_features": 1})


def test_against_a_loaded_file():
    loaded = load_alignn_config(PRESETS / "mlearn_Si_config.json")
    cfg, graph = loaded.cfg.copy(), loaded.graph.copy()
    assert diff_from_loaded(cfg, graph, loaded) == []
    cfg.hidden_features = 64
    graph.cutoff = 6.0
    assert diff_from_loaded(cfg, graph, loaded) == [
        DiffRow("Model Architecture", "hidden_features", 256, 64),
        DiffRow("Graph", "cutoff", 8.0, 6.0),
    ]
    fields = {row.field for row in diff_from_defaults(loaded.cfg, loaded.graph)}
    assert {"hidden_features", "alignn_layers", "gcn_layers", "atom_input_features"} <= fields
