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
from alignn_nb.graph import CrystalGraphs, build_graphs
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
def test_k_nearest_matches_alignn(name, graph):
    assert_same_as_alignn(BUILT[name], graph)


@pytest.mark.parametrize("name", list(BUILT))
def test_radius_graph_matches_alignn(name):
    assert_same_as_alignn(BUILT[name], RADIUS)


def test_k_nearest_cutoff_growth_matches_alignn():
    ours = assert_same_as_alignn(BUILT["Si"], GraphConfig(cutoff=2.0))
    assert ours.stats["cutoff_used"] == pytest.approx(3.83959, abs=1e-5)


def test_radius_graph_cutoff_extra_growth_matches_alignn():
    graph = GraphConfig(neighbor_strategy="radius_graph", cutoff=1.0, cutoff_extra=3.0)
    ours = assert_same_as_alignn(BUILT["graphene"], graph)
    assert ours.stats["cutoff_used"] == 4.0
    assert ours.stats["notes"][1].startswith("cutoff grown from 1 Å to 4 Å because atom 1")


def test_cells_smaller_than_the_cutoff_use_many_images():
    ours = assert_same_as_alignn(BUILT["Cu"], GraphConfig(cutoff=8.0, max_neighbors=40))
    assert max(BUILT["Cu"].cell.lengths()) < 8.0 / 3
    assert np.abs(ours.edges.images).max() == 2


def _entries(folder, name: str) -> list[dict]:
    return json.loads((folder / name).read_text())


def test_jarvis_ten_atom_structures_match_alignn(alignn_examples):
    entries = _entries(alignn_examples, "jarvis_ff_sample_id_prop.json")
    assert len(entries) == 50
    for entry in entries:
        atoms = load_structure(entry["atoms"])
        assert len(atoms) == 10
        for graph in KNN:
            assert_same_as_alignn(atoms, graph)


def test_jarvis_radius_graph_matches_alignn(alignn_examples):
    for entry in _entries(alignn_examples, "jarvis_ff_sample_id_prop.json")[:10]:
        assert_same_as_alignn(load_structure(entry["atoms"]), RADIUS)


@pytest.mark.parametrize("index", [0, 62, 150])
def test_mlearn_si_structures_match_alignn(alignn_examples, index):
    atoms = load_structure(_entries(alignn_examples, "mlearn_Si_id_prop.json")[index]["atoms"])
    assert len(atoms) >= 20
    for graph in [*KNN, RADIUS]:
        assert_same_as_alignn(atoms, graph)


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
