"""Cross-field findings: level, fields involved and message; never raised."""

from __future__ import annotations

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, atom_feature_length, check


def _by_fields(findings):
    return {f.fields: f for f in findings}


@pytest.mark.dgl
def test_defaults_have_no_findings():
    assert check(ALIGNNAtomWiseConfig(), GraphConfig()) == []


def test_atom_feature_lengths_come_from_jarvis():
    from jarvis.core.specie import get_node_attributes

    for name in ("atomic_number", "cgcnn", "basic", "cfid"):
        assert atom_feature_length(name) == len(get_node_attributes("Cu", atom_features=name))
    assert atom_feature_length("cgcnn") == 92


@pytest.mark.dgl
def test_atom_input_features_must_match_the_feature_set():
    found = _by_fields(check(ALIGNNAtomWiseConfig(), GraphConfig(atom_features="cgcnn")))
    finding = found[("atom_input_features", "atom_features")]
    assert finding.level == "error"
    assert finding.message == (
        "atom_input_features is 1 but jarvis's 'cgcnn' vectors have length 92; "
        "set atom_input_features=92."
    )
    matched = ALIGNNAtomWiseConfig(atom_input_features=92)
    assert check(matched, GraphConfig(atom_features="cgcnn")) == []


def test_inner_cutoff_beyond_cutoff():
    found = _by_fields(check(ALIGNNAtomWiseConfig(inner_cutoff=9.0), GraphConfig(cutoff=8.0)))
    assert found[("inner_cutoff", "cutoff")].level == "warning"
    assert "inner_cutoff 9.0 Å is beyond the neighbour cutoff 8.0 Å" in str(
        found[("inner_cutoff", "cutoff")]
    )


@pytest.mark.dgl
def test_weight_without_output_heads():
    cfg = ALIGNNAtomWiseConfig(atomwise_weight=0.5, additional_output_weight=0.2)
    found = _by_fields(check(cfg))
    assert found[("atomwise_weight", "atomwise_output_features")].level == "error"
    assert found[("additional_output_weight", "additional_output_features")].level == "error"
    assert len(found) == 2


@pytest.mark.dgl
def test_stress_without_gradients_and_zero_gradwise_weight():
    found = _by_fields(check(ALIGNNAtomWiseConfig(gradwise_weight=0.0, stresswise_weight=0.1)))
    assert found[("stresswise_weight", "calculate_gradient", "gradwise_weight")].level == "error"
    warning = found[("gradwise_weight", "calculate_gradient")]
    assert warning.level == "warning"
    assert "alignn switches calculate_gradient off by itself" in warning.message
    found = _by_fields(check(ALIGNNAtomWiseConfig(calculate_gradient=False, stresswise_weight=1.0)))
    assert list(found) == [("stresswise_weight", "calculate_gradient", "gradwise_weight")]


@pytest.mark.dgl
def test_inner_cutoff_and_three_body_cutoff_disagree():
    found = check(ALIGNNAtomWiseConfig(inner_cutoff=3.0), GraphConfig(three_body_cutoff=3.5))
    assert [f.fields for f in found] == [("inner_cutoff", "three_body_cutoff", "lighten_edges")]
    assert "the line graph here uses inner_cutoff 3.0 Å" in found[0].message
    assert check(ALIGNNAtomWiseConfig(inner_cutoff=3.5), GraphConfig(three_body_cutoff=3.5)) == []


def test_check_never_mutates():
    cfg = ALIGNNAtomWiseConfig(gradwise_weight=0.0)
    check(cfg)
    assert cfg.calculate_gradient is True


@pytest.mark.dgl
def test_layerless_model_without_penalty_ignores_positions():
    found = check(ALIGNNAtomWiseConfig(alignn_layers=0, gcn_layers=0, use_penalty=False))
    assert [(f.level, f.fields) for f in found] == [
        ("warning", ("alignn_layers", "gcn_layers", "use_penalty"))
    ]


@pytest.mark.dgl
def test_three_body_cutoff_limits_no_triplet_with_lighten_edges_off():
    cfg = ALIGNNAtomWiseConfig(lighten_edges=False, inner_cutoff=3.5)
    found = check(cfg, GraphConfig(three_body_cutoff=3.5, neighbor_strategy="radius_graph"))
    assert [(f.level, f.fields, f.message) for f in found] == [
        (
            "warning",
            ("three_body_cutoff", "lighten_edges"),
            "three_body_cutoff (3.5 Å) limits no triplet: with lighten_edges off the line graph "
            "here keeps every triplet, as alignn's radius_graph builder does; alignn applies "
            "three_body_cutoff only in its pure_torch builder.",
        )
    ]
    assert check(cfg, GraphConfig(three_body_cutoff=None)) == []


@pytest.mark.dgl
def test_disagreeing_cutoffs_with_lighten_edges_off_use_neither():
    cfg = ALIGNNAtomWiseConfig(lighten_edges=False, inner_cutoff=3.0)
    found = check(cfg, GraphConfig(three_body_cutoff=4.0))
    assert [f.fields for f in found] == [("inner_cutoff", "three_body_cutoff", "lighten_edges")]
    assert found[0].message.startswith(
        "inner_cutoff (3.0 Å) and three_body_cutoff (4.0 Å) disagree; the line graph here uses "
        "neither because lighten_edges is off: it keeps every triplet, as alignn's k-nearest "
        "builder does;"
    )


def test_zbl_without_atomic_numbers_is_flagged_only_when_alignn_switches_zbl_on():
    zbl = ("use_zbl", "neighbor_strategy")
    pure = {"name": "alignn_atomwise_pure", "model_three_body_cutoff": 8.0}
    default_on = _by_fields(check(ALIGNNAtomWiseConfig(**pure), GraphConfig()))
    assert default_on[zbl].level == "warning"
    assert default_on[zbl].message == (
        "ZBL repulsion is on (use_zbl=None) but alignn applies it only to graphs with atomic "
        "numbers, which its k-nearest builder does not store: the model adds no ZBL energy."
    )
    no_forces = ALIGNNAtomWiseConfig(**pure, gradwise_weight=0.0)
    assert zbl not in _by_fields(check(no_forces, GraphConfig()))
    assert zbl not in _by_fields(check(ALIGNNAtomWiseConfig(**pure, use_zbl=False), GraphConfig()))
    pure_graph = GraphConfig(neighbor_strategy="pure_torch")
    assert zbl not in _by_fields(check(ALIGNNAtomWiseConfig(**pure), pure_graph))
