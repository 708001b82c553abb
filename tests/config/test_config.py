"""The traitlets mirror: fields, defaults, metadata, refusals that keep state."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from traitlets import TraitError

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.config.traits import EFFECTS

SEED_TABLE = Path(__file__).resolve().parents[1] / "data" / "ALIGNNAtomWiseConfig.md"
"""alignn-nb's design table of the fields (the seed's), in alignn's order."""

SEED_DEFAULTS = {
    "name": "alignn_atomwise",
    "alignn_layers": 2,
    "gcn_layers": 2,
    "atom_input_features": 1,
    "edge_input_features": 80,
    "triplet_input_features": 40,
    "embedding_features": 64,
    "hidden_features": 64,
    "output_features": 1,
    "atomwise_output_features": 0,
    "graphwise_weight": 1.0,
    "gradwise_weight": 1.0,
    "stresswise_weight": 0.0,
    "atomwise_weight": 0.0,
    "calculate_gradient": True,
    "grad_multiplier": -1,
    "force_mult_natoms": False,
    "energy_mult_natoms": True,
    "include_pos_deriv": False,
    "stress_multiplier": 1.0,
    "add_reverse_forces": True,
    "use_cutoff_function": False,
    "inner_cutoff": 3.0,
    "lighten_edges": True,
    "backtracking": True,
    "lg_on_fly": True,
    "batch_stress": True,
    "multiply_cutoff": False,
    "use_penalty": True,
    "exponent": 5,
    "penalty_factor": 0.1,
    "penalty_threshold": 1.0,
    "extra_features": 0,
    "zero_inflated": False,
    "classification": False,
    "additional_output_features": 0,
    "additional_output_weight": 0.0,
    "link": "identity",
}
#: The fields only alignn_atomwise_pure has, with alignn's defaults.
PURE_DEFAULTS = {
    "conv_type": "alignn",
    "num_heads": 1,
    "use_zbl": None,
    "zbl_cutoff": 0.9,
    "model_three_body_cutoff": 3.5,
}
PURE_NAMES = list(PURE_DEFAULTS)


def test_seed_fields_then_pure_fields_with_their_defaults_and_types():
    cfg = ALIGNNAtomWiseConfig()
    assert cfg.to_dict() == {**SEED_DEFAULTS, **PURE_DEFAULTS}
    assert len(cfg.field_names()) == 38 + 5
    assert cfg.field_names()[38:] == PURE_NAMES
    for name, value in {**SEED_DEFAULTS, **PURE_DEFAULTS}.items():
        assert type(getattr(cfg, name)) is type(value), name


def test_fields_follow_the_design_table():
    table = SEED_TABLE.read_text()
    seed_names = re.findall(r"^\| `(\w+)` \|", table, flags=re.M)
    assert len(seed_names) == 37
    assert seed_names == ALIGNNAtomWiseConfig.field_names()[:37]


def test_fields_cover_alignns_own_model_config():
    from alignn.models.alignn_atomwise import ALIGNNAtomWiseConfig as AlignnConfig

    ours = set(ALIGNNAtomWiseConfig.field_names()) - {"lighten_edges", "backtracking"}
    assert ours - set(PURE_NAMES) == set(AlignnConfig.model_fields)
    theirs = AlignnConfig(name="alignn_atomwise").model_dump()
    assert {k: v for k, v in SEED_DEFAULTS.items() if k in theirs} == theirs


def test_fields_cover_alignns_pure_model_config_and_its_defaults():
    from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePureConfig as PureConfig

    ours = set(ALIGNNAtomWiseConfig.field_names()) - {"lighten_edges", "backtracking"}
    renamed = (ours - {"model_three_body_cutoff"}) | {"three_body_cutoff"}
    assert renamed == set(PureConfig.model_fields)
    theirs = PureConfig(name="alignn_atomwise_pure").model_dump()
    mirror = {**SEED_DEFAULTS, **PURE_DEFAULTS, "name": "alignn_atomwise_pure"}
    differ = {
        k: (mirror[k], theirs[k])
        for k in theirs
        if mirror.get("model_" + k if k == "three_body_cutoff" else k) != theirs[k]
    }
    assert differ == {"penalty_factor": (0.1, 0.5)}


