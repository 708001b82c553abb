"""alignn's own model built from the mirror: parameter counts, forward pass, quirks."""

from __future__ import annotations

import threading

import ase
import ase.build
import pytest
import torch
from alignn.models.alignn_atomwise import ALIGNNAtomWise
from alignn.models.alignn_atomwise import ALIGNNAtomWiseConfig as AlignnConfig
from hypothesis import given, settings
from hypothesis import strategies as st
from traitlets import TraitError

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, to_alignn_model_config
from alignn_nb.graphs import alignn_graphs
from alignn_nb.model import bond_penalty, build_model, model_summary, predict, reconfigure

pytestmark = pytest.mark.dgl


@pytest.fixture(scope="module")
def si_graphs():
    return alignn_graphs(ase.build.bulk("Si"), GraphConfig())


def alignn_count(**fields) -> int:
    model = ALIGNNAtomWise(AlignnConfig(name="alignn_atomwise", **fields))
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("fields", "total"),
    [
        ({}, 143_297),
        ({"hidden_features": 128}, 524_289),
        ({"alignn_layers": 0}, 59_073),
        ({"atomwise_output_features": 3}, 143_492),
        ({"classification": True}, 143_362),
    ],
)
def test_parameter_counts_equal_alignns(fields, total):
    assert alignn_count(**fields) == total
    summary = model_summary(build_model(ALIGNNAtomWiseConfig(**fields)))
    assert summary.total == summary.trainable == total
    assert sum(summary.as_dict().values()) == total


def test_summary_rows_name_each_layer_and_head():
    rows = model_summary(build_model(ALIGNNAtomWiseConfig(gcn_layers=3))).as_dict()
    assert list(rows) == [
        "atom_embedding",
        "edge_embedding",
        "angle_embedding",
        "alignn_layers.0",
        "alignn_layers.1",
        "gcn_layers.0",
        "gcn_layers.1",
        "gcn_layers.2",
        "fc",
    ]
    assert rows["alignn_layers.0"] == 42_112 and rows["gcn_layers.2"] == 21_056
    text = model_summary(build_model(ALIGNNAtomWiseConfig())).text()
    assert text.splitlines()[-1].split() == ["total", "143,297"]


def test_alignn_does_not_mutate_the_mirror():
    cfg = ALIGNNAtomWiseConfig(gradwise_weight=0.0)
    model = build_model(cfg)
    assert model.config.calculate_gradient is False
    assert cfg.calculate_gradient is True


def test_boundary_drops_only_the_line_graph_options():
    dumped = to_alignn_model_config(ALIGNNAtomWiseConfig(hidden_features=96)).model_dump()
    ours = set(ALIGNNAtomWiseConfig.field_names())
    pure = {"conv_type", "num_heads", "use_zbl", "zbl_cutoff", "model_three_body_cutoff"}
    assert set(dumped) == ours - {"lighten_edges", "backtracking"} - pure
    assert dumped["hidden_features"] == 96


def test_predict_matches_alignns_own_forward():
    atoms = ase.build.bulk("Si", cubic=True)
    atoms.rattle(stdev=0.05, seed=1)
    graphs = alignn_graphs(atoms, GraphConfig())
    torch.manual_seed(0)
    ours = predict(build_model(ALIGNNAtomWiseConfig()), graphs)
    torch.manual_seed(0)
    model = ALIGNNAtomWise(AlignnConfig(name="alignn_atomwise"))
    out = model((graphs.g, graphs.lg, graphs.lattice))
    assert ours.energy.value == pytest.approx(out["out"].item() * 8, abs=1e-5)
    assert ours.energy.unit == "eV"
    assert ours.forces.shape == (8, 3) and ours.forces.unit == "eV/Å"
    forces = torch.tensor(ours.forces.value)
    torch.testing.assert_close(forces, out["grad"].detach().to(forces.dtype))
    assert forces.abs().max() > 0
    assert ours.stress is None and ours.atomwise is None and ours.additional is None
    assert ours.seconds > 0


def test_energy_includes_the_short_bond_penalty(si_graphs):
    cfg = ALIGNNAtomWiseConfig(penalty_threshold=2.5)
    lengths = torch.linalg.norm(si_graphs.g.edata["r"].double(), dim=1)
    expected = float((0.1 * (2.5 - lengths[lengths < 2.5])).sum())
    assert (lengths < 2.5).sum().item() == 8
    assert bond_penalty(to_alignn_model_config(cfg), si_graphs.g) == pytest.approx(expected)
    torch.manual_seed(0)
    with_penalty = predict(build_model(cfg), si_graphs)
    torch.manual_seed(0)
    without = predict(build_model(ALIGNNAtomWiseConfig(use_penalty=False)), si_graphs)
    assert with_penalty.energy.value - without.energy.value == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("name", ["alignn_atomwise", "alignn_atomwise_pure"])
