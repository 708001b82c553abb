"""alignn_atomwise_pure configs: loading, the two three_body_cutoffs, and alignn's 25 examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alignn.config import TrainingConfig

from alignn_nb.config import (
    ALIGNNAtomWiseConfig,
    AlignnConfigError,
    GraphConfig,
    check,
    load_alignn_config,
    to_alignn_config,
)
from alignn_nb.widgets import ConfigForm
from tests.support.repo import PRESETS

SDIST_CONFIGS = Path(__file__).resolve().parents[1] / "data" / "alignn_example_configs"
PURE_EXAMPLES = [
    "pure/mlearn_Si_config.json",
    "pure/recipes_forcefield_config.json",
    "pure/sample_data_ff_config_example_atomwise.json",
]


def assert_round_trips(original: dict) -> None:
    """Loaded and written back, alignn reads the same training config as from the original."""
    loaded = load_alignn_config(original)
    exported = json.loads(json.dumps(to_alignn_config(loaded.cfg, loaded.graph, loaded.training)))
    assert TrainingConfig(**exported).model_dump() == TrainingConfig(**original).model_dump()
    again = load_alignn_config(exported)
    assert again.cfg == loaded.cfg and again.graph == loaded.graph


@pytest.mark.parametrize("name", PURE_EXAMPLES)
def test_alignns_pure_examples_load_and_round_trip(name):
    original = json.loads((PRESETS / name).read_text())
    loaded = load_alignn_config(original)
    assert loaded.cfg.name == "alignn_atomwise_pure"
    assert loaded.graph.neighbor_strategy == "pure_torch"
    assert loaded.graph.three_body_cutoff == 3.5
    assert not [f for f in check(loaded.cfg, loaded.graph) if f.level == "error"]
    assert_round_trips(original)


def test_a_pure_block_without_penalty_factor_takes_the_pure_default():
    loaded = load_alignn_config(PRESETS / "pure/mlearn_Si_config.json")
    assert loaded.cfg.penalty_factor == 0.5
    assert loaded.cfg.changed_fields()["penalty_factor"] == 0.5
    assert (
        "penalty_factor is not in the model block, so alignn_atomwise_pure's default 0.5 eV/Å "
        "applies (alignn_atomwise's, and alignn-nb's, is 0.1 eV/Å)."
    ) in loaded.notes
    forcefield = load_alignn_config(PRESETS / "pure/recipes_forcefield_config.json")
    assert forcefield.cfg.penalty_factor == 0.1
    assert not [n for n in forcefield.notes if n.startswith("penalty_factor")]


def test_pure_torch_without_three_body_cutoff_takes_alignns_default():
    loaded = load_alignn_config(PRESETS / "pure/sample_data_ff_config_example_atomwise.json")
    assert (loaded.graph.three_body_cutoff, loaded.cfg.use_zbl, loaded.cfg.zbl_cutoff) == (
        3.5,
        True,
        0.9,
    )
    defaults_note = next(n for n in loaded.notes if n.startswith("not in the config"))
    assert "three_body_cutoff=3.5" in defaults_note
    assert loaded.notes[-2].startswith(
        "lighten_edges set off: alignn's pure_torch builder limits triplets only by "
        "three_body_cutoff (3.5 Å)"
    )


def test_the_two_three_body_cutoffs_stay_apart_through_load_form_and_export():
    config = {
        "neighbor_strategy": "pure_torch",
        "cutoff": 5.0,
        "three_body_cutoff": 3.0,
        "model": {
            "name": "alignn_atomwise_pure",
            "three_body_cutoff": 4.0,
            "atom_input_features": 92,
        },
    }
    cfg, graph = load_alignn_config(config)
    assert (cfg.model_three_body_cutoff, graph.three_body_cutoff) == (4.0, 3.0)
    form = ConfigForm(config=cfg, graph=graph)
    assert form.control("three_body_cutoff").value == "3.0"
    assert form.control("model_three_body_cutoff").value == 4.0
    form.control("model_three_body_cutoff").value = 3.0
    assert (cfg.model_three_body_cutoff, graph.three_body_cutoff) == (3.0, 3.0)
    out = to_alignn_config(cfg, graph)
    assert (out["three_body_cutoff"], out["model"]["three_body_cutoff"]) == (3.0, 3.0)
    graph.three_body_cutoff = 2.5
    assert [f.fields for f in check(cfg, graph)] == [
        ("model_three_body_cutoff", "three_body_cutoff")
    ]


def test_the_form_greys_pure_only_fields_while_the_dgl_model_is_chosen():
    cfg = ALIGNNAtomWiseConfig()
    form = ConfigForm(config=cfg)
    pure_only = ["conv_type", "num_heads", "use_zbl", "zbl_cutoff", "model_three_body_cutoff"]
    assert all(form.control(n).disabled for n in pure_only)
    assert not form.control("hidden_features").disabled
    form.control("name").value = "alignn_atomwise_pure"
    assert cfg.name == "alignn_atomwise_pure"
    assert not any(form.control(n).disabled for n in pure_only)
    form.control("use_zbl").value = "False"
    assert cfg.use_zbl is False
    cfg.name = "alignn_atomwise"
    assert all(form.control(n).disabled for n in pure_only)
    assert form.control("use_zbl").options == ("auto (None)", "True", "False")


def test_a_pure_only_field_in_a_dgl_block_is_named_precisely():
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config({"model": {"name": "alignn_atomwise", "use_zbl": True}})
    assert caught.value.problems == [
        "model: 'use_zbl' is a field of 'alignn_atomwise_pure' only; alignn's "
        "ALIGNNAtomWiseConfig ('alignn_atomwise') has no such field"
    ]


def test_exporting_the_dgl_model_writes_no_pure_only_field():
    cfg = ALIGNNAtomWiseConfig(conv_type="t_alignn", num_heads=4)
    model = to_alignn_config(cfg, GraphConfig())["model"]
    assert "conv_type" not in model and "three_body_cutoff" not in model
    assert TrainingConfig(**to_alignn_config(cfg, GraphConfig())).model.name == "alignn_atomwise"


@pytest.fixture(scope="module")
def alignn_sdist_configs() -> dict[str, dict]:
    """Every example config in alignn 2026.8.11's source distribution, by its path below
    ``examples/`` (kept in ``tests/data/alignn_example_configs``, with their provenance)."""
    return {
        path.relative_to(SDIST_CONFIGS).as_posix(): json.loads(path.read_text())
        for path in sorted(SDIST_CONFIGS.rglob("*.json"))
    }


def test_every_config_alignn_ships_round_trips_or_is_named(alignn_sdist_configs):
    names = {}
    for path, original in alignn_sdist_configs.items():
        name = original["model"]["name"]
        try:
            assert_round_trips(original)
        except AlignnConfigError as refused:
            assert refused.problems == [
                "model name 'ealignn_atomwise' is alignn's eALIGNN variant of alignn_atomwise, "
                "not supported; only 'alignn_atomwise' or 'alignn_atomwise_pure' load"
            ], path
            name = "refused"
        names[name] = names.get(name, 0) + 1
    assert names == {"alignn_atomwise_pure": 17, "alignn_atomwise": 7, "refused": 1}
