"""The loss decomposition against alignn's train.py formula, reweighting, the weight
response and the penalty."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Dataset, default_dataset, load_dataset, read_id_prop
from alignn_nb.datasets.dataset import make_sample
from alignn_nb.graphs import build_graphs
from alignn_nb.loss import (
    TERMS,
    batches,
    fresh_breakdown,
    loss_terms,
    make_batches,
    reweight,
    weight_response,
)
from alignn_nb.loss.batches import dataset_graphs
from alignn_nb.model import build_model, penalty_per_edge, predict
from tests.support.repo import EXAMPLE_DATA

dgl = pytest.importorskip("dgl", reason="DGL is not installed")

GRAPH = GraphConfig()


@pytest.fixture(scope="module")
def small() -> Dataset:
    return default_dataset()[:6]


def _with_additional(dataset: Dataset) -> Dataset:
    """The same samples with a 2-number additional target: energy per atom and atom count."""
    samples = tuple(
        make_sample(
            s.id,
            s.atoms,
            energy=s.targets.energy,
            forces=s.targets.forces,
            stress=s.targets.stress,
            atomwise=s.targets.atomwise,
            additional=[s.targets.energy / s.natoms, float(s.natoms)],
        )
        for s in dataset
    )
    return Dataset(dataset.name, samples)


def _without(dataset: Dataset, target: str, keep_every: int = 0) -> Dataset:
    """The samples with ``target`` removed (from all, or from all but every keep_every-th)."""
    samples = []
    for i, s in enumerate(dataset):
        keep = keep_every and i % keep_every == 0
        values = {
            "energy": s.targets.energy,
            "forces": s.targets.forces,
            "stress": s.targets.stress,
            "atomwise": s.targets.atomwise,
            "additional": s.targets.additional,
        }
        if not keep:
            values[target] = None
        samples.append(make_sample(s.id, s.atoms, **values))
    return Dataset(dataset.name, tuple(samples))


# ----------------------------------------------------------------------------- transcription


def alignn_formula(
    model: torch.nn.Module, dataset: Dataset, cfg: ALIGNNAtomWiseConfig, threshold=None
) -> dict[str, float]:
    """alignn 2026.8.11 train.py's loss on one batch of every sample, written out directly.

    The batch is put together as alignn's loader does it: the graphs batched with dgl.batch,
    lattices stacked, the graph-level label as it would sit in id_prop.json for this config
    (eV per atom with energy_mult_natoms, else eV per cell), forces and the atomwise target
    in node data, and the stress and additional target copied onto every node of their
    structure. Then each term is weight × criterion(prediction, target) under the same
    conditions as in train.py's training loop.
    """
    items = dataset_graphs(dataset, cfg, GRAPH)
    g = dgl.batch([item.g for item in items])
    lg = dgl.batch([item.lg for item in items])
    lattices = torch.stack([torch.as_tensor(item.lattice) for item in items]).float()
    natoms = [s.natoms for s in dataset]
    labels = torch.tensor(
        [
            s.targets.energy / (n if cfg.energy_mult_natoms else 1)
            for s, n in zip(dataset, natoms, strict=True)
        ],
        dtype=torch.float32,
    )
    if threshold is not None:
        labels = (labels > threshold).long()
    g.ndata["atomwise_grad"] = torch.tensor(
        np.concatenate([s.targets.forces for s in dataset]), dtype=torch.float32
    )
    g.ndata["atomwise_target"] = torch.tensor(
        np.concatenate([s.targets.atomwise for s in dataset]), dtype=torch.float32
    )
    g.ndata["stresses"] = torch.tensor(
        np.concatenate([[s.targets.stress] * n for s, n in zip(dataset, natoms, strict=True)]),
        dtype=torch.float32,
    )
    if all(s.targets.additional is not None for s in dataset):
        g.ndata["additional"] = torch.tensor(
            np.concatenate(
                [[s.targets.additional] * n for s, n in zip(dataset, natoms, strict=True)]
            ),
            dtype=torch.float32,
        )
    # train.py passes the line graph only when the training config computes one; a model
    # without ALIGNN layers needs a config that does not (it unpacks two items).
    result = model([g, lg, lattices] if cfg.alignn_layers else [g, lattices])
    conf = model.config
    criterion = torch.nn.NLLLoss() if conf.classification else torch.nn.L1Loss()
    loss = {"graphwise": conf.graphwise_weight * criterion(result["out"], labels)}
    if conf.atomwise_output_features > 0 and conf.atomwise_weight != 0:
        loss["atomwise"] = conf.atomwise_weight * criterion(
            result["atomwise_pred"], g.ndata["atomwise_target"]
        )
    if conf.calculate_gradient:
        loss["gradwise"] = conf.gradwise_weight * criterion(
            result["grad"], g.ndata["atomwise_grad"]
        )
    if conf.stresswise_weight != 0:
        target = torch.stack([part.ndata["stresses"][0] for part in dgl.unbatch(g)])
        loss["stresswise"] = conf.stresswise_weight * criterion(result["stresses"], target)
    if conf.additional_output_weight != 0:
        target = torch.stack([part.ndata["additional"][0] for part in dgl.unbatch(g)])
        loss["additional"] = conf.additional_output_weight * criterion(result["additional"], target)
    return {name: float(value) for name, value in loss.items()}


CONFIGS = {
    "energy, forces and stress": {"stresswise_weight": 0.1},
    "cell energies, reweighted": {
        "energy_mult_natoms": False,
        "graphwise_weight": 0.5,
        "gradwise_weight": 2.0,
    },
    "atomwise head on forces": {
        "atomwise_output_features": 3,
        "atomwise_weight": 0.3,
        "stresswise_weight": 0.2,
    },
    "additional head": {"additional_output_features": 2, "additional_output_weight": 0.7},
    "smooth cutoff and penalty": {
        "use_cutoff_function": True,
        "stresswise_weight": 0.05,
        "penalty_factor": 0.5,
    },
    "energy only": {"gradwise_weight": 0.0},
    "no ALIGNN layer": {"alignn_layers": 0, "gcn_layers": 1, "stresswise_weight": 1.0},
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_decomposition_matches_alignn_formula(name, small):
    cfg = ALIGNNAtomWiseConfig(**CONFIGS[name])
    dataset = _with_additional(small) if cfg.additional_output_weight else small
    torch.manual_seed(0)
    model = build_model(cfg)
    expected = alignn_formula(model, dataset, cfg)
    breakdown = loss_terms(model, dataset, cfg, GRAPH)
    assert list(breakdown.terms) == [t for t in TERMS if t in expected]
    for term, value in expected.items():
        assert breakdown.terms[term].weighted == pytest.approx(value, rel=1e-5, abs=1e-7), term
    assert breakdown.total == pytest.approx(sum(expected.values()), rel=1e-5)
    assert sum(t.share for t in breakdown.terms.values()) == pytest.approx(1.0)


def test_classification_uses_nll_on_thresholded_energy(small):
    cfg = ALIGNNAtomWiseConfig(classification=True, gradwise_weight=0.0, energy_mult_natoms=False)
    torch.manual_seed(0)
    model = build_model(cfg)
    threshold = float(np.median([s.targets.energy for s in small]))
    expected = alignn_formula(model, small, cfg, threshold)
    breakdown = loss_terms(model, small, cfg, GRAPH, classification_threshold=threshold)
    assert breakdown.criterion == "NLLLoss"
    assert breakdown.terms["graphwise"].raw == pytest.approx(expected["graphwise"], rel=1e-5)
    assert breakdown.terms["graphwise"].unit == "nats"


def test_classification_without_threshold_is_no_target(small):
    cfg = ALIGNNAtomWiseConfig(classification=True, gradwise_weight=0.0, energy_mult_natoms=False)
    breakdown = fresh_breakdown(small, cfg, GRAPH)
    assert breakdown.terms["graphwise"].status == "no target: classification needs a threshold"
    assert breakdown.total == 0.0


def test_a_config_alignn_cannot_run_is_a_clear_error(small):
    cfg = ALIGNNAtomWiseConfig(classification=True, gradwise_weight=0.0)
    with pytest.raises(
        ValueError,
        match=r"alignn's forward pass failed for this config: The size "
        r"of tensor a \(2\) must match",
    ):
        fresh_breakdown(small, cfg, GRAPH)


# ----------------------------------------------------------------------------- term presence


def test_terms_that_do_not_apply_are_absent(small):
    breakdown = fresh_breakdown(small, ALIGNNAtomWiseConfig(gradwise_weight=0.0), GRAPH)
    assert list(breakdown.terms) == ["graphwise"]
    assert list(breakdown.as_dict()["terms"]) == ["graphwise"]
    assert set(breakdown.as_dict()) == {"terms", "total", "penalty", "samples"}
    assert breakdown.as_dict()["samples"] == 6


def test_missing_stress_target_is_reported_not_zero(small):
    cfg = ALIGNNAtomWiseConfig(stresswise_weight=0.1)
    breakdown = fresh_breakdown(_without(small, "stress"), cfg, GRAPH)
    stress = breakdown.terms["stresswise"]
    assert stress.status == "no target"
    assert stress.as_dict() == {
        "raw": None,
        "weight": 0.1,
        "weighted": None,
        "share": None,
        "status": "no target",
    }
    assert breakdown.total == pytest.approx(
        breakdown.terms["graphwise"].weighted + breakdown.terms["gradwise"].weighted
    )


def test_partial_stress_targets_average_over_those_present(small):
    cfg = ALIGNNAtomWiseConfig(stresswise_weight=1.0)
    partial = _without(small, "stress", keep_every=2)
    torch.manual_seed(0)
    model = build_model(cfg)
    breakdown = loss_terms(model, partial, cfg, GRAPH)
    kept = Dataset("kept", tuple(small.samples[0::2]))
    alone = loss_terms(model, kept, cfg, GRAPH)
    assert breakdown.terms["stresswise"].samples == 3
    assert breakdown.terms["stresswise"].raw == pytest.approx(
        alone.terms["stresswise"].raw, rel=1e-5
    )


def test_stress_without_gradients_is_not_computable(small):
    cfg = ALIGNNAtomWiseConfig(stresswise_weight=0.5, gradwise_weight=0.0)
    term = fresh_breakdown(small, cfg, GRAPH).terms["stresswise"]
    assert term.status.startswith("not computable: alignn computes stress only with gradients")


def test_same_seed_same_numbers_other_seed_other_numbers(small):
    cfg = ALIGNNAtomWiseConfig(stresswise_weight=0.1)
    first = fresh_breakdown(small, cfg, GRAPH, seed=3).as_dict()
    assert fresh_breakdown(small, cfg, GRAPH, seed=3).as_dict() == first
    assert fresh_breakdown(small, cfg, GRAPH, seed=4).total != first["total"]


def test_a_fresh_breakdown_is_seeded_without_touching_the_global_rng(small):
    cfg = ALIGNNAtomWiseConfig()
    torch.manual_seed(3)
    expected = loss_terms(build_model(cfg), small, cfg, GRAPH).as_dict()
    torch.manual_seed(11)
    before = torch.get_rng_state()
    assert fresh_breakdown(small, cfg, GRAPH, seed=3).as_dict() == expected
    assert torch.equal(torch.get_rng_state(), before)


def _graph_bytes(dataset: Dataset) -> int:
    return sum(item.nbytes for item in dataset_graphs(dataset, ALIGNNAtomWiseConfig(), GRAPH))


def test_dataset_graphs_are_cached_by_content_within_a_byte_budget(small, monkeypatch):
    cfg, part = ALIGNNAtomWiseConfig(), small[:2]
    budget = _graph_bytes(small)
    assert _graph_bytes(part) < budget
    monkeypatch.setattr(batches, "CACHE_BYTES", budget, raising=False)
    batches._CACHE.clear()
    whole = dataset_graphs(small, cfg, GRAPH)
    assert dataset_graphs(Dataset("same samples", small.samples), cfg, GRAPH) is whole
    kept = dataset_graphs(part, cfg, GRAPH)
    assert dataset_graphs(part, cfg, GRAPH) is kept
    assert dataset_graphs(small, cfg, GRAPH) is not whole
    assert dataset_graphs(part, cfg, GRAPH) is not kept
    monkeypatch.setattr(batches, "CACHE_BYTES", _graph_bytes(part) - 1, raising=False)
    batches._CACHE.clear()
    assert dataset_graphs(part, cfg, GRAPH) is not dataset_graphs(part, cfg, GRAPH)


def test_wrong_atom_features_are_refused_with_the_lengths(small):
    cfg = ALIGNNAtomWiseConfig(atom_input_features=92)
    with pytest.raises(
        ValueError, match="atom_input_features is 92 but 'atomic_number' vectors have length 1"
    ):
        fresh_breakdown(small, cfg, GRAPH)


def test_batches_average_like_alignn_epochs(small):
    cfg = ALIGNNAtomWiseConfig()
    torch.manual_seed(0)
    model = build_model(cfg)
    halves = [loss_terms(model, Dataset("h", small.samples[i : i + 3]), cfg, GRAPH) for i in (0, 3)]
    batched = loss_terms(model, small, cfg, GRAPH, batch_size=3)
    for term in ("graphwise", "gradwise"):
        mean = (halves[0].terms[term].raw + halves[1].terms[term].raw) / 2
        assert batched.terms[term].raw == pytest.approx(mean, rel=1e-5)


# ------------------------------------------------------------------- reweight & weight response


def test_reweight_equals_a_new_forward_pass(small):
    before = ALIGNNAtomWiseConfig(stresswise_weight=0.1)
    after = ALIGNNAtomWiseConfig(graphwise_weight=0.2, gradwise_weight=3.0, stresswise_weight=0.5)
    torch.manual_seed(0)
    model = build_model(before)
    reweighted = reweight(loss_terms(model, small, before, GRAPH), after)
    direct = loss_terms(model, small, after, GRAPH)
    assert list(reweighted.terms) == list(direct.terms)
    for name, term in direct.terms.items():
        assert reweighted.terms[name].weighted == pytest.approx(term.weighted, rel=1e-5)
        assert reweighted.terms[name].share == pytest.approx(term.share, rel=1e-5)


def test_reweight_switches_forces_on_without_a_forward_pass(small):
    off = ALIGNNAtomWiseConfig(gradwise_weight=0.0)
    on = ALIGNNAtomWiseConfig(gradwise_weight=1.0)
    torch.manual_seed(0)
    model_off = build_model(off)
    model_on = build_model(on)
    model_on.load_state_dict(model_off.state_dict())
    reweighted = reweight(loss_terms(model_off, small, off, GRAPH), on)
    direct = loss_terms(model_on, small, on, GRAPH)
    assert reweighted.terms["gradwise"].raw == pytest.approx(direct.terms["gradwise"].raw, rel=1e-5)


def test_reweight_refuses_other_changes_and_keeps_input(small):
    cfg = ALIGNNAtomWiseConfig()
    breakdown = fresh_breakdown(small, cfg, GRAPH)
    total = breakdown.total
    with pytest.raises(
        ValueError,
        match="reweight only changes loss weights; hidden_features, energy_mult_natoms changed too",
    ):
        reweight(breakdown, ALIGNNAtomWiseConfig(hidden_features=32, energy_mult_natoms=False))
    assert breakdown.total == total


def test_weight_response_is_linear_in_its_weight_and_marks_current(small):
    cfg = ALIGNNAtomWiseConfig(stresswise_weight=0.1)
    breakdown = fresh_breakdown(small, cfg, GRAPH)
    result = weight_response(breakdown, cfg, "stresswise_weight", [0.0, 0.5, 1.0])
    raw = breakdown.terms["stresswise"].raw
    assert result.current == 0.1
    assert result.weighted["stresswise"] == pytest.approx([0.0, 0.5 * raw, raw])
    assert result.weighted["graphwise"] == pytest.approx(
        [breakdown.terms["graphwise"].weighted] * 3
    )
    assert result.total[2] - result.total[0] == pytest.approx(raw)


def test_a_gradwise_weight_of_zero_to_zero_drops_forces_and_stress(small):
    cfg = ALIGNNAtomWiseConfig(stresswise_weight=0.1)
    breakdown = fresh_breakdown(small, cfg, GRAPH)
    result = weight_response(breakdown, cfg, "gradwise_weight", [0.0, 1.0])
    assert result.weighted["gradwise"][0] == 0.0
    assert math.isnan(result.weighted["stresswise"][0])
    assert result.total[0] == pytest.approx(breakdown.terms["graphwise"].weighted)
    assert result.total[1] == pytest.approx(breakdown.total)


def test_weight_response_refuses_a_field_that_is_not_a_weight(small):
    breakdown = fresh_breakdown(small, ALIGNNAtomWiseConfig(), GRAPH)
    with pytest.raises(ValueError, match="'cutoff' is not a loss weight"):
        weight_response(breakdown, ALIGNNAtomWiseConfig(), "cutoff", [1.0])


# ----------------------------------------------------------------------------- penalty


def _penalty_forces(conf, g) -> torch.Tensor:
    """Forces from the penalty alone, summed onto atoms as alignn sums bond forces."""
    r = g.edata["r"].detach().clone().requires_grad_(True)
    pair = -torch.autograd.grad(penalty_per_edge(conf, r).sum(), r)[0]
    src, dst = g.edges()
    forces = torch.zeros(g.num_nodes(), 3)
    return forces.index_add(0, dst, pair.float()) - forces.index_add(0, src, pair.float())


@pytest.mark.parametrize(
    "settings",
    [{"penalty_threshold": 2.6, "penalty_factor": 0.5}, {"use_cutoff_function": True}],
    ids=["short bonds", "cutoff envelope"],
)
def test_penalty_matches_alignns_force_contribution(settings, small):
    one = Dataset("one", small.samples[:1])
    with_penalty = ALIGNNAtomWiseConfig(**settings)
    without = ALIGNNAtomWiseConfig(**settings, use_penalty=False)
    torch.manual_seed(0)
    model_on = build_model(with_penalty)
    model_off = build_model(without)
    model_off.load_state_dict(model_on.state_dict())
    batch = make_batches(one, with_penalty, GRAPH)[0]
    from alignn_nb.loss import forward

    difference = forward(model_on, batch)["grad"] - forward(model_off, batch)["grad"]
    expected = _penalty_forces(model_on.config, batch.g)
    assert expected.abs().max() > 1e-3
    assert torch.allclose(difference, expected, atol=1e-4)


def test_penalty_breakdown_counts_short_bonds(small):
    cfg = ALIGNNAtomWiseConfig(penalty_threshold=2.6, penalty_factor=0.5)
    breakdown = fresh_breakdown(small, cfg, GRAPH)
    lengths = torch.cat(
        [item.g.edata["r"].norm(dim=1) for item in dataset_graphs(small, cfg, GRAPH)]
    )
    short = lengths[lengths < 2.6]
    assert breakdown.penalty.bonds_below_threshold == len(short) > 0
    assert breakdown.penalty.energy == pytest.approx(float((0.5 * (2.6 - short)).sum()), rel=1e-5)
    assert breakdown.as_dict()["penalty"] == {
        "energy": breakdown.penalty.energy,
        "bonds_below_threshold": len(short),
    }


BITING = {"penalty_threshold": 2.6, "penalty_factor": 0.5}


@pytest.mark.parametrize("name", ["alignn_atomwise", "alignn_atomwise_pure"])
@pytest.mark.parametrize("energy_mult_natoms", [True, False], ids=["atom", "cell"])
def test_predicted_energy_counts_each_structures_penalty_once(name, energy_mult_natoms, small):
    cfg = ALIGNNAtomWiseConfig(name=name, energy_mult_natoms=energy_mult_natoms, **BITING)
    without = cfg.copy()
    without.update(use_penalty=False)
    penalised = fresh_breakdown(small, cfg, GRAPH).penalty
    plain = fresh_breakdown(small, without, GRAPH).penalty
    assert penalised.energy > 1.0
    assert penalised.predicted_energy == pytest.approx(
        plain.predicted_energy + penalised.energy, rel=1e-5
    )


@pytest.mark.parametrize(
    ("fields", "noted"),
    [
        ({"energy_mult_natoms": False, **BITING}, True),
        ({"energy_mult_natoms": True, **BITING}, False),
        ({"energy_mult_natoms": False, "name": "alignn_atomwise_pure", **BITING}, False),
        ({"energy_mult_natoms": False}, False),
    ],
    ids=["dgl cell energies", "dgl atom energies", "pure cell energies", "no bond penalised"],
)
def test_a_penalty_in_alignns_readout_is_noted(fields, noted, small):
    breakdown = fresh_breakdown(small[:2], ALIGNNAtomWiseConfig(**fields), GRAPH)
    found = [note for note in breakdown.notes if "in place" in note]
    assert len(found) == noted
    if noted:
        assert "graphwise term" in found[0] and "twice" in found[0]


def test_default_penalty_is_zero_on_normal_bonds(small):
    cfg = ALIGNNAtomWiseConfig()
    breakdown = fresh_breakdown(small, cfg, GRAPH)
    assert breakdown.penalty.energy == 0.0
    assert breakdown.penalty.bonds_below_threshold == 0
    model = build_model(cfg, seed=0)
    energies = [predict(model, build_graphs(s.atoms, cfg, GRAPH)).energy.value for s in small]
    assert breakdown.penalty.predicted_energy == pytest.approx(sum(energies), rel=1e-5)
    assert breakdown.penalty.fraction == 0.0


def test_envelope_penalty_is_noted(small):
    breakdown = fresh_breakdown(small, ALIGNNAtomWiseConfig(use_cutoff_function=True), GRAPH)
    assert breakdown.penalty.bonds_below_threshold == sum(
        item.g.num_edges() for item in dataset_graphs(small, ALIGNNAtomWiseConfig(), GRAPH)
    )
    assert any("cutoff envelope" in note for note in breakdown.notes)


# ----------------------------------------------------------------------------- real data


def test_jarvis_sample_decomposes():
    dataset = load_dataset(EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json")[:10]
    cfg = ALIGNNAtomWiseConfig(stresswise_weight=0.05)
    breakdown = fresh_breakdown(dataset, cfg, GRAPH)
    assert breakdown.samples == 10
    assert [t.samples for t in breakdown.terms.values()] == [10, 10, 10]
    assert breakdown.terms["graphwise"].unit == "eV/atom"
    assert all(math.isfinite(t.weighted) for t in breakdown.terms.values())


def _id_prop_file(path, dataset: Dataset, per_atom: bool):
    from jarvis.core.atoms import ase_to_atoms

    entries = [
        {
            "jid": s.id,
            "atoms": ase_to_atoms(s.atoms).to_dict(),
            "total_energy": s.targets.energy / (s.natoms if per_atom else 1),
            "forces": s.targets.forces.tolist(),
            "stresses": s.targets.stress.tolist(),
        }
        for s in dataset
    ]
    path.write_text(json.dumps(entries))
    return path


@pytest.mark.parametrize(
    ("per_atom", "energy_mult_natoms", "noted"),
    [
        (False, True, "per cell"),
        (True, False, "per atom"),
        (True, True, None),
        (False, False, None),
    ],
)
def test_an_energy_file_in_another_unit_than_the_readout_is_noted(
    per_atom, energy_mult_natoms, noted, small, tmp_path
):
    path = _id_prop_file(tmp_path / "id_prop.json", small[:2], per_atom)
    dataset = read_id_prop(path, energy="per_atom" if per_atom else "total", stress="alignn")
    assert dataset[:1].file_energy == ("per_atom" if per_atom else "total")
    cfg = ALIGNNAtomWiseConfig(energy_mult_natoms=energy_mult_natoms)
    breakdown = fresh_breakdown(dataset, cfg, GRAPH)
    found = [note for note in breakdown.notes if "unchanged" in note]
    assert len(found) == (noted is not None)
    if noted:
        assert f"id_prop.json holds total_energy in eV {noted}" in found[0]


# ----------------------------------------------------------------------------- figures


def test_contribution_bars_stack_the_weighted_terms(small):
    import matplotlib.pyplot as plt

    from alignn_nb.viz import contribution_bars

    with_stress = fresh_breakdown(small, ALIGNNAtomWiseConfig(stresswise_weight=0.1), GRAPH)
    no_stress = fresh_breakdown(
        _without(small, "stress"), ALIGNNAtomWiseConfig(stresswise_weight=0.1), GRAPH
    )
    figure = contribution_bars({"with": with_stress, "without": no_stress})
    axes = figure.axes[0]
    heights = [patch.get_height() for patch in axes.patches]
    expected = [t.weighted for t in with_stress.terms.values()]
    assert heights[0::2] == pytest.approx(expected)
    assert heights[5] == 0.0
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert labels[-1] == "stresswise (stress) (no target)"
    fractions = contribution_bars(with_stress, "fraction").axes[0]
    assert sum(p.get_height() for p in fractions.patches) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="view must be one of absolute, fraction"):
        contribution_bars(with_stress, "pie")
    plt.close(figure)


def test_weight_response_plot_marks_the_current_weight(small):
    import matplotlib.pyplot as plt

    from alignn_nb.viz import weight_response_plot

    cfg = ALIGNNAtomWiseConfig(stresswise_weight=0.1)
    result = weight_response(
        fresh_breakdown(small, cfg, GRAPH), cfg, "stresswise_weight", [0, 0.2, 0.4]
    )
    figure = weight_response_plot(result)
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == [
        "graphwise (energy)",
        "gradwise (forces)",
        "stresswise (stress)",
        "total",
        "current stresswise_weight = 0.1",
    ]
    assert list(lines[-1].get_xdata()) == [0.1, 0.1]
    assert list(lines[3].get_ydata()) == pytest.approx(result.total)
    plt.close(figure)


def test_all_weights_zero_gives_a_zero_total_without_shares(small):
    cfg = ALIGNNAtomWiseConfig(graphwise_weight=0.0, gradwise_weight=0.0)
    breakdown = fresh_breakdown(small, cfg, GRAPH)
    assert breakdown.total == 0.0
    assert breakdown.terms["graphwise"].share is None
    assert "\ngraphwise " in breakdown.text() and breakdown.text().split("\n")[1].endswith("-")


def test_a_whole_dataset_over_the_memory_guard_is_split_in_order(small):
    cfg = ALIGNNAtomWiseConfig()
    costs = [
        (item.lg.num_edges() + item.g.num_edges()) * cfg.hidden_features
        for item in dataset_graphs(small, cfg, GRAPH)
    ]
    budget = costs[0] + costs[1]
    batches = make_batches(small, cfg, GRAPH, budget=budget)
    assert [s.id for b in batches for s in b.samples] == [s.id for s in small]
    assert all(
        len(b.samples) == 1 or sum(costs[small.samples.index(s)] for s in b.samples) <= budget
        for b in batches
    )
    assert len(batches) > 1
    assert len(make_batches(small, cfg, GRAPH)) == 1


def test_an_explicit_batch_over_the_memory_guard_is_refused(small):
    cfg = ALIGNNAtomWiseConfig()
    with pytest.raises(
        ValueError,
        match=r"a batch of 6 structures costs [\d,]+ \(triplets \+ "
        r"edges\) × hidden_features, over the memory guard of "
        r"1,000 \(about 2 GB of activations\); use batch_size 1 or fewer",
    ):
        make_batches(small, cfg, GRAPH, batch_size=6, budget=1000)
    assert len(make_batches(small, cfg, GRAPH, batch_size=1, budget=1000)) == 6
