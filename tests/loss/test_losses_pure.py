"""The loss decomposition and training for alignn's pure-torch model, on TorchGraph batches."""

from __future__ import annotations

import pytest
import torch
from alignn.torch_graph_builder import TorchGraph

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, dgl_installed
from alignn_nb.datasets import Dataset, default_dataset
from alignn_nb.loss import fresh_breakdown, make_batches
from alignn_nb.model import penalty_per_edge
from alignn_nb.training import train

PURE = ALIGNNAtomWiseConfig(name="alignn_atomwise_pure", stresswise_weight=0.1)
PURE_TORCH = GraphConfig(neighbor_strategy="pure_torch", cutoff=5.0, three_body_cutoff=3.5)


@pytest.fixture(scope="module")
def small() -> Dataset:
    return default_dataset()[:4]


def test_pure_batches_are_alignns_batched_torch_graphs(small):
    batches = make_batches(small, PURE, PURE_TORCH, batch_size=3)
    assert [len(b.samples) for b in batches] == [3, 1]
    first = batches[0]
    assert isinstance(first.g, TorchGraph) and isinstance(first.lg, TorchGraph)
    assert first.num_atoms == sum(s.natoms for s in first.samples)
    assert first.g.batch_num_nodes.tolist() == [s.natoms for s in first.samples]
    assert first.lg.num_nodes == first.g.num_edges
    assert "Z" in first.g.ndata


def test_pure_breakdown_has_every_term_with_forces_and_stress(small):
    breakdown = fresh_breakdown(small, PURE, PURE_TORCH, seed=0)
    assert list(breakdown.terms) == ["graphwise", "gradwise", "stresswise"]
    assert all(term.ok and term.raw > 0 for term in breakdown.terms.values())
    assert breakdown.terms["stresswise"].unit == "GPa"
    assert breakdown.total == pytest.approx(sum(t.weighted for t in breakdown.terms.values()))


@pytest.mark.skipif(not dgl_installed(), reason="DGL is not installed")
def test_both_flavours_give_the_same_terms_with_the_same_seed(small):
    graph = GraphConfig()
    dgl_terms = fresh_breakdown(small, ALIGNNAtomWiseConfig(stresswise_weight=0.1), graph)
    pure_terms = fresh_breakdown(small, PURE, graph)
    for name, term in dgl_terms.terms.items():
        assert pure_terms.terms[name].raw == pytest.approx(term.raw, rel=1e-5), name


def test_the_pure_penalty_reads_bond_lengths_even_with_the_cutoff_envelope():
    r = torch.tensor([[0.5, 0.0, 0.0], [2.0, 0.0, 0.0]])
    fields = {"use_cutoff_function": True, "penalty_threshold": 1.0, "penalty_factor": 0.5}
    pure = penalty_per_edge(ALIGNNAtomWiseConfig(name="alignn_atomwise_pure", **fields), r)
    dgl = penalty_per_edge(ALIGNNAtomWiseConfig(**fields), r)
    assert pure.tolist() == [0.25, 0.0]
    assert dgl.tolist() != pure.tolist()


def test_training_the_pure_model_lowers_its_loss(small):
    run = train(small, PURE, PURE_TORCH, steps=6, seed=0, batch_size=2, threads=1)
    totals = run.series("total")
    assert len(totals) == 6 and min(totals[3:]) < totals[0]
    assert type(run.model).__name__ == "ALIGNNAtomWisePure" and not run.model.training
