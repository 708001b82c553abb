"""alignn config I/O: loading real alignn configs, exact refusals, export that alignn accepts."""

from __future__ import annotations

import json

import pytest
from alignn.config import TrainingConfig
from alignn.models.alignn_atomwise import ALIGNNAtomWiseConfig as AlignnModelConfig
from hypothesis import given
from hypothesis import strategies as st
from traitlets import Bool, Enum, Float, Int

from alignn_nb.config import (
    PURE_ONLY_FIELDS,
    SETTINGS_KEYS,
    ALIGNNAtomWiseConfig,
    AlignnConfigError,
    GraphConfig,
    LoadedConfig,
    apply_alignn_config,
    check,
    load_alignn_config,
    save_alignn_config,
    to_alignn_config,
)
from alignn_nb.config.alignn_io import GRAPH_KEYS
from alignn_nb.config.alignn_notes import export_notes
from tests.support.repo import EXAMPLE_DATA, PRESETS

EXAMPLES = [
    "config_example_atomwise.json",
    "mlearn_Ni_config.json",
    "mlearn_Si_config.json",
    "mlearn_Si_config_dgl.json",
]
DATA_FILES = ["jarvis_ff_sample_id_prop.json", "mlearn_Si_id_prop.json"]
PURE = [
    "pure/mlearn_Si_config.json",
    "pure/recipes_forcefield_config.json",
    "pure/sample_data_ff_config_example_atomwise.json",
]
LIGHTEN_OFF = (
    "lighten_edges set off: alignn's {} builder keeps every triplet, so the line graph here "
    "does too; inner_cutoff 3.0 Å stays alignn's smooth-cutoff radius and filters no triplet."
)
BACKTRACKING_ON = (
    "backtracking set on: alignn's line graphs keep u→v→u triplets, a bond paired with its "
    "own reverse."
)
TBC_MISSING = (
    "three_body_cutoff is not in the config; alignn's default 3.5 Å is read only by its "
    "pure_torch builder, so it is left unset (None) and exported as null."
)


def _read(path):
    return json.loads(path.read_text())


def test_top_level_json_files_are_the_four_configs_and_two_data_sets():
    assert sorted(p.name for p in PRESETS.glob("*.json")) == sorted(EXAMPLES)
    assert sorted(p.name for p in EXAMPLE_DATA.glob("*.json")) == sorted(DATA_FILES)


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_data_set_is_not_a_config(name):
    path = EXAMPLE_DATA / name
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config(path)
    assert str(caught.value) == f"{path}: holds an array, not an alignn config object"


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_round_trip_to_the_same_values(name):
    original = _read(PRESETS / name)
    loaded = load_alignn_config(PRESETS / name)
    out = to_alignn_config(*loaded, loaded.training)
    assert set(out["model"]) == set(AlignnModelConfig.model_fields)
    for key, value in original["model"].items():
        assert out["model"][key] == value, key
    kept = {k: v for k, v in original.items() if k != "model" and k not in GRAPH_KEYS}
    assert loaded.training == kept
    assert list(loaded.training) == list(kept)
    assert {k: out[k] for k in kept} == kept
    for key in GRAPH_KEYS:
        if key in original:
            assert out[key] == original[key], key
    ours = TrainingConfig(**out).model_dump()
    theirs = TrainingConfig(**original).model_dump()
    if "three_body_cutoff" not in original:
        assert (ours.pop("three_body_cutoff"), theirs.pop("three_body_cutoff")) == (None, 3.5)
    assert ours == theirs


@pytest.mark.dgl
def test_mlearn_si_dgl_config_loads_with_alignns_graph():
    loaded = load_alignn_config(PRESETS / "mlearn_Si_config_dgl.json")
    cfg, graph = loaded
    assert isinstance(loaded, LoadedConfig) and len(loaded) == 2
    assert (loaded.cfg, loaded.graph) == (cfg, graph)
    assert graph.to_dict() == {
        "cutoff": 5.0,
        "max_neighbors": None,
        "neighbor_strategy": "radius_graph",
        "atom_features": "cgcnn",
        "use_canonize": False,
        "cutoff_extra": 3.0,
        "three_body_cutoff": 3.5,
    }
    assert cfg.changed_fields() == {
        "atom_input_features": 92,
        "hidden_features": 256,
        "force_mult_natoms": True,
        "use_cutoff_function": True,
        "lighten_edges": False,
    }
    assert cfg.backtracking is True
    assert loaded.notes == [
        "not in the config, so alignn's defaults apply: cutoff_extra=3.0.",
        LIGHTEN_OFF.format("radius_graph"),
        BACKTRACKING_ON,
        "three_body_cutoff 3.5 Å kept as written; alignn applies it only in its pure_torch "
        "builder, so with radius_graph it limits no triplet. It disagrees with inner_cutoff "
        "3.0 Å; the line graph here uses neither while lighten_edges is off.",
    ]
    assert [(f.level, f.message) for f in check(cfg, graph)] == [
        (
            "warning",
            "inner_cutoff (3.0 Å) and three_body_cutoff (3.5 Å) disagree; the line graph here "
            "uses neither because lighten_edges is off: it keeps every triplet, as alignn's "
            "radius_graph builder does; alignn applies three_body_cutoff only in its pure_torch "
            "builder.",
        )
    ]


