"""Our graphs against alignn's own ``Graph.atom_dgl_multigraph``, structure by structure.

Edges are compared as multisets of (src, dst, r, images) rows, exactly (float32 r as
alignn stores it); the line graph by its size, its sorted cosines and its pairs.
"""

from __future__ import annotations

import json

import ase
import ase.build
import numpy as np
import pytest
import torch

from alignn_nb import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graph import CrystalGraphs, bond_lengths32, build_graphs
from alignn_nb.model import alignn_graphs
from alignn_nb.structures import examples, load_structure

FULL = ALIGNNAtomWiseConfig(lighten_edges=False, backtracking=True)
KNN = [GraphConfig(use_canonize=True), GraphConfig(use_canonize=False)]
RADIUS = GraphConfig(neighbor_strategy="radius_graph", cutoff=5.0)


def _rows(src, dst, r, images) -> np.ndarray:
    """(E, 8) float64 rows sorted lexicographically: a multiset in canonical order."""
    table = np.column_stack([src, dst, np.asarray(r, dtype=np.float64), images])
    return table[np.lexsort(table.T[::-1])]


def assert_same_as_alignn(atoms: ase.Atoms, graph: GraphConfig) -> CrystalGraphs:
    """Edges, line-graph size, cosines and pairs equal alignn's; returns our graphs."""
    ours = build_graphs(atoms, FULL, graph)
    theirs = alignn_graphs(atoms, graph)
    u, v = theirs.g.edges()
    np.testing.assert_array_equal(
        _rows(ours.edges.src, ours.edges.dst, ours.edges.r, ours.edges.alignn_images),
        _rows(u.numpy(), v.numpy(), theirs.g.edata["r"].numpy(), theirs.g.edata["images"].numpy()),
    )
    assert ours.g.num_nodes() == theirs.g.num_nodes()
    assert ours.lg.num_edges() == theirs.lg.num_edges() == ours.stats["triplets"]
    np.testing.assert_array_equal(np.sort(ours.triplets.cos), np.sort(theirs.lg.edata["h"].numpy()))
    dgl_pairs = ours.g.line_graph(shared=True).edges()
    assert torch.equal(ours.lg.edges()[0], dgl_pairs[0])
    assert torch.equal(ours.lg.edges()[1], dgl_pairs[1])
    return ours


def _strained(atoms: ase.Atoms, seed: int) -> ase.Atoms:
    rng = np.random.default_rng(seed)
    strained = atoms.copy()
    strain = np.eye(3) + rng.uniform(-0.04, 0.04, size=(3, 3))
    strained.set_cell(atoms.cell.array @ strain, scale_atoms=True)
    strained.rattle(stdev=0.03, seed=seed)
    return strained


def _triclinic(n_atoms: int, cellpar: list[float], seed: int) -> ase.Atoms:
    rng = np.random.default_rng(seed)
    for _ in range(100):
        atoms = ase.Atoms(
            "Si" * n_atoms, scaled_positions=rng.random((n_atoms, 3)), cell=cellpar, pbc=True
        )
        if (
            n_atoms == 1
            or atoms.get_all_distances(mic=True)[np.triu_indices(n_atoms, 1)].min() > 1.5
        ):
            return atoms
    raise AssertionError("no well-separated triclinic cell found")


BUILT = {
    **examples(),
    "Si-strained": _strained(ase.build.bulk("Si", "diamond", a=5.43, cubic=True), 1),
    "NaCl-strained": _strained(ase.build.bulk("NaCl", "rocksalt", a=5.64).repeat(2), 2),
    "Cu-strained": _strained(ase.build.bulk("Cu", "fcc", a=3.61, cubic=True), 3),
    "triclinic-4": _triclinic(4, [4.1, 5.3, 6.2, 71.0, 83.0, 102.0], 4),
    "triclinic-1": _triclinic(1, [2.9, 3.1, 3.3, 80.0, 95.0, 110.0], 5),
    "slab": ase.build.fcc111("Cu", size=(2, 2, 3), vacuum=6.0),
}


@pytest.mark.parametrize("graph", KNN, ids=["canonize", "no-canonize"])
@pytest.mark.parametrize("name", list(BUILT))
@pytest.mark.dgl
def test_k_nearest_matches_alignn(name, graph):
    assert_same_as_alignn(BUILT[name], graph)


@pytest.mark.parametrize("name", list(BUILT))
@pytest.mark.dgl
def test_radius_graph_matches_alignn(name):
    assert_same_as_alignn(BUILT[name], RADIUS)


@pytest.mark.dgl
def test_k_nearest_cutoff_growth_matches_alignn():
    ours = assert_same_as_alignn(BUILT["Si"], GraphConfig(cutoff=2.0))
    assert ours.stats["cutoff_used"] == pytest.approx(3.83959, abs=1e-5)