def test_cell_energy_includes_the_penalty_alignn_differentiates(name, si_graphs):
    cfg = ALIGNNAtomWiseConfig(name=name, energy_mult_natoms=False, penalty_threshold=2.5)
    without = cfg.copy()
    without.update(use_penalty=False)
    torch.manual_seed(0)
    with_penalty = predict(build_model(cfg), si_graphs)
    torch.manual_seed(0)
    plain = predict(build_model(without), si_graphs)
    assert with_penalty.penalty > 0.1
    assert with_penalty.energy.value - plain.energy.value == pytest.approx(
        with_penalty.penalty, abs=1e-5
    )
    in_place = [note for note in with_penalty.notes if "in place" in note]
    assert len(in_place) == (name == "alignn_atomwise")
    assert not any("raw readout" in note for note in with_penalty.notes)


def test_alignn_layers_zero_uses_the_two_item_input(si_graphs):
    prediction = predict(build_model(ALIGNNAtomWiseConfig(alignn_layers=0)), si_graphs)
    assert prediction.forces.shape == (2, 3)


def test_stress_atomwise_and_additional_heads(si_graphs):
    cfg = ALIGNNAtomWiseConfig(
        stresswise_weight=0.1,
        atomwise_output_features=4,
        atomwise_weight=1.0,
        additional_output_features=2,
    )
    prediction = predict(build_model(cfg), si_graphs)
    assert prediction.stress.shape == (1, 3, 3) and prediction.stress.unit == "GPa"
    assert prediction.atomwise.shape == (2, 4)
    assert prediction.additional.shape == (1, 2)


def test_layerless_model_without_penalty_reports_zero_forces_not_alignns_error(si_graphs):
    cfg = ALIGNNAtomWiseConfig(alignn_layers=0, gcn_layers=0, use_penalty=False)
    raw = ALIGNNAtomWise(to_alignn_model_config(cfg))
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        raw((si_graphs.g.local_var(), si_graphs.lattice))
    prediction = predict(build_model(cfg), si_graphs)
    assert prediction.forces.value == [[0.0, 0.0, 0.0]] * 2
    assert "forces are exactly zero" in prediction.notes[-1]


def test_one_radial_basis_function_is_refused_because_alignn_gives_nan(si_graphs):
    nan_model = ALIGNNAtomWise(AlignnConfig(name="alignn_atomwise", edge_input_features=1))
    out = nan_model((si_graphs.g.local_var(), si_graphs.lg.local_var(), si_graphs.lattice))
    assert torch.isnan(out["out"]).all()
    with pytest.raises(TraitError, match="edge_input_features = 1 refused"):
        ALIGNNAtomWiseConfig(edge_input_features=1)


def test_predict_leaves_the_callers_graphs_clean(si_graphs):
    predict(build_model(ALIGNNAtomWiseConfig()), si_graphs)
    assert sorted(si_graphs.g.edata.keys()) == ["images", "r"]
    assert sorted(si_graphs.lg.ndata.keys()) == ["images", "r"]


def test_zero_gradwise_weight_gives_no_forces(si_graphs):
    prediction = predict(build_model(ALIGNNAtomWiseConfig(gradwise_weight=0.0)), si_graphs)
    assert prediction.forces is None


def test_one_atom_cell_forces_keep_their_shape():
    graphs = alignn_graphs(ase.Atoms("Cu", cell=[2.5, 2.5, 2.5], pbc=True), GraphConfig())
    prediction = predict(build_model(ALIGNNAtomWiseConfig()), graphs)
    assert prediction.forces.shape == (1, 3)
    assert prediction.forces.value[0] == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)


