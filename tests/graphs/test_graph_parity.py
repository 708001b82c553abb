"""Our graphs against alignn's own ``Graph.atom_dgl_multigraph``, structure by structure.

Parity means the same graph: the same multiset of directed edges, each keyed by integers
(src, dst, the true image of dst, and the image alignn stores), the same triplets keyed by
their two edges' keys, and, row by row once the keys have matched, the same bond vectors,
lengths and cosines to within float rounding. Floats are never compared bit for bit here:
our graphs and alignn's take different numpy/BLAS paths to the same numbers, and the BLAS
kernel a machine picks decides their last bit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import ase
import ase.build
import numpy as np
import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import CrystalGraphs, alignn_graphs, build_graphs
from alignn_nb.structures import examples, load_structure
from tests.support.repo import EXAMPLE_DATA

FULL = ALIGNNAtomWiseConfig(lighten_edges=False, backtracking=True)
KNN = [GraphConfig(use_canonize=True), GraphConfig(use_canonize=False)]
RADIUS = GraphConfig(neighbor_strategy="radius_graph", cutoff=5.0)

F32_STEPS = 4
"""float32 steps two float32 values may differ by across code paths. Both sides store r in
float32, rounded from float64 vectors that can differ in their last bit; that can flip one
float32 rounding of a component (one step of |r|), and again of a length or cosine
computed from it (a second step). Four steps leave room for both, in each operand."""
ANGSTROM_ATOL = 1e-12
"""Å; float64 values computed along two code paths agree to this."""


@dataclass(frozen=True)
class Side:
    """One side's graph as plain arrays: edges (E,) / (E, 3) and triplets (T,)."""

    src: np.ndarray
    dst: np.ndarray
    alignn_images: np.ndarray
    r: np.ndarray
    lengths: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    cos: np.ndarray

    @classmethod
    def ours(cls, graphs: CrystalGraphs) -> Side:
        edges, trip = graphs.edges, graphs.triplets
        return cls(
            edges.src, edges.dst, edges.alignn_images, edges.r, edges.lengths,
            trip.e1, trip.e2, trip.cos,
        )  # fmt: skip

    @classmethod
    def alignns(cls, g, lg) -> Side:
        """alignn's graphs: DGL graphs, or the TorchGraphs of ``build_pure_torch_graph``."""
        src, dst = _torch_edges(g)
        e1, e2 = _torch_edges(lg)
        r = g.edata["r"].detach()
        return cls(
            src, dst, _integers(g.edata["images"].numpy()), r.numpy(),
            torch.linalg.norm(r, dim=1).numpy(), e1, e2, lg.edata["h"].numpy(),
        )  # fmt: skip


def _torch_edges(g) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(g, "src"):
        return g.src.numpy(), g.dst.numpy()
    u, v = g.edges()
    return u.numpy(), v.numpy()


def _integers(values: np.ndarray) -> np.ndarray:
    """int64 copy of ``values``, which must hold whole numbers (alignn stores images as floats)."""
    whole = np.rint(values)
    assert np.array_equal(whole, values), "images are not whole numbers"
    return whole.astype(np.int64)


def edge_keys(side: Side, atoms: ase.Atoms) -> np.ndarray:
    """(E, 8) int64 keys: src, dst, the true image of dst and the image alignn stores.

    The stored image alone does not tell a bond from its reverse (alignn's k-nearest graph
    gives both directions the forward bond's image), so the true image is read back from r:
    ``(r - (x_dst - x_src)) @ inverse(cell)`` lies within 1e-4 of whole numbers.
    """
    offset = side.r.astype(np.float64) - (atoms.positions[side.dst] - atoms.positions[side.src])
    frac = np.linalg.solve(atoms.cell.array.T, offset.T).T
    image = np.rint(frac)
    assert np.abs(frac - image).max(initial=0) < 1e-4, "r is not dst - src plus a cell image"
    return np.column_stack([side.src, side.dst, image.astype(np.int64), side.alignn_images])