@pytest.mark.dgl
def test_radius_graph_cutoff_extra_growth_matches_alignn():
    graph = GraphConfig(neighbor_strategy="radius_graph", cutoff=1.0, cutoff_extra=3.0)
    ours = assert_same_as_alignn(BUILT["graphene"], graph)
    assert ours.stats["cutoff_used"] == 4.0
    assert ours.stats["notes"][1].startswith("cutoff grown from 1 Å to 4 Å because atom 1")


@pytest.mark.dgl
def test_cells_smaller_than_the_cutoff_use_many_images():
    ours = assert_same_as_alignn(BUILT["Cu"], GraphConfig(cutoff=8.0, max_neighbors=40))
    assert max(BUILT["Cu"].cell.lengths()) < 8.0 / 3
    assert np.abs(ours.edges.images).max() == 2


def _entries(folder, name: str) -> list[dict]:
    return json.loads((folder / name).read_text())


@pytest.mark.dgl
def test_jarvis_ten_atom_structures_match_alignn(alignn_examples):
    entries = _entries(alignn_examples, "jarvis_ff_sample_id_prop.json")
    assert len(entries) == 50
    for entry in entries:
        atoms = load_structure(entry["atoms"])
        assert len(atoms) == 10
        for graph in KNN:
            assert_same_as_alignn(atoms, graph)


@pytest.mark.dgl
def test_jarvis_radius_graph_matches_alignn(alignn_examples):
    for entry in _entries(alignn_examples, "jarvis_ff_sample_id_prop.json")[:10]:
        assert_same_as_alignn(load_structure(entry["atoms"]), RADIUS)


@pytest.mark.parametrize("index", [0, 62, 150])
@pytest.mark.dgl
def test_mlearn_si_structures_match_alignn(alignn_examples, index):
    atoms = load_structure(_entries(alignn_examples, "mlearn_Si_id_prop.json")[index]["atoms"])
    assert len(atoms) >= 20
    for graph in [*KNN, RADIUS]:
        assert_same_as_alignn(atoms, graph)


@pytest.mark.dgl
def test_a_dropped_float_tie_is_reproduced_and_reported(alignn_examples):
    entry = _entries(alignn_examples, "jarvis_ff_sample_id_prop.json")[15]
    atoms = load_structure(entry["atoms"])
    without_canonize = assert_same_as_alignn(atoms, GraphConfig(use_canonize=False))
    pairs_1_4 = (without_canonize.edges.src == 1) & (without_canonize.edges.dst == 4)
    assert np.count_nonzero(pairs_1_4 & ~without_canonize.edges.images.any(axis=1)) == 1
    ours = assert_same_as_alignn(atoms, GraphConfig())
    ties = [note for note in ours.stats["notes"] if note.startswith("float tie dropped")]
    assert len(ties) == 4
    assert ties[0] == (
        "float tie dropped: atom 1's neighbour 4 at image (0, 0, 0) is 3.1131320876 Å, "
        "4.4e-16 Å beyond its 12th-neighbour distance, so alignn (float64 <=) leaves it out; "
        "the bond survives because atom 4 chose atom 1."
    )


@pytest.mark.dgl
def test_perfect_si_supercell_loses_bonds_to_float_ties():
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((3, 3, 3))
    without_canonize = assert_same_as_alignn(atoms, GraphConfig(use_canonize=False))
    notes = assert_same_as_alignn(atoms, GraphConfig()).stats["notes"]
    ties = [note for note in notes if note.startswith("float tie dropped")]
    absent = [note for note in ties if note.endswith("that bond is absent from the graph.")]
    summary = [note for note in notes if note.startswith("alignn dropped ")]
    assert ties and summary == [
        f"alignn dropped {len(ties)} neighbours that tie with the 12th-neighbour distance to "
        f"within 1e-09 Å (float rounding in jarvis's distances); {len(absent)} of those bonds "
        "are absent from the graph, the rest survive because the other atom chose them."
    ]
    assert without_canonize.stats["edges"] == 2 * (216 * 16 - len(ties))


# ----------------------------------------------------------------------------- pure_torch

PURE_TORCH = [
    GraphConfig(neighbor_strategy="pure_torch"),
    GraphConfig(neighbor_strategy="pure_torch", cutoff=5.0, max_neighbors=None,
                three_body_cutoff=3.5),
]  # fmt: skip


def _torch_edges(g) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(g, "src"):
        return g.src.numpy(), g.dst.numpy()
    u, v = g.edges()
    return u.numpy(), v.numpy()