@pytest.mark.dgl
def test_missing_graph_options_take_alignns_defaults():
    loaded = load_alignn_config(PRESETS / "mlearn_Ni_config.json")
    assert loaded.graph.to_dict() == {
        "cutoff": 8.0,
        "max_neighbors": 12,
        "neighbor_strategy": "k-nearest",
        "atom_features": "cgcnn",
        "use_canonize": False,
        "cutoff_extra": 3.0,
        "three_body_cutoff": None,
    }
    assert loaded.notes == [
        "not in the config, so alignn's defaults apply: cutoff_extra=3.0.",
        LIGHTEN_OFF.format("k-nearest"),
        BACKTRACKING_ON,
        TBC_MISSING,
    ]
    assert check(*loaded) == []


def test_every_problem_is_listed_at_once():
    bad = {
        "model": {
            "name": "alignn_atomwise",
            "hiden_features": 3,
            "hidden_features": "64",
            "inner_cutoff": -1,
            "lighten_edges": True,
            "cutoff": 3.0,
        },
        "epochs": "many",
        "cutof": 4,
        "alignn_layers": 2,
        "max_neighbors": 0,
        "neighbor_strategy": "voronoi",
    }
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config(bad)
    assert str(caught.value) == (
        "config: 10 problems:\n"
        "- model: unknown field 'hiden_features': alignn's ALIGNNAtomWiseConfig has no such "
        "field (did you mean 'hidden_features'?)\n"
        "- model: 'lighten_edges' is not an alignn model field (it is alignn-nb's line-graph "
        "option, set from the graph builder)\n"
        "- model: 'cutoff' is a graph option: it belongs at the top level\n"
        "- model: hidden_features = '64' refused: hidden_features must be an integer >= 1\n"
        "- model: inner_cutoff = -1 refused: inner_cutoff (Å) must be a finite number > 0.0\n"
        "- max_neighbors = 0 refused: max_neighbors must be an integer >= 1 or None\n"
        "- neighbor_strategy = 'voronoi' refused: neighbor_strategy must be one of "
        "'k-nearest', 'radius_graph', 'pure_torch' (alignn's 'voronoi' builder is not "
        "supported)\n"
        "- unknown key 'cutof': alignn's TrainingConfig has no such field (did you mean "
        "'cutoff'?)\n"
        "- 'alignn_layers' is a model field: it belongs inside 'model'\n"
        "- epochs = 'many' refused: epochs must be an integer >= 1"
    )
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (
            {"name": "alignn"},
            "model name 'alignn' is alignn's original ALIGNN property model, which predicts no "
            "forces; only 'alignn_atomwise' or 'alignn_atomwise_pure' load",
        ),
        (
            {"name": "alignn_atomwise_pure_smooth"},
            "model name 'alignn_atomwise_pure_smooth' is alignn's pure-torch twin of "
            "alignn_atomwise with smooth bases, not supported yet; only 'alignn_atomwise' or "
            "'alignn_atomwise_pure' load",
        ),
        (
            {"name": "alignn_atomwse", "hidden_features": 8},
            "model name 'alignn_atomwse' is not an alignn model; only 'alignn_atomwise' or "
            "'alignn_atomwise_pure' load",
        ),
        ({"name": 3}, "model name must be the string 'alignn_atomwise', not a number"),
        (
            {"hidden_features": 8},
            "model has no 'name'; alignn needs name 'alignn_atomwise' to build this model",
        ),
    ],
)
def test_model_names_other_than_alignn_atomwise(block, problem):
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config(block)
    assert str(caught.value) == f"config: {problem}"
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config({"model": block, "epochs": 3})
    assert caught.value.problems == [problem]


def test_model_block_must_be_an_object():
    with pytest.raises(AlignnConfigError, match=r"^config: model must be an object \(the model "):
        load_alignn_config({"model": [1], "epochs": 3})


def test_a_model_block_alone_gets_alignn_nbs_graph_defaults():
    loaded = load_alignn_config({"name": "alignn_atomwise", "hidden_features": 128})
    assert loaded.cfg.changed_fields() == {"hidden_features": 128, "lighten_edges": False}
    assert loaded.graph == GraphConfig()
    assert loaded.training == {}
    assert loaded.notes == [
        "only a model block was given, so the graph options are alignn-nb's defaults.",
        LIGHTEN_OFF.format("k-nearest"),
        BACKTRACKING_ON,
        "three_body_cutoff left unset (None): only alignn's pure_torch builder reads it.",
    ]


