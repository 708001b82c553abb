"""alignn's pure-torch twin built from the mirror: counts, forward pass, ZBL, no-DGL refusal."""

from __future__ import annotations

import ase
import ase.build
import pytest
import torch
from alignn.models.alignn_atomwise_pure import (
    ALIGNNAtomWisePure,
    ALIGNNAtomWisePureConfig,
    zbl_edge_energy,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from alignn_nb.config import (
    ALIGNNAtomWiseConfig,
    GraphConfig,
    check,
    dgl_installed,
    rules,
    to_alignn_model_config,
)
from alignn_nb.graphs import alignn_graphs, build_graphs
from alignn_nb.model import (
    MissingDGLError,
    build_model,
    model_input,
    model_summary,
    predict,
    reconfigure,
)
from alignn_nb.model import build as model_build
from alignn_nb.model.physics import zbl_energy
from alignn_nb.model.reconfiguration import _PURE_COPIED

PURE = "alignn_atomwise_pure"
SI_ENERGY = 4.822091579437256
"""eV: the DGL model's energy for two-atom Si with seed 0 (2.411045789718628 eV per atom).

It is float32 arithmetic through torch's CPU kernels (and MKL's), which each machine picks
for itself and which round the last bits differently (MKL_CBWR=COMPATIBLE gives
4.822092056274414, one float32 step up), so it is compared to 1e-6 relative, a few steps.
"""
ENERGY_REL = 1e-6
needs_dgl = pytest.mark.skipif(not dgl_installed(), reason="DGL is not installed")


@pytest.fixture(scope="module")
def si_graphs():
    return build_graphs(ase.build.bulk("Si"), ALIGNNAtomWiseConfig(lighten_edges=False))


def test_build_model_gives_alignns_pure_model_with_the_block_alignn_reads():
    cfg = ALIGNNAtomWiseConfig(name=PURE, model_three_body_cutoff=4.0, use_zbl=False)
    model = build_model(cfg)
    assert type(model) is ALIGNNAtomWisePure and not model.training
    assert isinstance(model.config, ALIGNNAtomWisePureConfig)
    assert model.config.three_body_cutoff == 4.0 and model.three_body_cutoff == 4.0
    assert model.use_zbl is False
    assert model_summary(model).total == 143_297


def test_pure_probe_on_two_atom_si_gives_the_dgl_models_energy(si_graphs):
    torch.manual_seed(0)
    pure = predict(build_model(ALIGNNAtomWiseConfig(name=PURE)), si_graphs)
    assert pure.energy.value == pytest.approx(SI_ENERGY, rel=ENERGY_REL)
    assert pure.forces.shape == (2, 3)


@needs_dgl
def test_both_flavours_agree_on_energy_and_forces_with_the_same_seed_and_graph(si_graphs):
    results = {}
    for name in ("alignn_atomwise", PURE):
        torch.manual_seed(0)
        results[name] = predict(build_model(ALIGNNAtomWiseConfig(name=name)), si_graphs)
    dgl, pure = results["alignn_atomwise"], results[PURE]
    assert dgl.energy.value == pytest.approx(SI_ENERGY, rel=ENERGY_REL)
    assert pure.energy.value == pytest.approx(dgl.energy.value, rel=ENERGY_REL)
    torch.testing.assert_close(
        torch.tensor(pure.forces.value), torch.tensor(dgl.forces.value), atol=1e-6, rtol=0
    )


def test_predict_matches_alignns_own_pure_forward_on_its_own_graphs():
    atoms = ase.build.bulk("Si", cubic=True)
    atoms.rattle(stdev=0.05, seed=1)
    graph = GraphConfig(neighbor_strategy="pure_torch", cutoff=5.0, three_body_cutoff=3.5)
    theirs = alignn_graphs(atoms, graph)
    torch.manual_seed(0)
    ours = predict(build_model(ALIGNNAtomWiseConfig(name=PURE)), theirs)
    torch.manual_seed(0)
    model = ALIGNNAtomWisePure(ALIGNNAtomWisePureConfig(name=PURE, penalty_factor=0.1))
    out = model(model_input(model, theirs.g, theirs.lg, theirs.lattice))
    assert ours.energy.value == pytest.approx(out["out"].item() * 8, abs=1e-5)
    torch.testing.assert_close(
        torch.tensor(ours.forces.value), out["grad"].detach(), atol=1e-6, rtol=0
    )
    assert float(torch.tensor(ours.forces.value).abs().max()) > 0


def test_zbl_repulsion_enters_energy_and_forces_only_with_pure_torch_graphs():
    dimer = ase.Atoms("H2", positions=[[0, 0, 0], [0.5, 0, 0]], cell=[9, 9, 9], pbc=True)
    pure_graph = GraphConfig(neighbor_strategy="pure_torch", cutoff=3.0)
    cfg = ALIGNNAtomWiseConfig(name=PURE, use_penalty=False, lighten_edges=False)
    graphs = build_graphs(dimer, cfg, pure_graph)
    torch.manual_seed(0)
    with_zbl = predict(build_model(cfg), graphs)
    torch.manual_seed(0)
    off = predict(build_model(ALIGNNAtomWiseConfig(**{**cfg.to_dict(), "use_zbl": False})), graphs)
    zbl = zbl_energy(build_model(cfg), graphs.torch_g)
    one, bond = torch.ones(2), torch.full((2,), 0.5)
    assert zbl == pytest.approx(float(zbl_edge_energy(one, one, bond, 0.9)), abs=1e-5)
    assert zbl == pytest.approx(3.2358, abs=1e-4)
    assert with_zbl.energy.value - off.energy.value == pytest.approx(zbl, abs=1e-4)
    assert f"includes alignn's ZBL repulsion of {zbl:.6g} eV" in with_zbl.notes
    assert with_zbl.forces.value[0][0] < off.forces.value[0][0] - 10
    knn = build_graphs(dimer, cfg, GraphConfig(cutoff=3.0))
    assert "Z" not in knn.torch_g.ndata
    assert "ZBL repulsion is on but not applied" in predict(build_model(cfg), knn).notes[-1]


def test_reconfigure_copies_what_the_pure_model_keeps_as_attributes(si_graphs):
    model = build_model(ALIGNNAtomWiseConfig(name=PURE))
    assert model.use_zbl is True
    changed = ALIGNNAtomWiseConfig(
        name=PURE, gradwise_weight=0.0, zbl_cutoff=1.2, penalty_factor=0.3, inner_cutoff=4.0
    )
    reconfigure(model, changed)
    fresh = build_model(changed)
    for name in (*_PURE_COPIED, "use_zbl"):
        assert getattr(model, name) == getattr(fresh, name), name
    assert model.use_zbl is False and model.config.calculate_gradient is False
    assert predict(model, si_graphs).forces is None


def test_reconfigure_refuses_a_change_of_flavour():
    model = build_model(ALIGNNAtomWiseConfig(name=PURE))
    with pytest.raises(ValueError, match=r"need a new model.*\['name', 'hidden_features'\]$"):
        reconfigure(model, ALIGNNAtomWiseConfig(hidden_features=8, conv_type="t_alignn"))
    with pytest.raises(ValueError, match=r"need a new model.*\['conv_type'\]$"):
        reconfigure(model, ALIGNNAtomWiseConfig(name=PURE, conv_type="t_alignn"))


def test_attention_heads_that_do_not_divide_the_width_are_refused_and_found():
    cfg = ALIGNNAtomWiseConfig(name=PURE, conv_type="n_alignn", num_heads=5)
    message = (
        "hidden_features 64 is not a multiple of num_heads 5: alignn's n_alignn layers split "
        "the features evenly across heads"
    )
    with pytest.raises(ValueError, match=message):
        build_model(cfg)
    assert [f.message for f in check(cfg) if f.level == "error"] == [message]
    assert model_summary(build_model(ALIGNNAtomWiseConfig(name=PURE, num_heads=5))).total > 0


def test_the_dgl_model_without_dgl_is_a_finding_and_a_clear_error(monkeypatch):
    if dgl_installed():
        monkeypatch.setattr(rules, "dgl_installed", lambda: False)
        monkeypatch.setattr(model_build, "dgl_installed", lambda: False)
    cfg = ALIGNNAtomWiseConfig()
    with pytest.raises(MissingDGLError, match="DGL is not installed; alignn_atomwise needs it"):
        build_model(cfg)
    finding = check(cfg)[0]
    assert (finding.level, finding.fields) == ("error", ("name",))
    assert finding.message == (
        "DGL is not installed; alignn_atomwise needs it; choose 'alignn_atomwise_pure' to "
        "build a model here."
    )
    assert not [f for f in check(ALIGNNAtomWiseConfig(name=PURE)) if f.level == "error"]


@st.composite
def pure_config(draw):
    conv_type = draw(st.sampled_from(["alignn", "n_alignn", "t_alignn"]))
    heads = draw(st.sampled_from([1, 2, 4]))
    return ALIGNNAtomWiseConfig(
        name=PURE,
        conv_type=conv_type,
        num_heads=heads,
        alignn_layers=draw(st.integers(0, 2)),
        gcn_layers=draw(st.integers(0, 2)),
        edge_input_features=draw(st.integers(2, 64)),
        triplet_input_features=draw(st.integers(2, 48)),
        embedding_features=draw(st.integers(1, 32)),
        hidden_features=heads * draw(st.integers(1, 12)),
        atomwise_output_features=draw(st.integers(0, 3)),
        additional_output_features=draw(st.integers(0, 2)),
        classification=draw(st.booleans()),
        link=draw(st.sampled_from(["identity", "log", "logit"])),
        use_zbl=draw(st.sampled_from([None, True, False])),
    )


@settings(max_examples=25)
@given(cfg=pure_config())
def test_random_pure_configs_count_as_alignns_own_model(cfg):
    reference = ALIGNNAtomWisePure(to_alignn_model_config(cfg))
    summary = model_summary(build_model(cfg))
    assert summary.total == sum(p.numel() for p in reference.parameters())
    assert sum(summary.as_dict().values()) == summary.total