def test_pure_only_fields_are_tagged_and_sit_in_their_own_section():
    assert ALIGNNAtomWiseConfig.fields_in(ALIGNNAtomWiseConfig.SECTIONS[-1]) == PURE_NAMES
    for name in ALIGNNAtomWiseConfig.field_names():
        effect = ALIGNNAtomWiseConfig.field_trait(name).metadata["effect"]
        assert ("pure only" in effect) == (name in PURE_NAMES), name


def test_use_zbl_takes_true_false_or_none_only():
    cfg = ALIGNNAtomWiseConfig(use_zbl=True)
    cfg.use_zbl = None
    with pytest.raises(
        TraitError, match=re.escape("use_zbl = 1 refused: use_zbl must be True or False or None")
    ):
        cfg.use_zbl = 1
    assert cfg.use_zbl is None


def test_sections_in_order_with_seed_sizes():
    sizes = {s: len(ALIGNNAtomWiseConfig.fields_in(s)) for s in ALIGNNAtomWiseConfig.SECTIONS}
    assert sizes == {
        "Basic Info": 1,
        "Model Architecture": 8,
        "Output Control and Loss Weighting": 6,
        "Physics-Aware Settings": 6,
        "Graph Construction Options": 7,
        "Loss Penalty Options": 4,
        "Miscellaneous": 6,
        "Pure-torch Model (alignn_atomwise_pure)": 5,
    }


@pytest.mark.parametrize("name", ALIGNNAtomWiseConfig.field_names() + GraphConfig.field_names())
def test_every_field_has_help_section_and_effect(name):
    owner = ALIGNNAtomWiseConfig if ALIGNNAtomWiseConfig().has_trait(name) else GraphConfig
    trait = owner.field_trait(name)
    assert trait.help and len(trait.help) <= 100
    assert trait.metadata["section"] in owner.SECTIONS
    assert trait.metadata["effect"] and set(trait.metadata["effect"]) <= set(EFFECTS)


def test_effects_record_where_alignn_reads_each_field():
    effect = {
        n: ALIGNNAtomWiseConfig.field_trait(n).metadata["effect"]
        for n in ALIGNNAtomWiseConfig.field_names()
    }
    assert effect["zero_inflated"] == ("nowhere",)
    assert effect["hidden_features"] == ("model shape",)
    assert effect["graphwise_weight"] == ("loss",)
    assert "graph construction" in effect["inner_cutoff"]
    assert "forward pass" in effect["gradwise_weight"]


def test_graph_config_defaults():
    assert GraphConfig().to_dict() == {
        "cutoff": 8.0,
        "max_neighbors": 12,
        "neighbor_strategy": "k-nearest",
        "atom_features": "atomic_number",
        "use_canonize": True,
        "cutoff_extra": 3.0,
        "three_body_cutoff": None,
    }
    graph = GraphConfig(max_neighbors=None, three_body_cutoff=3.5)
    assert graph.max_neighbors is None and graph.three_body_cutoff == 3.5


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("alignn_layers", -1, "alignn_layers = -1 refused: alignn_layers must be an integer >= 0"),
        (
            "hidden_features",
            0,
            "hidden_features = 0 refused: hidden_features must be an integer >= 1",
        ),
        (
            "hidden_features",
            64.0,
            "hidden_features = 64.0 refused: hidden_features must be an integer >= 1",
        ),
        ("gcn_layers", True, "gcn_layers = True refused: gcn_layers must be an integer >= 0"),
        (
            "graphwise_weight",
            -0.5,
            "graphwise_weight = -0.5 refused: graphwise_weight must be a finite number >= 0.0",
        ),
        (
            "inner_cutoff",
            0,
            "inner_cutoff = 0 refused: inner_cutoff (Å) must be a finite number > 0.0",
        ),
        ("inner_cutoff", math.inf, "inner_cutoff = inf refused"),
        ("exponent", 0, "exponent = 0 refused: exponent must be an integer >= 1"),
        ("use_penalty", 1, "use_penalty = 1 refused: use_penalty must be True or False"),
        ("link", "exp", "link = 'exp' refused: link must be one of 'identity', 'log', 'logit'"),
        (
            "name",
            "alignn",
            "name = 'alignn' refused: name must be one of 'alignn_atomwise', "
            "'alignn_atomwise_pure'",
        ),
        ("num_heads", 0, "num_heads = 0 refused: num_heads must be an integer >= 1"),
        (
            "conv_type",
            "gat",
            "conv_type = 'gat' refused: conv_type must be one of 'alignn', 'n_alignn', 't_alignn'",
        ),
    ],
)
def test_refusal_names_field_value_and_allowed_and_keeps_state(field, value, message):
    cfg = ALIGNNAtomWiseConfig(hidden_features=96)
    before = cfg.to_dict()
    with pytest.raises(TraitError, match=re.escape(message)):
        setattr(cfg, field, value)
    assert cfg.to_dict() == before