def test_a_config_without_a_model_block_gets_alignns_default_model():
    loaded = load_alignn_config({"epochs": 5, "three_body_cutoff": None})
    assert loaded.cfg.changed_fields() == {"lighten_edges": False}
    assert loaded.training == {"epochs": 5}
    assert loaded.graph.to_dict() == {
        "cutoff": 5.0,
        "max_neighbors": 12,
        "neighbor_strategy": "k-nearest",
        "atom_features": "cgcnn",
        "use_canonize": True,
        "cutoff_extra": 3.0,
        "three_body_cutoff": None,
    }
    assert loaded.notes[0] == "no model block, so alignn's default alignn_atomwise model applies."
    assert loaded.notes[-1] == (
        "three_body_cutoff null kept as None (alignn's pure_torch builder reads it as cutoff); "
        "alignn's k-nearest builder ignores it."
    )


def test_a_file_that_is_not_json_is_quoted_with_its_name(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"model": {"name": "alignn_atomwise",}}')
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config(path)
    assert str(caught.value) == (
        f"{path}: is not JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 38 (char 37)"
    )
    missing = tmp_path / "missing.json"
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config(str(missing))
    assert str(caught.value) == f"{missing}: cannot be read: No such file or directory"


def test_a_failed_load_leaves_loaded_objects_unchanged():
    cfg, graph = load_alignn_config(PRESETS / "mlearn_Ni_config.json")
    before = (cfg.to_dict(), graph.to_dict())
    changes = []
    cfg.observe(changes.append)
    graph.observe(changes.append)
    with pytest.raises(AlignnConfigError):
        apply_alignn_config({"model": {"name": "alignn_atomwise_pure", "num_heads": 0}}, cfg, graph)
    with pytest.raises(AlignnConfigError):
        apply_alignn_config({"model": {"name": "alignn_atomwise", "gcn_layers": -1}}, cfg, graph)
    assert (cfg.to_dict(), graph.to_dict()) == before
    assert changes == []


def test_apply_loads_into_the_given_objects():
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    loaded = apply_alignn_config(PRESETS / "mlearn_Si_config_dgl.json", cfg, graph)
    assert loaded.cfg is cfg and loaded.graph is graph
    assert (graph.max_neighbors, graph.cutoff, cfg.hidden_features) == (None, 5.0, 256)
    assert loaded.training["batch_size"] == 2


def test_export_of_defaults_is_accepted_by_alignn():
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    out = to_alignn_config(cfg, graph)
    settings = [k for k in SETTINGS_KEYS if k != "output_dir"]
    assert list(out) == [*settings, *GRAPH_KEYS, "model"]
    defaults = {k: TrainingConfig.model_fields[k].default for k in settings}
    assert {k: out[k] for k in settings} == defaults
    assert set(out["model"]) == set(AlignnModelConfig.model_fields)
    assert out["three_body_cutoff"] == 3.0
    alignn = TrainingConfig(**out)
    assert (alignn.cutoff, alignn.atom_features, alignn.three_body_cutoff) == (
        8.0,
        "atomic_number",
        3.0,
    )
    assert alignn.model.model_dump() == AlignnModelConfig(name="alignn_atomwise").model_dump()
    assert export_notes(cfg, graph) == [
        "lighten_edges on: inner_cutoff 3.0 Å is written as three_body_cutoff. alignn applies "
        "three_body_cutoff only in its pure_torch builder; its k-nearest builder keeps every "
        "triplet, so alignn training sees triplets the line graph here leaves out.",
        "backtracking on: not an alignn field; alignn's line graphs keep u→v→u triplets too, "
        "so there is nothing to write.",
    ]


def test_export_notes_replaced_three_body_cutoff_and_backtracking_off():
    cfg = ALIGNNAtomWiseConfig(inner_cutoff=2.5, backtracking=False)
    graph = GraphConfig(three_body_cutoff=3.5, neighbor_strategy="radius_graph")
    assert to_alignn_config(cfg, graph)["three_body_cutoff"] == 2.5
    assert export_notes(cfg, graph) == [
        "lighten_edges on: inner_cutoff 2.5 Å is written as three_body_cutoff (replacing "
        "3.5 Å). alignn applies three_body_cutoff only in its pure_torch builder; its "
        "radius_graph builder keeps every triplet, so alignn training sees triplets the line "
        "graph here leaves out.",
        "backtracking off cannot be expressed in an alignn training config: every alignn graph "
        "builder keeps u→v→u triplets, so alignn training sees the triplets the line graph "
        "here leaves out.",
    ]