def _keyed_triplets(src, dst, images, e1, e2) -> list[tuple]:
    """Triplets as sorted (bond, bond) keys, each bond as (src, dst, image)."""
    key = [(int(s), int(d), *map(int, i)) for s, d, i in zip(src, dst, images, strict=True)]
    return sorted((key[a], key[b]) for a, b in zip(e1, e2, strict=True))


def assert_same_as_alignns_pure_torch(atoms: ase.Atoms, graph: GraphConfig) -> CrystalGraphs:
    """Edges (src, dst, r, images) and triplets as alignn's build_pure_torch_graph makes them.

    Where max_neighbors cut through exact ties (stats notes say so), alignn's pick depends
    on its search order, so only counts and the multisets of distances are compared.
    """
    ours = build_graphs(atoms, FULL, graph)
    theirs = alignn_graphs(atoms, graph)
    u, v = _torch_edges(theirs.g)
    r = theirs.g.edata["r"].detach().numpy()
    images = theirs.g.edata["images"].numpy()
    e1, e2 = _torch_edges(theirs.lg)
    assert (len(ours.edges), len(ours.triplets)) == (len(u), len(e1))
    np.testing.assert_array_equal(np.sort(ours.edges.lengths), np.sort(bond_lengths32(r)))
    np.testing.assert_array_equal(np.sort(ours.triplets.cos), np.sort(theirs.lg.edata["h"].numpy()))
    if any(note.startswith("max_neighbors") for note in ours.stats["notes"]) and _matscipy():
        return ours
    np.testing.assert_array_equal(
        _rows(ours.edges.src, ours.edges.dst, ours.edges.r, ours.edges.alignn_images),
        _rows(u, v, r, images),
    )
    edges, trip = ours.edges, ours.triplets
    assert _keyed_triplets(edges.src, edges.dst, edges.images, trip.e1, trip.e2) == (
        _keyed_triplets(u, v, images, e1, e2)
    )
    return ours


def _matscipy() -> bool:
    import importlib.util

    return importlib.util.find_spec("matscipy") is not None


@pytest.mark.parametrize("graph", PURE_TORCH, ids=["k12-cutoff8", "radius5-tbc3.5"])
@pytest.mark.parametrize("name", list(BUILT))
def test_pure_torch_matches_alignn(name, graph):
    assert_same_as_alignns_pure_torch(BUILT[name], graph)


@pytest.mark.parametrize("name", ["Si-strained", "NaCl-strained", "triclinic-4"])
def test_pure_torch_rattled_copies_match_alignn(name):
    atoms = BUILT[name].copy()
    atoms.rattle(stdev=0.05, seed=7)
    for graph in PURE_TORCH:
        assert_same_as_alignns_pure_torch(atoms, graph)


def test_pure_torch_notes_ties_cut_by_max_neighbors_in_a_perfect_crystal():
    ours = assert_same_as_alignns_pure_torch(BUILT["Si"], PURE_TORCH[0])
    note = next(n for n in ours.stats["notes"] if n.startswith("max_neighbors"))
    assert note.startswith("max_neighbors 12 cut through exact ties at 2 atoms")
    assert "Atom 0 kept 8 of 12 neighbours at its 12th-neighbour distance 3.839590 Å" in note
    assert ours.stats["edges"] == 24 and ours.stats["degree_max"] == 12


def test_pure_torch_three_body_cutoff_limits_triplets_but_not_line_graph_nodes():
    ours = assert_same_as_alignns_pure_torch(BUILT["Si64"], PURE_TORCH[1])
    joining = ours.edges.lengths <= 3.5
    assert ours.stats["edges_within_three_body_cutoff"] == int(joining.sum()) == 256
    assert joining[ours.triplets.e1].all() and joining[ours.triplets.e2].all()
    assert ours.torch_lg.num_nodes == ours.stats["edges"] == 1792
    assert ours.stats["three_body_cutoff"] == 3.5


def test_pure_torch_pairs_a_self_image_bond_with_itself():
    ours = assert_same_as_alignns_pure_torch(BUILT["Cu"], PURE_TORCH[0])
    e1, e2 = ours.triplets.e1, ours.triplets.e2
    assert np.count_nonzero(e1 == e2) == 12
    np.testing.assert_allclose(ours.triplets.cos[e1 == e2], -1.0, atol=1e-7)


def test_pure_torch_refuses_a_triplet_cutoff_beyond_the_bond_cutoff():
    graph = GraphConfig(neighbor_strategy="pure_torch", cutoff=4.0, three_body_cutoff=4.5)
    with pytest.raises(ValueError, match=r"three_body_cutoff \(4.5 Å\) must be <= cutoff \(4 Å\)"):
        build_graphs(BUILT["Si"], FULL, graph)