def test_unknown_field_is_refused_with_the_known_ones_listed():
    cfg = ALIGNNAtomWiseConfig()
    with pytest.raises(TraitError, match=r"has no field 'hiden_features' \(value 128 refused\)"):
        cfg.hiden_features = 128
    with pytest.raises(TraitError, match="known fields: name, alignn_layers, gcn_layers"):
        ALIGNNAtomWiseConfig(hiden_features=128)
    assert not hasattr(cfg, "hiden_features")


def test_update_is_all_or_nothing():
    cfg = ALIGNNAtomWiseConfig()
    with pytest.raises(TraitError, match="gcn_layers = -3 refused"):
        cfg.update(hidden_features=128, alignn_layers=4, gcn_layers=-3)
    assert (cfg.hidden_features, cfg.alignn_layers, cfg.gcn_layers) == (64, 2, 2)


def test_graph_config_refusals():
    graph = GraphConfig()
    with pytest.raises(TraitError, match=r"cutoff = -1.0 refused: cutoff \(Å\) must be a finite"):
        graph.cutoff = -1.0
    with pytest.raises(TraitError, match="neighbor_strategy = 'voronoi' refused"):
        graph.neighbor_strategy = "voronoi"
    with pytest.raises(
        TraitError, match="max_neighbors = 0 refused: max_neighbors must be an integer >= 1 or None"
    ):
        graph.max_neighbors = 0
    assert graph.to_dict() == GraphConfig.defaults()


def test_reset_one_section_or_all():
    cfg = ALIGNNAtomWiseConfig(hidden_features=128, graphwise_weight=0.5, inner_cutoff=4.0)
    cfg.reset("Model Architecture")
    assert cfg.changed_fields() == {"graphwise_weight": 0.5, "inner_cutoff": 4.0}
    cfg.reset()
    assert cfg.changed_fields() == {}


def test_copy_equality_and_repr():
    cfg = ALIGNNAtomWiseConfig(hidden_features=128)
    twin = cfg.copy()
    assert twin == cfg and twin is not cfg
    twin.hidden_features = 32
    assert cfg.hidden_features == 128
    assert repr(cfg) == "ALIGNNAtomWiseConfig(hidden_features=128)"


# The space of valid and invalid values, from the traits' own bounds.
ALL_DEFAULTS = {**SEED_DEFAULTS, **PURE_DEFAULTS}
INT_FIELDS = [
    n
    for n in ALIGNNAtomWiseConfig.field_names()
    if type(ALL_DEFAULTS[n]) is int and n != "grad_multiplier"
]
FLOAT_FIELDS = [n for n in ALIGNNAtomWiseConfig.field_names() if type(ALL_DEFAULTS[n]) is float]


def _lower_bound(name: str) -> float:
    meta = ALIGNNAtomWiseConfig.field_trait(name).metadata
    return meta.get("minimum", meta.get("exclusive_minimum", -math.inf))


@st.composite
def invalid_assignment(draw):
    kind = draw(st.sampled_from(["below", "wrong_type", "non_finite"]))
    if kind == "below":
        name = draw(st.sampled_from(INT_FIELDS))
        return name, int(_lower_bound(name)) - draw(st.integers(1, 1000))
    if kind == "wrong_type":
        name = draw(st.sampled_from(INT_FIELDS))
        return name, draw(st.sampled_from([True, "2", 2.5, None, [2]]))
    name = draw(st.sampled_from(FLOAT_FIELDS))
    return name, draw(st.sampled_from([math.nan, math.inf, -math.inf]))


@given(assignment=invalid_assignment())
def test_random_invalid_assignments_raise_and_leave_config_unchanged(assignment):
    name, value = assignment
    cfg = ALIGNNAtomWiseConfig(hidden_features=32, alignn_layers=1)
    before = cfg.to_dict()
    with pytest.raises(TraitError, match=re.escape(f"{name} = {value!r} refused")):
        setattr(cfg, name, value)
    assert cfg.to_dict() == before
