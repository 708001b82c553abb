"""Presets: alignn's defaults read from alignn, the seed defaults and alignn's example configs."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, load_preset, named_presets
from alignn_nb.config.alignn_io import MODEL_KEYS
from alignn_nb.config.presets import EXAMPLE_FILES, example_config

NAMES = [
    "alignn defaults",
    "seed defaults",
    "config_example_atomwise.json",
    "mlearn_Ni_config.json",
    "mlearn_Si_config.json",
    "mlearn_Si_config_dgl.json",
    "pure/mlearn_Si_config.json",
    "pure/recipes_forcefield_config.json",
    "pure/sample_data_ff_config_example_atomwise.json",
]
ALIGNN_SHA256 = {
    "config_example_atomwise.json": (
        "cdf0ff84050fd33b1f848256b04e84896a373c046db81b63a2ef932cbff0421e"
    ),
    "mlearn_Ni_config.json": "863cecb2304fb4262c5a7b9686ca60fe9a653dcad684ad6362f5990c759b86ac",
    "mlearn_Si_config.json": "5ab82f99295e332f9bd50f72e84235dfda8070f27907204a061586c2c0bb59d1",
    "mlearn_Si_config_dgl.json": "9d28c7006f3d5e1a96faa2c3050482a26cc397503bc676f7a8bad369766a2435",
    "pure/mlearn_Si_config.json": (
        "1a95c17c34ed2cc840a0e3ae9ea0c2628e79a5992c30aa236004be3aea6ddfcf"
    ),
    "pure/recipes_forcefield_config.json": (
        "fdefce0707a923a1e8ed9da1b6f00fd737ac871604c5a0a4141524872390be3f"
    ),
    "pure/sample_data_ff_config_example_atomwise.json": (
        "109c21e1d60a4b4ac2314b67daa7a47e6b8fe2ce003a609825c86758f4e7e964"
    ),
}
"""SHA-256 of each file as alignn ships it (see presets/README.md for where each comes from)."""


def test_preset_names():
    assert list(named_presets()) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_loads(name):
    loaded = load_preset(name)
    assert isinstance(loaded.cfg, ALIGNNAtomWiseConfig)
    assert isinstance(loaded.graph, GraphConfig)
    assert loaded.notes


def test_mlearn_si_preset_values():
    loaded = load_preset("mlearn_Si_config.json")
    assert (loaded.cfg.hidden_features, loaded.cfg.alignn_layers, loaded.cfg.gcn_layers) == (
        256,
        4,
        4,
    )
    assert loaded.cfg.atom_input_features == 92
    assert (loaded.graph.cutoff, loaded.graph.atom_features) == (8.0, "cgcnn")
    assert loaded.training["n_train"] == 214
    assert loaded.cfg.lighten_edges is False


def test_alignn_defaults_follow_the_installed_alignn():
    from alignn.config import TrainingConfig

    alignn = TrainingConfig()
    loaded = load_preset("alignn defaults")
    assert {k: getattr(loaded.cfg, k) for k in MODEL_KEYS} == alignn.model.model_dump()
    graph = loaded.graph.to_dict()
    assert graph == {k: getattr(alignn, k) for k in graph}
    assert (loaded.graph.cutoff, loaded.graph.atom_features) == (5.0, "cgcnn")
    assert loaded.training == {}


def test_seed_defaults_are_the_mirror_defaults():
    loaded = load_preset("seed defaults")
    assert loaded.cfg == ALIGNNAtomWiseConfig()
    assert loaded.graph == GraphConfig()
    assert loaded.cfg.lighten_edges is True
    assert loaded.training == {}


def test_unknown_preset_lists_the_names():
    with pytest.raises(ValueError, match=r"no preset named 'Si'; presets: alignn defaults, seed"):
        load_preset("Si")


def test_presets_are_fresh_each_time():
    named_presets()["mlearn_Si_config.json"]["model"]["hidden_features"] = 1
    assert load_preset("mlearn_Si_config.json").cfg.hidden_features == 256


@pytest.mark.parametrize("file_name", EXAMPLE_FILES)
def test_shipped_examples_are_alignns_files_unchanged(file_name):
    shipped = example_config(file_name)
    flavour = "alignn_atomwise_pure" if file_name.startswith("pure/") else "alignn_atomwise"
    assert shipped["model"]["name"] == flavour
    shipped_bytes = (resources.files("alignn_nb.config") / "presets" / file_name).read_bytes()
    assert hashlib.sha256(shipped_bytes).hexdigest() == ALIGNN_SHA256[file_name]


def test_pure_preset_loads_alignns_pure_model_and_builder():
    cfg, graph = load_preset("pure/recipes_forcefield_config.json")
    assert cfg.name == "alignn_atomwise_pure" and graph.neighbor_strategy == "pure_torch"
    assert (cfg.hidden_features, cfg.stresswise_weight, cfg.inner_cutoff) == (256, 0.1, 3.5)
    assert graph.cutoff == 5.0 and graph.max_neighbors == 12