@st.composite
def valid_config(draw):
    return ALIGNNAtomWiseConfig(
        alignn_layers=draw(st.integers(0, 3)),
        gcn_layers=draw(st.integers(0, 3)),
        edge_input_features=draw(st.integers(2, 96)),
        triplet_input_features=draw(st.integers(2, 64)),
        embedding_features=draw(st.integers(1, 48)),
        hidden_features=draw(st.integers(1, 48)),
        atomwise_output_features=draw(st.integers(0, 3)),
        atomwise_weight=draw(st.sampled_from([0.0, 0.5])),
        stresswise_weight=draw(st.sampled_from([0.0, 0.1])),
        add_reverse_forces=draw(st.booleans()),
        force_mult_natoms=draw(st.booleans()),
        energy_mult_natoms=draw(st.booleans()),
        use_cutoff_function=draw(st.booleans()),
        multiply_cutoff=draw(st.booleans()),
        use_penalty=draw(st.booleans()),
        inner_cutoff=draw(st.floats(1.0, 8.0)),
        additional_output_features=draw(st.integers(0, 2)),
    )


@settings(max_examples=20)
@given(cfg=valid_config())
def test_random_valid_configs_build_and_run_with_forces(cfg, si_graphs):
    torch.manual_seed(0)
    model = build_model(cfg)
    reference = ALIGNNAtomWise(to_alignn_model_config(cfg))
    assert model_summary(model).total == sum(p.numel() for p in reference.parameters())
    prediction = predict(model, si_graphs)
    assert prediction.forces.shape == (2, 3)
    assert torch.isfinite(torch.tensor(prediction.forces.value)).all()
    assert (prediction.stress is not None) == (cfg.stresswise_weight > 0)


def test_reconfigure_keeps_weights_and_applies_forward_fields(si_graphs):
    model = build_model(ALIGNNAtomWiseConfig())
    weights = [p.detach().clone() for p in model.parameters()]
    before = predict(model, si_graphs)
    reconfigure(model, ALIGNNAtomWiseConfig(penalty_threshold=2.5))
    after = predict(model, si_graphs)
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters(), strict=True))
    assert after.penalty == pytest.approx(bond_penalty(model.config, si_graphs.g))
    assert after.energy.value - before.energy.value == pytest.approx(after.penalty, abs=1e-5)


def test_reconfigure_applies_alignns_gradient_rule_and_refuses_shape_changes():
    model = build_model(ALIGNNAtomWiseConfig())
    reconfigure(model, ALIGNNAtomWiseConfig(gradwise_weight=0.0))
    assert model.config.calculate_gradient is False
    with pytest.raises(ValueError, match=r"need a new model.*\['hidden_features', 'link'\]"):
        reconfigure(model, ALIGNNAtomWiseConfig(hidden_features=8, link="log"))
    assert model.config.hidden_features == 64


def test_penalty_with_the_cutoff_envelope_reads_it_as_alignn_does(si_graphs):
    fields = {"use_cutoff_function": True, "multiply_cutoff": False}
    torch.manual_seed(0)
    model = build_model(ALIGNNAtomWiseConfig(**fields))
    penalty = bond_penalty(model.config, si_graphs.g)
    assert penalty > 0.1 * 0.9 * si_graphs.g.num_edges()
    with_penalty = predict(model, si_graphs)
    torch.manual_seed(0)
    without = predict(build_model(ALIGNNAtomWiseConfig(use_penalty=False, **fields)), si_graphs)
    assert with_penalty.penalty == pytest.approx(penalty)
    assert with_penalty.energy.value - without.energy.value == pytest.approx(penalty, abs=1e-4)


@pytest.mark.parametrize("name", ["alignn_atomwise", "alignn_atomwise_pure"])
def test_a_seeded_build_is_that_of_manual_seed_and_leaves_the_global_rng_alone(name):
    cfg = ALIGNNAtomWiseConfig(name=name)
    torch.manual_seed(7)
    expected = build_model(cfg).state_dict()
    torch.manual_seed(123)
    before = torch.get_rng_state()
    built = build_model(cfg, seed=7).state_dict()
    assert torch.equal(torch.get_rng_state(), before)
    assert built.keys() == expected.keys()
    assert all(torch.equal(built[key], expected[key]) for key in expected)


def test_seeded_builds_on_two_threads_at_once_each_get_their_own_seed():
    cfg = ALIGNNAtomWiseConfig()
    expected = {seed: build_model(cfg, seed=seed).state_dict() for seed in (1, 2)}
    rounds = 4
    start = threading.Barrier(2)
    built: dict[int, list] = {1: [], 2: []}

    def build(seed: int) -> None:
        for _ in range(rounds):
            start.wait(timeout=60)
            built[seed].append(build_model(cfg, seed=seed).state_dict())

    threads = [threading.Thread(target=build, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for seed, states in built.items():
        assert len(states) == rounds
        for state in states:
            assert all(torch.equal(state[key], expected[seed][key]) for key in state), seed
