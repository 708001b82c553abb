"""The graph engine: arrays, DGL graphs, line-graph filters, stats, caching and the budget."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import ase
import ase.build
import numpy as np
import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import (
    DEFAULT_TRIPLET_BUDGET,
    GraphBudgetError,
    alignn_graphs,
    build_graphs,
    clear_cache,
    estimate,
    fingerprint,
)
from alignn_nb.graphs import build as graph
from alignn_nb.graphs.cache import array_bytes
from alignn_nb.model import build_model, predict
from alignn_nb.structures import example

FULL = ALIGNNAtomWiseConfig(lighten_edges=False)
"""The line graph alignn itself builds: every bond pair, backtracking included."""
CLI_KEYS = (
    "atoms",
    "edges",
    "triplets",
    "backtracking_triplets",
    "edges_within_inner_cutoff",
    "triplets_removed_by_lighten_edges",
    "degree_min",
    "degree_mean",
    "degree_max",
    "cutoff_used",
    "build_seconds",
    "bytes",
    "notes",
)


@pytest.fixture(autouse=True)
def _empty_cache():
    clear_cache()


def test_arrays_have_the_documented_types_and_shapes():
    graphs = build_graphs(example("Si64"), FULL)
    edges, trip = graphs.edges, graphs.triplets
    assert len(edges) == 818 and len(trip) == 10_508
    for name in ("src", "dst"):
        assert getattr(edges, name).dtype == np.int64 and getattr(edges, name).shape == (818,)
    assert edges.images.dtype == np.int64 and edges.images.shape == (818, 3)
    assert edges.r.dtype == np.float32 and edges.r.shape == (818, 3)
    assert trip.e1.dtype == trip.e2.dtype == np.int64
    assert trip.cos.dtype == np.float32 and trip.backtracking.dtype == np.bool_
    assert graphs.lattice.dtype == torch.float64 and graphs.lattice.shape == (3, 3)


def test_images_are_the_true_image_of_dst():
    graphs = build_graphs(example("Si64"), FULL)
    atoms, edges = graphs.atoms, graphs.edges
    shifted = atoms.positions[edges.dst] + edges.images @ atoms.cell.array
    np.testing.assert_allclose(shifted - atoms.positions[edges.src], edges.r, atol=1e-5)


@pytest.mark.dgl
def test_dgl_graphs_carry_what_alignn_atomwise_reads():
    atoms = example("NaCl")
    graphs = build_graphs(atoms, FULL)
    reference = alignn_graphs(atoms, GraphConfig())
    g, lg = graphs.g, graphs.lg
    for ours, theirs in (
        (g.ndata, reference.g.ndata),
        (g.edata, reference.g.edata),
        (lg.ndata, reference.lg.ndata),
        (lg.edata, reference.lg.edata),
    ):
        assert sorted(ours.keys()) == sorted(theirs.keys())
        for key in theirs.keys():
            assert ours[key].dtype == theirs[key].dtype
            assert ours[key].shape == theirs[key].shape
    # float32 on both sides: a few float32 steps relative (V is ~45 Å³, where one step is
    # 4e-6); the float64 lattice to 1e-12 Å.
    f32_steps = 4 * torch.finfo(torch.float32).eps
    for key in ("atom_features", "frac_coords", "V"):
        torch.testing.assert_close(g.ndata[key], reference.g.ndata[key], rtol=f32_steps, atol=1e-6)
    torch.testing.assert_close(graphs.lattice, reference.lattice, rtol=0, atol=1e-12)
    assert lg.num_nodes() == g.num_edges() == 60
    assert lg.ndata["r"].data_ptr() == g.edata["r"].data_ptr()
    assert lg.ndata["images"].data_ptr() == g.edata["images"].data_ptr()


@pytest.mark.dgl
def test_line_graph_pairs_are_dgls_line_graph():
    graphs = build_graphs(example("Cu"), FULL)
    ours = graphs.lg.edges()
    theirs = graphs.g.line_graph(shared=True).edges()
    assert torch.equal(ours[0], theirs[0]) and torch.equal(ours[1], theirs[1])
    assert any("never pairs a bond with itself" in note for note in graphs.stats["notes"])


def test_every_triplet_shares_its_middle_atom():
    graphs = build_graphs(example("Si64"), FULL)
    edges, trip = graphs.edges, graphs.triplets
    assert (edges.dst[trip.e1] == edges.src[trip.e2]).all()
    assert (trip.e1 != trip.e2).all()
    np.testing.assert_allclose(trip.cos[trip.backtracking], 1.0, atol=1e-6)


@pytest.mark.dgl
def test_lighten_edges_keeps_only_first_shell_pairs_in_si64():
    full = build_graphs(example("Si64"), FULL).stats
    assert full["triplets"] == full["candidate_triplets"] == 10_508
    assert full["triplets_removed_by_lighten_edges"] == 0
    light = build_graphs(example("Si64"), ALIGNNAtomWiseConfig(lighten_edges=True))
    stats, lengths = light.stats, light.edges.lengths
    assert stats["edges_within_inner_cutoff"] == int((lengths <= 3.0).sum()) == 64 * 4
    assert stats["triplets"] == stats["triplets_within_inner_cutoff"] == 64 * 4 * 4
    assert stats["triplets_removed_by_lighten_edges"] == 10_508 - 1024
    assert (lengths[light.triplets.e1] <= 3.0).all() and (lengths[light.triplets.e2] <= 3.0).all()
    assert light.lg.num_nodes() == 818


def test_backtracking_off_drops_each_bonds_reverse():
    full = build_graphs(example("Si64"), FULL).stats
    assert full["backtracking_triplets"] == full["edges"] == 818
    graphs = build_graphs(example("Si64"), ALIGNNAtomWiseConfig(backtracking=False))
    assert graphs.stats["triplets"] == 64 * 4 * 3
    assert graphs.stats["triplets_removed_by_backtracking"] == 64 * 4
    assert not graphs.triplets.backtracking.any()
    no_back = build_graphs(
        example("Si64"), ALIGNNAtomWiseConfig(lighten_edges=False, backtracking=False)
    )
    assert no_back.stats["triplets"] == 10_508 - 818


def test_stats_hold_the_cli_keys_and_degrees():
    stats = build_graphs(example("Si64"), FULL).stats
    assert set(CLI_KEYS) <= set(stats)
    assert (stats["atoms"], stats["degree_min"], stats["degree_max"]) == (64, 12, 16)
    assert stats["degree_mean"] == pytest.approx(818 / 64)
    assert stats["cutoff_used"] == 8.0 and stats["build_seconds"] > 0
    assert stats["bytes"] > 818 * (8 + 8 + 24 + 12) + 10_508 * (8 + 8 + 4 + 1)


def test_cutoff_growth_is_reported():
    graphs = build_graphs(example("Si"), FULL, GraphConfig(cutoff=2.0))
    assert graphs.stats["cutoff_used"] == pytest.approx(5.43 / np.sqrt(2), abs=1e-5)
    assert graphs.stats["notes"][0].startswith("cutoff grown from 2 Å to 3.83959 Å because atom 0")


def test_a_molecule_without_a_cell_is_non_periodic():
    graphs = build_graphs(ase.build.molecule("H2O"), FULL)
    assert not graphs.stats["periodic"]
    assert graphs.stats["edges"] == 6 and graphs.stats["triplets"] == 3 * 2 * 2
    assert not graphs.edges.images.any()
    assert graphs.stats["notes"][0].startswith("No cell: built a non-periodic graph")
    radius = build_graphs(
        ase.build.molecule("H2O"), FULL, GraphConfig(neighbor_strategy="radius_graph")
    )
    assert radius.stats["edges"] == 6


def test_repr_is_short_and_informative():
    text = repr(build_graphs(example("Si64")))
    assert text.startswith("CrystalGraphs(Si64: 64 atoms, 818 edges, 1,024 triplets, k-nearest")
    assert len(text) < 120


@pytest.mark.dgl
def test_line_graph_options_reuse_the_neighbour_search():
    si = example("Si64")
    first = build_graphs(si, FULL).stats
    assert not first["neighbor_search_cached"] and not first["line_graph_cached"]
    again = build_graphs(si.copy(), FULL).stats
    assert again["neighbor_search_cached"] and again["line_graph_cached"]
    for cfg in (
        ALIGNNAtomWiseConfig(),
        ALIGNNAtomWiseConfig(inner_cutoff=2.5),
        ALIGNNAtomWiseConfig(lighten_edges=False, backtracking=False),
    ):
        stats = build_graphs(si, cfg).stats
        assert stats["neighbor_search_cached"] and not stats["line_graph_cached"]
    features = build_graphs(si, FULL, GraphConfig(atom_features="cgcnn"))
    assert features.stats["line_graph_cached"] and features.g.ndata["atom_features"].shape == (
        64,
        92,
    )


def test_neighbour_fields_and_moved_atoms_redo_the_search():
    si = example("Si64")
    build_graphs(si, FULL)
    assert not build_graphs(si, FULL, GraphConfig(cutoff=7.0)).stats["neighbor_search_cached"]
    assert not build_graphs(si, FULL, GraphConfig(use_canonize=False)).stats[
        "neighbor_search_cached"
    ]
    moved = si.copy()
    moved.positions[0, 0] += 1e-9
    assert not build_graphs(moved, FULL).stats["neighbor_search_cached"]
    radius = GraphConfig(neighbor_strategy="radius_graph", cutoff=4.0)
    build_graphs(si, FULL, radius)
    radius.max_neighbors = 5
    assert build_graphs(si, FULL, radius).stats["neighbor_search_cached"]


@pytest.mark.dgl
def test_changing_a_result_leaves_the_cache_intact():
    graphs = build_graphs(example("Si"), FULL)
    with pytest.raises(ValueError, match="read-only"):
        graphs.edges.r[0, 0] = 1.0
    graphs.g.edata["r"][:] = 0.0
    graphs.atoms.positions[:] = 0.0
    again = build_graphs(example("Si"), FULL)
    assert again.stats["neighbor_search_cached"]
    assert float(torch.linalg.norm(again.g.edata["r"], dim=1).min()) > 2.3


def test_guard_refuses_a_4096_atom_cell_without_allocating():
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((8, 8, 8))
    graph = GraphConfig(cutoff=12.0, max_neighbors=100)
    tracemalloc.start()
    try:
        with pytest.raises(GraphBudgetError) as refused:
            build_graphs(atoms, FULL, graph)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6
    message = str(refused.value)
    assert message.startswith("Graph too large: about 64,000,000 triplets (line-graph edges)")
    for part in (
        "4,096 atoms",
        "cutoff 12 Å",
        "max_neighbors 100",
        "budget is 2,000,000",
        "Lower cutoff or max_neighbors",
        "turn lighten_edges on",
    ):
        assert part in message
    assert refused.value.estimate == estimate(atoms, FULL, graph)
    assert refused.value.estimate["triplets"] == 64_000_000


def test_counted_triplets_over_budget_are_refused_exactly():
    si = example("Si")
    assert estimate(si, FULL)["triplets"] == 450
    with pytest.raises(GraphBudgetError, match="exactly 1,520 triplets") as refused:
        build_graphs(si, FULL, budget=1000)
    assert refused.value.estimate["triplets"] == 1520
    assert build_graphs(si, FULL, budget=1520).stats["triplets"] == 1520
    assert build_graphs(si, ALIGNNAtomWiseConfig(), budget=1000).stats["triplets"] == 32
    assert DEFAULT_TRIPLET_BUDGET == 2_000_000
    with pytest.raises(ValueError, match="budget must be a number of triplets >= 0, got -1"):
        build_graphs(si, FULL, budget=-1)


def test_candidate_triplets_around_one_atom():
    graphs = build_graphs(example("Si64"), budget=5000)
    edges = graphs.edges
    trip, kept, within = graphs.candidate_triplets([5])
    assert (edges.dst[trip.e1] == 5).all() and (edges.src[trip.e2] == 5).all()
    assert len(trip) == np.count_nonzero(edges.dst == 5) * np.count_nonzero(edges.src == 5)
    assert within.sum() == 16
    np.testing.assert_array_equal(kept, within)
    in_lg = set(zip(graphs.triplets.e1.tolist(), graphs.triplets.e2.tolist(), strict=True))
    around = {pair for pair in in_lg if edges.src[pair[1]] == 5}
    assert set(zip(trip.e1[kept].tolist(), trip.e2[kept].tolist(), strict=True)) == around
    with pytest.raises(GraphBudgetError, match="10,508 candidate triplets around 64 atoms"):
        graphs.candidate_triplets()
    with pytest.raises(ValueError, match=r"center atoms must be in 0\.\.63, got \[64\]"):
        graphs.candidate_triplets([64])


@pytest.mark.parametrize("name", ["Si", "Cu", "graphene", "Si64"])
@pytest.mark.dgl
def test_predict_gives_alignns_energies_and_forces(name):
    """Equal to float32 rounding: edges come in another order, so sums round differently.

    The per-atom readout agrees to an ulp; the energy (readout × atoms) to 1e-5 eV, or
    1e-6 relative when it exceeds 10 eV (Si64 here: 154 eV, one ulp is 1.5e-5 eV).
    """
    model = build_model(FULL)
    ours = predict(model, build_graphs(example(name), FULL))
    theirs = predict(model, alignn_graphs(example(name), GraphConfig()))
    assert ours.energy.value == pytest.approx(theirs.energy.value, rel=1e-6, abs=1e-5)
    np.testing.assert_allclose(ours.forces.value, theirs.forces.value, atol=1e-5)


def test_everything_but_g_and_lg_works_without_dgl():
    edges = build_graphs(example("Si64")).edges
    around_0 = np.count_nonzero(edges.dst == 0) * np.count_nonzero(edges.src == 0)
    script = (
        "import sys; sys.modules['dgl'] = None\n"
        "from alignn_nb.graphs.build import build_graphs\n"
        "from alignn_nb.structures.loading import example\n"
        "graphs = build_graphs(example('Si64'))\n"
        "trip, kept, within = graphs.candidate_triplets([0])\n"
        "print(graphs.stats['edges'], len(graphs.triplets), len(trip), int(kept.sum()))\n"
        "try:\n    graphs.g\nexcept ImportError:\n    print('no dgl')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines() == [f"818 1024 {around_0} 16", "no dgl"]


def test_inner_cutoff_counts_follow_inner_cutoff_with_lighten_edges_off():
    si = example("Si64")
    assert build_graphs(si, FULL).stats["edges_within_inner_cutoff"] == 64 * 4
    wider = build_graphs(si, ALIGNNAtomWiseConfig(lighten_edges=False, inner_cutoff=4.0)).stats
    assert wider["neighbor_search_cached"]
    assert wider["edges_within_inner_cutoff"] == int(
        (build_graphs(si, FULL).edges.lengths <= 4.0).sum()
    )
    assert wider["edges_within_inner_cutoff"] > 64 * 4


def test_a_cached_graph_is_still_held_to_the_budget():
    si = example("Si")
    assert build_graphs(si, FULL, budget=1520).stats["triplets"] == 1520
    with pytest.raises(GraphBudgetError, match="exactly 1,520 triplets"):
        build_graphs(si, FULL, budget=1519)


def _alone(name: str) -> int:
    """Bytes the caches hold after building only the example ``name``."""
    clear_cache()
    build_graphs(example(name))
    return graph._CACHE.nbytes


def _entries(*names: str) -> list[tuple[str, str]]:
    """(kind, structure) of each cache entry, least recently used first."""
    structure = {fingerprint(example(name)): name for name in names}
    return [
        (kind, structure[key[0] if kind == "neighbors" else key[0][0]])
        for kind, key in graph._CACHE.keys()
    ]


def test_the_caches_keep_to_their_byte_budget_evicting_the_least_recently_used(monkeypatch):
    sizes = {name: _alone(name) for name in ("NaCl", "Si64", "Si")}
    budget = sizes["NaCl"] + sizes["Si64"]
    monkeypatch.setattr(graph, "CACHE_BYTES", budget)
    clear_cache()
    for name in ("NaCl", "Si64", "NaCl", "Si"):
        stats = build_graphs(example(name)).stats
        assert graph._CACHE.nbytes <= budget
    assert stats["neighbor_search_cached"] is False
    assert _entries("NaCl", "Si64", "Si") == [
        ("line graph", "Si64"),
        ("neighbors", "NaCl"),
        ("line graph", "NaCl"),
        ("neighbors", "Si"),
        ("line graph", "Si"),
    ]
    assert build_graphs(example("NaCl")).stats["neighbor_search_cached"] is True
    assert build_graphs(example("Si64")).stats["neighbor_search_cached"] is False


def test_an_entry_larger_than_the_budget_is_not_kept_and_evicts_nothing(monkeypatch):
    si = _alone("Si")
    clear_cache()
    big = build_graphs(example("Si64"))
    line_graph = array_bytes(big.triplets)
    assert graph._CACHE.nbytes - line_graph > si + line_graph
    monkeypatch.setattr(graph, "CACHE_BYTES", si + line_graph)
    clear_cache()
    build_graphs(example("Si"))
    for _ in range(2):
        stats = build_graphs(example("Si64")).stats
    assert (stats["neighbor_search_cached"], stats["line_graph_cached"]) == (False, True)
    assert _entries("Si", "Si64") == [
        ("neighbors", "Si"),
        ("line graph", "Si"),
        ("line graph", "Si64"),
    ]
    assert graph._CACHE.nbytes == si + line_graph