def test_export_with_lighten_edges_off_writes_three_body_cutoff_as_is():
    cfg = ALIGNNAtomWiseConfig(lighten_edges=False)
    out = to_alignn_config(cfg, GraphConfig())
    assert out["three_body_cutoff"] is None
    assert TrainingConfig(**out).three_body_cutoff is None
    assert export_notes(cfg, GraphConfig())[1] == (
        "three_body_cutoff None is written as null, which alignn's pure_torch builder reads as "
        "cutoff (8.0 Å); left out, alignn would default to 3.5 Å. Its k-nearest builder "
        "ignores it either way."
    )
    graph = GraphConfig(three_body_cutoff=4.0)
    assert to_alignn_config(cfg, graph)["three_body_cutoff"] == 4.0
    assert export_notes(cfg, graph)[1] == (
        "three_body_cutoff 4.0 Å is written as is; alignn's k-nearest builder ignores it "
        "(only its pure_torch builder reads it)."
    )


def test_export_refuses_training_keys_it_cannot_write():
    training = {"model": {}, "cutoff": 3.0, "epoch": 2, "batch_size": "x", "epochs": 4}
    with pytest.raises(AlignnConfigError) as caught:
        to_alignn_config(ALIGNNAtomWiseConfig(), GraphConfig(), training)
    assert str(caught.value) == (
        "training keys: 4 problems:\n"
        "- 'model' comes from cfg, not from the training keys\n"
        "- 'cutoff' is a graph option: it comes from graph, not training\n"
        "- unknown key 'epoch': alignn's TrainingConfig has no such field (did you mean "
        "'epochs'?)\n"
        "- batch_size = 'x' refused: batch_size must be an integer >= 1"
    )


def test_export_copies_the_training_keys():
    loaded = load_alignn_config(PRESETS / "config_example_atomwise.json")
    out = to_alignn_config(*loaded, loaded.training)
    out["epochs"] = 99
    assert loaded.training["epochs"] == 3


def test_save_writes_indented_json_that_loads_back(tmp_path):
    loaded = load_alignn_config(PRESETS / "mlearn_Si_config.json")
    path = tmp_path / "config.json"
    save_alignn_config(path, *loaded, loaded.training)
    text = path.read_text()
    assert text.startswith('{\n  "version": "112bbedebdaecf59fb18e11c929080fb2f358246",\n')
    assert json.loads(text) == to_alignn_config(*loaded, loaded.training)
    again = load_alignn_config(path)
    assert (again.cfg, again.graph, again.settings) == (loaded.cfg, loaded.graph, loaded.settings)
    kept = {k: v for k, v in loaded.training.items() if k not in SETTINGS_KEYS}
    assert {k: v for k, v in again.training.items() if k not in SETTINGS_KEYS} == kept
    with pytest.raises(AlignnConfigError):
        save_alignn_config(path, *loaded, {"epoch": 1})
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def _values(trait):
    meta = trait.metadata
    if isinstance(trait, Enum):
        values = st.sampled_from(trait.values)
    elif isinstance(trait, Bool):
        values = st.booleans()
    elif isinstance(trait, Int):
        low = meta.get("minimum", -3)
        values = st.integers(min_value=low, max_value=low + 300)
    elif isinstance(trait, Float):
        low = meta.get("minimum", meta.get("exclusive_minimum", -10.0))
        values = st.floats(
            min_value=low,
            max_value=20.0,
            exclude_min="exclusive_minimum" in meta,
            allow_nan=False,
        )
    return st.one_of(st.none(), values) if trait.allow_none else values


def _configs(cls):
    return st.builds(
        lambda values: cls(**values),
        st.fixed_dictionaries({n: _values(cls.field_trait(n)) for n in cls.field_names()}),
    )


@given(cfg=_configs(ALIGNNAtomWiseConfig), graph=_configs(GraphConfig))
def test_any_config_exports_to_what_alignn_accepts_and_loads_back(cfg, graph):
    out = json.loads(json.dumps(to_alignn_config(cfg, graph)))
    alignn = TrainingConfig(**out)
    assert alignn.model.model_dump() == out["model"]
    loaded = load_alignn_config(out)
    expected_cfg = {**cfg.to_dict(), "lighten_edges": False, "backtracking": True}
    if cfg.name == "alignn_atomwise":
        expected_cfg.update({n: ALIGNNAtomWiseConfig.defaults()[n] for n in PURE_ONLY_FIELDS})
    assert loaded.cfg.to_dict() == expected_cfg
    relabelled = cfg.lighten_edges and graph.neighbor_strategy != "pure_torch"
    tbc = cfg.inner_cutoff if relabelled else graph.three_body_cutoff
    assert loaded.graph.to_dict() == {**graph.to_dict(), "three_body_cutoff": tbc}