def _sorted_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of an integer key table in lexicographic order, and that order."""
    order = np.lexsort(keys.T[::-1])
    return keys[order], order


def assert_close_floats(ours: np.ndarray, theirs: np.ndarray, scale, what: str) -> None:
    """Equal to float rounding: float32 within F32_STEPS steps of ``scale``, float64 within
    ANGSTROM_ATOL. ``scale`` is |r| for vectors and lengths, 1 for cosines."""
    assert ours.dtype == theirs.dtype, what
    assert ours.shape == theirs.shape, what
    if ours.dtype == np.float32:
        tol = F32_STEPS * np.spacing(np.abs(np.asarray(scale, dtype=np.float32)))
    else:
        tol = np.full(ours.shape, ANGSTROM_ATOL)
    diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
    bad = diff > np.broadcast_to(tol, diff.shape)
    assert not bad.any(), (
        f"{what}: {np.count_nonzero(bad)} of {bad.size} values differ beyond float rounding, "
        f"the largest by {diff.max():.3g}"
    )


def assert_same_graph(ours: Side, theirs: Side, atoms: ase.Atoms) -> None:
    """The same edge and triplet multisets (integer keys, exactly), then the same r, lengths
    and cosines row by row (to float rounding)."""
    assert (len(ours.src), len(ours.e1)) == (len(theirs.src), len(theirs.e1))
    ours_keys, theirs_keys = edge_keys(ours, atoms), edge_keys(theirs, atoms)
    ours_sorted, ours_order = _sorted_keys(ours_keys)
    theirs_sorted, theirs_order = _sorted_keys(theirs_keys)
    np.testing.assert_array_equal(ours_sorted, theirs_sorted, err_msg="edge keys")
    scale = theirs.lengths[theirs_order]
    assert_close_floats(ours.r[ours_order], theirs.r[theirs_order], scale[:, None], "r")
    assert_close_floats(ours.lengths[ours_order], theirs.lengths[theirs_order], scale, "|r|")
    ours_trip = np.hstack([ours_keys[ours.e1], ours_keys[ours.e2]])
    theirs_trip = np.hstack([theirs_keys[theirs.e1], theirs_keys[theirs.e2]])
    ours_sorted, ours_order = _sorted_keys(ours_trip)
    theirs_sorted, theirs_order = _sorted_keys(theirs_trip)
    np.testing.assert_array_equal(ours_sorted, theirs_sorted, err_msg="triplet keys")
    assert_close_floats(ours.cos[ours_order], theirs.cos[theirs_order], 1.0, "cos")


def assert_same_as_alignn(atoms: ase.Atoms, graph: GraphConfig) -> CrystalGraphs:
    """The same graph as alignn's, and a line graph with DGL's own pairs; returns ours."""
    ours = build_graphs(atoms, FULL, graph)
    theirs = alignn_graphs(atoms, graph)
    assert_same_graph(Side.ours(ours), Side.alignns(theirs.g, theirs.lg), atoms)
    assert ours.g.num_nodes() == theirs.g.num_nodes()
    assert ours.lg.num_edges() == theirs.lg.num_edges() == ours.stats["triplets"]
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
def test_jarvis_ten_atom_structures_match_alignn():
    entries = _entries(EXAMPLE_DATA, "jarvis_ff_sample_id_prop.json")
    assert len(entries) == 50
    for entry in entries:
        atoms = load_structure(entry["atoms"])
        assert len(atoms) == 10
        for graph in KNN:
            assert_same_as_alignn(atoms, graph)


@pytest.mark.dgl
def test_jarvis_radius_graph_matches_alignn():
    for entry in _entries(EXAMPLE_DATA, "jarvis_ff_sample_id_prop.json")[:10]:
        assert_same_as_alignn(load_structure(entry["atoms"]), RADIUS)


@pytest.mark.parametrize("index", [0, 62, 150])
@pytest.mark.dgl
def test_mlearn_si_structures_match_alignn(index):
    atoms = load_structure(_entries(EXAMPLE_DATA, "mlearn_Si_id_prop.json")[index]["atoms"])
    assert len(atoms) >= 20
    for graph in [*KNN, RADIUS]:
        assert_same_as_alignn(atoms, graph)


@pytest.mark.dgl
def test_a_dropped_float_tie_is_reproduced_and_reported():
    entry = _entries(EXAMPLE_DATA, "jarvis_ff_sample_id_prop.json")[15]
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


def assert_same_as_alignns_pure_torch(atoms: ase.Atoms, graph: GraphConfig) -> CrystalGraphs:
    """The same graph as alignn's ``build_pure_torch_graph`` makes; returns ours.

    Where max_neighbors cut through exact ties (stats notes say so), alignn's pick depends
    on its search order, so only counts and the multisets of lengths and cosines are compared.
    """
    ours = build_graphs(atoms, FULL, graph)
    theirs = alignn_graphs(atoms, graph)
    mine, alignns = Side.ours(ours), Side.alignns(theirs.g, theirs.lg)
    if any(note.startswith("max_neighbors") for note in ours.stats["notes"]) and _matscipy():
        assert (len(mine.src), len(mine.e1)) == (len(alignns.src), len(alignns.e1))
        lengths = np.sort(alignns.lengths)
        assert_close_floats(np.sort(mine.lengths), lengths, lengths, "sorted |r|")
        assert_close_floats(np.sort(mine.cos), np.sort(alignns.cos), 1.0, "sorted cos")
        return ours
    assert_same_graph(mine, alignns, atoms)
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
