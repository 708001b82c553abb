"""The crystal graph and line graph that alignn's ``ALIGNNAtomWise`` consumes.

`build_graphs` reproduces alignn 2026.8.11's ``Graph.atom_dgl_multigraph`` edge multiset
(k-nearest or radius_graph, see `alignn_nb.graphs.neighbors`; pure_torch, see
`alignn_nb.graphs.pure_torch`), then enumerates the bond pairs of the line graph with
numpy. The index arrays (`Edges`, `Triplets`) are the result; the DGL graphs and alignn's
``TorchGraph`` objects are made from them on first access, so everything else works
without DGL.

alignn's pure_torch builder makes its line graph differently from DGL's: only bonds of
length ≤ ``three_body_cutoff`` join triplets (when it is below the cutoff; every bond
is still a line-graph node), and a bond from an atom to its own periodic image is
paired with itself.

Line-graph options of alignn-nb (alignn itself always keeps every pair):

* ``backtracking=False`` drops the triplet u→v→u where the second bond is the reverse
  of the first (w == u through the opposite image);
* ``lighten_edges=True`` keeps only triplets whose two bonds are both ≤ ``inner_cutoff``
  (|r| of the float32 bond vectors, in Å); the line graph keeps one node per bond.

A budget guard estimates the triplet count before anything large is allocated and
refuses graphs above ``budget`` triplets with `GraphBudgetError`.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from dataclasses import dataclass, replace
from typing import Any

import ase
import numpy as np
import torch

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import neighbors as _neighbors
from alignn_nb.graphs import pure_torch as _pure_neighbors
from alignn_nb.graphs.cache import ByteCache, array_bytes
from alignn_nb.structures.loading import load_structure

DEFAULT_TRIPLET_BUDGET = 2_000_000
"""Largest number of line-graph edges (triplets) built unless the caller allows more."""
EDGE_BYTES = 128
"""Approximate memory per bond: index, image and vector arrays plus the DGL graph's copy."""
TRIPLET_BYTES = 72
"""Approximate memory per triplet: pair indices, cosine, flag, DGL's copy, temporaries."""
KNN_DEGREE_FACTOR = 1.25
"""Mean bonds per atom over max_neighbors for k-nearest: mirroring and ties add ~25 %."""
MIN_PAIR_LIMIT = 1_000_000
"""The neighbour search may hold at least this many candidate pairs, whatever the budget."""
CACHE_BYTES = 256 * 2**20
"""Most bytes (256 MiB, estimated from their arrays) the neighbour-search and line-graph
caches hold together; the least recently used entries go first, and an entry larger
than this is never kept."""


class GraphBudgetError(ValueError):
    """A graph would exceed the triplet budget; ``estimate`` holds the counts and bytes."""

    def __init__(self, message: str, estimate: dict[str, Any]) -> None:
        super().__init__(message)
        self.estimate = estimate


@dataclass(frozen=True, eq=False)
class Edges:
    """Directed bonds of the atom graph, in alignn's multiset.

    Attributes:
        src, dst: (E,) int64 atom indices; bond e points src[e] -> dst[e].
        images: (E, 3) int64 true periodic image of dst relative to src.
        r: (E, 3) float32 bond vectors src -> dst in Å (``g.edata["r"]``).
        alignn_images: (E, 3) int64 what alignn stores in ``g.edata["images"]``; for
            k-nearest both directions of a bond carry the forward bond's image.
    """

    src: np.ndarray
    dst: np.ndarray
    images: np.ndarray
    r: np.ndarray
    alignn_images: np.ndarray

    def __len__(self) -> int:
        return len(self.src)

    @functools.cached_property
    def lengths(self) -> np.ndarray:
        """(E,) float32 bond lengths |r| in Å, exactly as alignn's model computes them."""
        return bond_lengths32(self.r)


@dataclass(frozen=True, eq=False)
class Triplets:
    """Bond pairs sharing an atom: e1 = (u -> v), e2 = (v -> w), as line-graph edges.

    Attributes:
        e1, e2: (T,) int64 edge indices into `Edges`.
        cos: (T,) float32 cosine of the angle u-v-w, as alignn's ``compute_bond_cosines``.
        backtracking: (T,) bool, True where e2 is the reverse of e1 (w == u, opposite image).
    """

    e1: np.ndarray
    e2: np.ndarray
    cos: np.ndarray
    backtracking: np.ndarray

    def __len__(self) -> int:
        return len(self.e1)


@dataclass(frozen=True)
class _LineGraphOptions:
    """How triplets are chosen; three_body_cutoff (Å) and self_pairs are pure_torch's rules."""

    inner_cutoff: float
    lighten_edges: bool
    backtracking: bool
    budget: int
    three_body_cutoff: float | None = None
    self_pairs: bool = False

    def joining(self, edges: Edges) -> np.ndarray:
        """Indices of the bonds that may join triplets before alignn-nb's own filters."""
        if self.three_body_cutoff is None:
            return np.arange(len(edges))
        return np.flatnonzero(edges.lengths <= self.three_body_cutoff)


def _options(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, budget: int) -> _LineGraphOptions:
    """The line-graph rules of ``graph``'s builder plus alignn-nb's lighten/backtracking."""
    if graph.neighbor_strategy != "pure_torch":
        return _LineGraphOptions(cfg.inner_cutoff, cfg.lighten_edges, cfg.backtracking, budget)
    tbc = graph.triplet_cutoff()
    if tbc > graph.cutoff:
        raise ValueError(
            f"three_body_cutoff ({tbc:g} Å) must be <= cutoff ({graph.cutoff:g} Å): alignn's "
            "pure_torch builder refuses a triplet cutoff beyond the bond cutoff"
        )
    limit = tbc if tbc < graph.cutoff else None
    return _LineGraphOptions(
        cfg.inner_cutoff, cfg.lighten_edges, cfg.backtracking, budget, limit, True
    )


@dataclass(frozen=True, eq=False)
class _Neighbors:
    """A cached neighbour search: geometry, edges, alignn's notes and its wall time (s)."""

    geometry: _neighbors.Geometry
    edges: Edges
    cutoff_used: float
    notes: tuple[str, ...]
    seconds: float


class CrystalGraphs:
    """One structure's crystal graph and line graph, as arrays and as DGL graphs.

    Attributes:
        atoms: the structure the graphs were built from (a copy).
        edges: the bonds (`Edges`).
        triplets: the line-graph edges actually in ``lg`` (`Triplets`).
        lattice: (3, 3) float64 tensor of cell vectors in Å, as alignn passes the model.
        stats: counts, degrees, cutoff used, timing, bytes and notes (see `build_graphs`).
    """

    def __init__(
        self,
        atoms: ase.Atoms,
        neighbors: _Neighbors,
        triplets: Triplets,
        node_features: np.ndarray,
        options: _LineGraphOptions,
        stats: dict[str, Any],
    ) -> None:
        self.atoms = atoms
        self.edges = neighbors.edges
        self.triplets = triplets
        self.lattice = torch.tensor(neighbors.geometry.lattice, dtype=torch.float64)
        self.stats = stats
        self._geometry = neighbors.geometry
        self._node_features = node_features
        self._options = options
        self._g: Any = None
        self._lg: Any = None
        self._torch: tuple[Any, Any] | None = None

    @property
    def g(self) -> Any:
        """The DGL atom graph: ndata atom_features, frac_coords, V; edata r, images."""
        if self._g is None:
            self._g = self._make_g()
        return self._g

    @property
    def lg(self) -> Any:
        """The DGL line graph: one node per bond (ndata r, images shared with g), edata h."""
        if self._lg is None:
            self._lg = self._make_lg()
        return self._lg

    @property
    def torch_g(self) -> Any:
        """alignn's ``TorchGraph`` of the atoms, with the same data as `g` (no DGL needed).

        Graphs of the pure_torch strategy also carry the atomic numbers ``Z``, as alignn's
        pure_torch builder stores them (its pure model's ZBL term reads them).
        """
        return self._torch_pair()[0]

    @property
    def torch_lg(self) -> Any:
        """alignn's ``TorchGraph`` of the line graph: nodes are bonds, edges are triplets."""
        return self._torch_pair()[1]

    def _node_data(self) -> dict[str, torch.Tensor]:
        geom = self._geometry
        data = {
            "atom_features": _tensor(self._node_features, np.float32),
            "frac_coords": _tensor(geom.frac, np.float32),
            "V": _tensor(np.full(geom.n_atoms, self._volume32()), np.float32),
        }
        if self.stats["neighbor_strategy"] == "pure_torch":
            data["Z"] = _tensor(self.atoms.numbers, np.int64)
        return data

    def _volume32(self) -> float:
        """Cell volume in Å³; for pure_torch as alignn's builder takes it (float32 det)."""
        if self.stats["neighbor_strategy"] != "pure_torch":
            return self._geometry.volume
        return float(torch.linalg.det(torch.tensor(self._geometry.lattice, dtype=torch.float32)))

    def _edge_data(self) -> dict[str, torch.Tensor]:
        return {
            "r": _tensor(self.edges.r, np.float32),
            "images": _tensor(self.edges.alignn_images, np.float32),
        }

    def _torch_pair(self) -> tuple[Any, Any]:
        if self._torch is None:
            from alignn.torch_graph_builder import TorchGraph

            edges, trip = self.edges, self.triplets
            edata = self._edge_data()
            g = TorchGraph(
                num_nodes=self._geometry.n_atoms,
                src=_tensor(edges.src),
                dst=_tensor(edges.dst),
                ndata=self._node_data(),
                edata=edata,
            )
            lg = TorchGraph(
                num_nodes=len(edges),
                src=_tensor(trip.e1),
                dst=_tensor(trip.e2),
                ndata=dict(edata),
                edata={"h": _tensor(trip.cos, np.float32)},
            )
            self._torch = (g, lg)
        return self._torch

    def _make_g(self) -> Any:
        edges, geom = self.edges, self._geometry
        g = _dgl_graph(edges.src, edges.dst, geom.n_atoms)
        for key, value in self._node_data().items():
            g.ndata[key] = value
        for key, value in self._edge_data().items():
            g.edata[key] = value
        return g

    def _make_lg(self) -> Any:
        g, trip = self.g, self.triplets
        lg = _dgl_graph(trip.e1, trip.e2, len(self.edges))
        lg.ndata["r"] = g.edata["r"]
        lg.ndata["images"] = g.edata["images"]
        lg.edata["h"] = _tensor(trip.cos, np.float32)
        return lg

    @property
    def nbytes(self) -> int:
        """Estimated bytes: the arrays (bonds, triplets, features, geometry, atoms) twice,
        since the DGL or torch graphs made from them on first use copy most of them."""
        held = (self.edges, self.triplets, self._node_features, self._geometry)
        return 2 * array_bytes(*held, self.atoms.arrays)

    def candidate_triplets(
        self, centers: np.ndarray | list[int] | None = None
    ) -> tuple[Triplets, np.ndarray, np.ndarray]:
        """Every triplet centred on ``centers`` (the shared atom v), before filtering.

        Args:
            centers: atom indices; None for all atoms.

        Returns:
            (triplets, kept, within_inner): all candidate bond pairs around those atoms;
            (T,) bool masks of those present in ``lg`` and of those whose two bonds are
            both ≤ inner_cutoff.

        Raises:
            GraphBudgetError: if there are more candidates than the build's budget.
            ValueError: for an atom index out of range.
        """
        n = self._geometry.n_atoms
        mask = np.ones(n, dtype=bool)
        if centers is not None:
            index = np.asarray(centers, dtype=np.int64).reshape(-1)
            if len(index) and (index.min() < 0 or index.max() >= n):
                raise ValueError(f"center atoms must be in 0..{n - 1}, got {index.tolist()}")
            mask = np.zeros(n, dtype=bool)
            mask[index] = True
        edges, opts = self.edges, self._options
        every = opts.joining(edges)
        total = _count_pairs(edges.src, edges.dst, n, every, mask, opts.self_pairs)
        if total > opts.budget:
            estimate = {"candidate_triplets": total, "bytes": total * TRIPLET_BYTES}
            raise GraphBudgetError(
                f"{total:,} candidate triplets around {int(mask.sum())} atoms exceed the "
                f"budget of {opts.budget:,}; pick fewer center atoms",
                estimate,
            )
        e1, e2 = _pairs_sharing_atom(edges.src, edges.dst, n, every, mask, opts.self_pairs)
        trip = _triplets(edges, e1, e2)
        inner = edges.lengths <= opts.inner_cutoff
        within = inner[e1] & inner[e2]
        kept = np.ones(len(e1), dtype=bool)
        if opts.lighten_edges:
            kept &= within
        if not opts.backtracking:
            kept &= ~trip.backtracking
        return trip, kept, within

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"CrystalGraphs({self.atoms.get_chemical_formula()}: {s['atoms']} atoms, "
            f"{s['edges']:,} edges, {s['triplets']:,} triplets, {s['neighbor_strategy']} "
            f"cutoff {s['cutoff_used']:g} Å, {s['build_seconds'] * 1e3:.1f} ms)"
        )


def _tensor(array: np.ndarray, dtype: type | None = None) -> torch.Tensor:
    """A torch tensor owning a writable copy of ``array`` (numpy copies, no torch kernel)."""
    return torch.from_numpy(np.array(array, dtype=dtype, copy=True))


def _dgl_graph(src: np.ndarray, dst: np.ndarray, num_nodes: int) -> Any:
    """The graph ``dgl.graph((src, dst), num_nodes=num_nodes)`` makes, in the same formats.

    ``dgl.graph`` first scans both index arrays with ``torch.max`` to infer the node
    count. The count is known here, and skipping that parallel torch kernel keeps torch's
    thread pool idle: on a busy machine such a kernel can wait a whole scheduler slice.
    """
    from dgl import DGLGraph, heterograph_index

    index = heterograph_index.create_unitgraph_from_coo(
        1, num_nodes, num_nodes, _tensor(src), _tensor(dst), ["coo", "csr", "csc"], False, False
    )
    return DGLGraph(index, ["_N"], ["_E"])


_CACHE = ByteCache()
"""Neighbour searches under ``("neighbors", key)`` and line graphs (triplets and their
counts) under ``("line graph", key)``, within `CACHE_BYTES`."""


def clear_cache() -> None:
    """Forget every cached neighbour search and line graph."""
    _CACHE.clear()


def _keep(key: tuple, value: Any, nbytes: int) -> None:
    _CACHE.put(key, value, nbytes, CACHE_BYTES)


def fingerprint(atoms: ase.Atoms) -> str:
    """A digest of the atomic numbers, positions, cell and pbc flags (exact bytes)."""
    digest = hashlib.blake2b(digest_size=16)
    for array, dtype in (
        (atoms.numbers, np.int64),
        (atoms.get_positions(), np.float64),
        (atoms.get_cell().array, np.float64),
        (atoms.get_pbc(), np.bool_),
    ):
        digest.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    return digest.hexdigest()


def _neighbor_key(atoms_key: str, graph: GraphConfig) -> tuple:
    """The fields alignn's chosen neighbour strategy reads, and nothing else."""
    if graph.neighbor_strategy == "k-nearest":
        return (atoms_key, "k-nearest", graph.cutoff, graph.max_neighbors, graph.use_canonize)
    if graph.neighbor_strategy == "pure_torch":
        return (atoms_key, "pure_torch", graph.cutoff, graph.max_neighbors)
    return (atoms_key, "radius_graph", graph.cutoff, graph.cutoff_extra)


def _density_degree(n: int, volume: float | None, radius: float) -> float:
    """Expected neighbours per atom within ``radius`` Å at the mean density."""
    if volume is None:
        return float(max(n - 1, 0))
    return min(n / volume * 4.0 / 3.0 * math.pi * radius**3, 1e12)


def estimate(
    atoms: Any, cfg: ALIGNNAtomWiseConfig | None = None, graph: GraphConfig | None = None
) -> dict[str, Any]:
    """Pre-build estimate of the graph's size from the atom count and mean density.

    Returns:
        dict with ``atoms``, ``edges``, ``edges_within_inner_cutoff``, ``triplets`` (the
        line-graph edges that would be enumerated: all bond pairs, or only those within
        inner_cutoff when lighten_edges is on) and ``bytes``. Counts are rough: ties,
        vacuum and cutoff growth move them.
    """
    cfg = cfg or ALIGNNAtomWiseConfig()
    graph = graph or GraphConfig()
    atoms = atoms if isinstance(atoms, ase.Atoms) else load_structure(atoms)
    n = len(atoms)
    det = abs(float(np.linalg.det(np.asarray(atoms.get_cell(), dtype=float))))
    volume = det if det > 1e-9 else None
    degree = _density_degree(n, volume, graph.cutoff)
    k = graph.max_neighbors
    if graph.neighbor_strategy == "k-nearest" and k is not None:
        chosen = k if volume is not None else min(k, max(n - 1, 0))
        degree = chosen * KNN_DEGREE_FACTOR if volume is not None else float(chosen)
    if graph.neighbor_strategy == "pure_torch" and k is not None:
        degree = min(degree, float(k))
    inner_degree = min(degree, _density_degree(n, volume, cfg.inner_cutoff))
    used = inner_degree if cfg.lighten_edges else degree
    if graph.neighbor_strategy == "pure_torch" and graph.three_body_cutoff is not None:
        used = min(used, _density_degree(n, volume, graph.three_body_cutoff))
    edges = n * degree
    triplets = n * used * used
    return {
        "atoms": n,
        "edges": round(edges),
        "edges_within_inner_cutoff": round(n * inner_degree),
        "triplets": round(triplets),
        "bytes": round(edges * EDGE_BYTES + triplets * TRIPLET_BYTES),
    }


def _refusal(
    found: dict[str, Any], cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, budget: int, how: str
) -> str:
    """The budget message: the estimate and the fields that lower it."""
    lighten = (
        f"lower inner_cutoff (now {cfg.inner_cutoff:g} Å)"
        if cfg.lighten_edges
        else f"turn lighten_edges on (keeps only bonds ≤ inner_cutoff, now {cfg.inner_cutoff:g} Å)"
    )
    k = "" if graph.neighbor_strategy == "radius_graph" else " or max_neighbors"
    return (
        f"Graph too large: {how} {found['triplets']:,} triplets (line-graph edges) and "
        f"{found['edges']:,} edges, about {found['bytes'] / 1e9:.2f} GB, for "
        f"{found['atoms']:,} atoms with {graph.neighbor_strategy} at cutoff {graph.cutoff:g} Å"
        f" and max_neighbors {graph.max_neighbors}; the budget is {budget:,} triplets. "
        f"Lower cutoff{k}, {lighten}, or raise the budget."
    )


def build_graphs(
    atoms: Any,
    cfg: ALIGNNAtomWiseConfig | None = None,
    graph: GraphConfig | None = None,
    *,
    budget: int | None = None,
) -> CrystalGraphs:
    """alignn's crystal graph and line graph for ``atoms``, with statistics.

    Args:
        atoms: anything `load_structure` reads (usually an ``ase.Atoms``).
        cfg: the model config; inner_cutoff, lighten_edges and backtracking shape ``lg``.
        graph: the graph config (cutoff, max_neighbors, neighbor_strategy, ...).
        budget: most triplets to build (default `DEFAULT_TRIPLET_BUDGET`).

    ``stats`` holds: atoms, edges, triplets, candidate_triplets, backtracking_triplets
    (u→v→u pairs among the candidates), triplets_removed_by_backtracking,
    edges_within_inner_cutoff, triplets_within_inner_cutoff,
    triplets_removed_by_lighten_edges, degree_min / degree_mean / degree_max (bonds
    leaving each atom), cutoff and cutoff_used (Å), the graph options, build_seconds,
    neighbor_seconds, bytes (index arrays and features), neighbor_search_cached,
    line_graph_cached, periodic and notes (plain-English remarks on alignn's rules).

    Raises:
        GraphBudgetError: when the estimated or counted triplets exceed the budget.
        ValueError: for a structure `load_structure` refuses.
    """
    start = time.perf_counter()
    cfg = cfg or ALIGNNAtomWiseConfig()
    graph = graph or GraphConfig()
    budget = DEFAULT_TRIPLET_BUDGET if budget is None else int(budget)
    if budget < 0:
        raise ValueError(f"budget must be a number of triplets >= 0, got {budget}")
    atoms = load_structure(atoms)
    options = _options(cfg, graph, budget)
    key = _neighbor_key(fingerprint(atoms), graph)
    neighbors = _CACHE.get(("neighbors", key))
    neighbor_cached = neighbors is not None
    if neighbors is None:
        guess = estimate(atoms, cfg, graph)
        if guess["triplets"] > budget:
            raise GraphBudgetError(_refusal(guess, cfg, graph, budget, "about"), guess)
        neighbors = _search(atoms, graph, max(budget, MIN_PAIR_LIMIT), cfg, budget)
        # the bond lengths, which every line graph reads, are counted with the search
        _keep(("neighbors", key), neighbors, array_bytes(neighbors, neighbors.edges.lengths))
    line_key = (key, replace(options, budget=0))  # the budget is checked on every call
    cached_line = _CACHE.get(("line graph", line_key))
    if cached_line is None:
        counts = _line_graph_counts(neighbors, options)
        _check_budget(counts, neighbors, options, cfg, graph)
        triplets, counts = _line_graph(neighbors, options, counts)
        _keep(("line graph", line_key), (triplets, counts), array_bytes(triplets))
    else:
        triplets, counts = cached_line
        _check_budget(counts, neighbors, options, cfg, graph)
    features = node_features(neighbors.geometry.symbols, graph.atom_features)
    stats = _stats(neighbors, triplets, counts, features, graph, cfg, options)
    stats["neighbor_search_cached"] = neighbor_cached
    stats["line_graph_cached"] = cached_line is not None
    stats["build_seconds"] = time.perf_counter() - start
    return CrystalGraphs(atoms, neighbors, triplets, features, options, stats)


def _search(
    atoms: ase.Atoms,
    graph: GraphConfig,
    pair_limit: int,
    cfg: ALIGNNAtomWiseConfig,
    budget: int,
) -> _Neighbors:
    """Run alignn's neighbour rules; a search too big for memory becomes a budget error."""
    start = time.perf_counter()
    geom = _neighbors.geometry_from_ase(atoms)
    try:
        if graph.neighbor_strategy == "k-nearest":
            found = _neighbors.knn_edges(
                geom, graph.cutoff, graph.max_neighbors, graph.use_canonize, pair_limit
            )
        elif graph.neighbor_strategy == "pure_torch":
            found = _pure_neighbors.pure_torch_edges(
                geom, graph.cutoff, graph.max_neighbors, pair_limit
            )
        else:
            found = _neighbors.radius_edges(geom, graph.cutoff, graph.cutoff_extra, pair_limit)
    except _neighbors.PairLimitError as exc:
        guess = estimate(atoms, cfg, graph)
        message = f"{exc} {_refusal(guess, cfg, graph, budget, 'about')}"
        raise GraphBudgetError(message, guess) from exc
    edges = Edges(
        src=_frozen(found.src.astype(np.int64)),
        dst=_frozen(found.dst.astype(np.int64)),
        images=_frozen(found.images.astype(np.int64).reshape(-1, 3)),
        r=_frozen(found.r.astype(np.float32).reshape(-1, 3)),
        alignn_images=_frozen(found.alignn_images.astype(np.int64).reshape(-1, 3)),
    )
    return _Neighbors(
        geometry=geom,
        edges=edges,
        cutoff_used=found.cutoff_used,
        notes=(*geom.notes, *found.notes),
        seconds=time.perf_counter() - start,
    )


def _frozen(array: np.ndarray) -> np.ndarray:
    """``array`` made read-only, so cached results cannot be changed in place."""
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


@functools.cache
def _feature_vector(symbol: str, atom_features: str) -> tuple[float, ...]:
    from jarvis.core.specie import get_node_attributes

    return tuple(float(x) for x in get_node_attributes(symbol, atom_features=atom_features))


def node_features(symbols: tuple[str, ...], atom_features: str) -> np.ndarray:
    """(N, F) float32 jarvis feature vectors of each atom, as alignn's ``atom_features``."""
    rows = [_feature_vector(s, atom_features) for s in symbols]
    width = len(_feature_vector("H", atom_features))
    return np.array(rows, dtype=np.float32).reshape(len(symbols), width)


def _count_pairs(
    src: np.ndarray,
    dst: np.ndarray,
    n: int,
    edge_ids: np.ndarray,
    centers: np.ndarray | None,
    self_pairs: bool = False,
) -> int:
    """How many ordered pairs of edges (among ``edge_ids``) share an atom.

    A pair is (e1, e2) with dst[e1] == src[e2]; ``centers`` (a (N,) bool mask) restricts
    the shared atom. Like DGL's line graph, an edge is never paired with itself, unless
    ``self_pairs`` (alignn's pure_torch line graph pairs a self-image bond with itself).
    """
    s, d = src[edge_ids], dst[edge_ids]
    outdeg = np.bincount(s, minlength=n)
    at_center = np.ones(len(edge_ids), dtype=bool) if centers is None else centers[d]
    loops = 0 if self_pairs else int(np.count_nonzero((s == d) & at_center))
    return int(outdeg[d[at_center]].sum()) - loops


def _pairs_sharing_atom(
    src: np.ndarray,
    dst: np.ndarray,
    n: int,
    edge_ids: np.ndarray,
    centers: np.ndarray | None,
    self_pairs: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(e1, e2) for every pair `_count_pairs` counts, ordered as DGL's ``line_graph``.

    Vectorised: edges are grouped by source atom, and each e1 is repeated once per
    edge leaving its destination.
    """
    s, d = src[edge_ids], dst[edge_ids]
    by_source = np.argsort(s, kind="stable")
    outdeg = np.bincount(s, minlength=n)
    first_out = np.cumsum(outdeg) - outdeg
    first = np.arange(len(edge_ids)) if centers is None else np.flatnonzero(centers[d])
    counts = outdeg[d[first]]
    e1 = np.repeat(first, counts)
    step = np.arange(len(e1)) - np.repeat(np.cumsum(counts) - counts, counts)
    e2 = by_source[np.repeat(first_out[d[first]], counts) + step]
    if self_pairs:
        return edge_ids[e1], edge_ids[e2]
    distinct = e1 != e2
    return edge_ids[e1[distinct]], edge_ids[e2[distinct]]


def _triplets(edges: Edges, e1: np.ndarray, e2: np.ndarray) -> Triplets:
    """Cosines and backtracking flags for bond pairs (e1, e2)."""
    back = edges.dst[e2] == edges.src[e1]
    returning = np.flatnonzero(back)
    back[returning] = np.all(edges.images[e2[returning]] == -edges.images[e1[returning]], axis=1)
    return Triplets(
        e1=_frozen(e1),
        e2=_frozen(e2),
        cos=_frozen(bond_cosines(edges.r, e1, e2)),
        backtracking=_frozen(back),
    )


def bond_lengths32(r: np.ndarray) -> np.ndarray:
    """(E,) float32 |r| in Å, rounded as torch's CPU ``torch.norm(r, dim=1)`` rounds.

    torch accumulates the squares with fused multiply-adds; each step here is exact in
    float64 and then rounded to float32, which reproduces it.
    """
    x = r.astype(np.float64)
    total = (x[:, 0] * x[:, 0]).astype(np.float32)
    total = (x[:, 1] * x[:, 1] + total).astype(np.float32)
    total = (x[:, 2] * x[:, 2] + total).astype(np.float32)
    return np.sqrt(total)


def bond_cosines(r: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """(T,) float32 cosine of the angle u-v-w for bonds e1 = u->v and e2 = v->w.

    alignn's ``compute_bond_cosines`` in float32: ``sum(-r1 * r2) / (|r1| |r2|)``
    clamped to [-1, 1], with r (E, 3) in Å. Computed in numpy, which keeps torch's
    thread pool out of the build.
    """
    lengths = bond_lengths32(r)
    columns = np.ascontiguousarray(r.T)
    negated = -columns
    dot = negated[0][e1] * columns[0][e2]
    dot += negated[1][e1] * columns[1][e2]
    dot += negated[2][e1] * columns[2][e2]
    cos = dot / (lengths[e1] * lengths[e2])
    return np.minimum(np.maximum(cos, -1, out=cos), 1, out=cos)


def _reverse_counts(edges: Edges, edge_ids: np.ndarray, n: int) -> np.ndarray:
    """(len(edge_ids),) how many edges among ``edge_ids`` are each one's reverse."""
    if len(edge_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    src, dst, img = edges.src[edge_ids], edges.dst[edge_ids], edges.images[edge_ids]
    rows, codes = _neighbors._image_codes(np.concatenate([img, -img]))
    forward = (src * n + dst) * len(rows) + codes[: len(src)]
    backward = (dst * n + src) * len(rows) + codes[len(src) :]
    keys, counts = np.unique(forward, return_counts=True)
    where = np.clip(np.searchsorted(keys, backward), 0, len(keys) - 1)
    return np.where(keys[where] == backward, counts[where], 0)


def _line_graph_counts(neighbors: _Neighbors, options: _LineGraphOptions) -> dict[str, int]:
    """Bond-pair counts from the degrees alone, before any triplet is allocated."""
    edges = neighbors.edges
    n = neighbors.geometry.n_atoms
    joining = options.joining(edges)
    inner = joining[edges.lengths[joining] <= options.inner_cutoff]
    pairs = options.self_pairs
    candidates = _count_pairs(edges.src, edges.dst, n, joining, None, pairs)
    within = _count_pairs(edges.src, edges.dst, n, inner, None, pairs)
    return {
        "edges_within_three_body_cutoff": len(joining),
        "candidate_triplets": candidates,
        "edges_within_inner_cutoff": len(inner),
        "triplets_within_inner_cutoff": within,
        "triplets_removed_by_lighten_edges": candidates - within if options.lighten_edges else 0,
    }


def _check_budget(
    counts: dict[str, int],
    neighbors: _Neighbors,
    options: _LineGraphOptions,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
) -> None:
    """Refuse when the bond pairs to enumerate exceed the budget."""
    key = "triplets_within_inner_cutoff" if options.lighten_edges else "candidate_triplets"
    enumerated = counts[key]
    if enumerated <= options.budget:
        return
    edges = len(neighbors.edges)
    found = {
        "atoms": neighbors.geometry.n_atoms,
        "edges": edges,
        "triplets": enumerated,
        "bytes": edges * EDGE_BYTES + enumerated * TRIPLET_BYTES,
    }
    raise GraphBudgetError(_refusal(found, cfg, graph, options.budget, "exactly"), found)


def _line_graph(
    neighbors: _Neighbors, options: _LineGraphOptions, counts: dict[str, int]
) -> tuple[Triplets, dict[str, int]]:
    """The line-graph triplets after lighten_edges and backtracking, with all counts."""
    edges = neighbors.edges
    n = neighbors.geometry.n_atoms
    every = options.joining(edges)
    used = every[edges.lengths[every] <= options.inner_cutoff] if options.lighten_edges else every
    e1, e2 = _pairs_sharing_atom(edges.src, edges.dst, n, used, None, options.self_pairs)
    triplets = _triplets(edges, e1, e2)
    back = (
        int(_reverse_counts(edges, every, n).sum())
        if options.lighten_edges
        else int(np.count_nonzero(triplets.backtracking))
    )
    removed = 0
    if not options.backtracking:
        removed = int(np.count_nonzero(triplets.backtracking))
        keep = ~triplets.backtracking
        triplets = Triplets(
            e1=_frozen(triplets.e1[keep]),
            e2=_frozen(triplets.e2[keep]),
            cos=_frozen(triplets.cos[keep]),
            backtracking=_frozen(triplets.backtracking[keep]),
        )
    return triplets, {
        **counts,
        "backtracking_triplets": back,
        "triplets_removed_by_backtracking": removed,
    }


def _line_graph_notes(edges: Edges, options: _LineGraphOptions) -> list[str]:
    """Where alignn's line graph (DGL's, or its pure_torch builder's) may surprise."""
    notes = []
    if options.three_body_cutoff is not None:
        joining = len(options.joining(edges))
        notes.append(
            f"{joining} of {len(edges)} bonds are ≤ three_body_cutoff "
            f"{options.three_body_cutoff:g} Å and join triplets; every bond is still a "
            "line-graph node, as in alignn's pure_torch builder."
        )
    loops = int(np.count_nonzero(edges.src == edges.dst))
    if loops and options.self_pairs:
        notes.append(
            f"{loops} bonds join an atom to its own periodic image; alignn's pure_torch line "
            "graph pairs each with itself (a straight angle, cosine -1)."
        )
    elif loops:
        notes.append(
            f"{loops} bonds join an atom to its own periodic image; DGL's line graph never "
            "pairs a bond with itself, so the straight triplet i → i+n → i+2n along each of "
            "them is absent."
        )
    return notes


def _stats(
    neighbors: _Neighbors,
    triplets: Triplets,
    counts: dict[str, int],
    features: np.ndarray,
    graph: GraphConfig,
    cfg: ALIGNNAtomWiseConfig,
    options: _LineGraphOptions,
) -> dict[str, Any]:
    edges = neighbors.edges
    n = neighbors.geometry.n_atoms
    degree = np.bincount(edges.src, minlength=n)
    arrays = (
        edges.src,
        edges.dst,
        edges.images,
        edges.r,
        edges.alignn_images,
        triplets.e1,
        triplets.e2,
        triplets.cos,
        triplets.backtracking,
        features,
    )
    return {
        "atoms": n,
        "edges": len(edges),
        "triplets": len(triplets),
        **counts,
        "degree_min": int(degree.min()) if n else 0,
        "degree_mean": float(degree.mean()) if n else 0.0,
        "degree_max": int(degree.max()) if n else 0,
        "neighbor_strategy": graph.neighbor_strategy,
        "cutoff": graph.cutoff,
        "cutoff_used": neighbors.cutoff_used,
        "max_neighbors": graph.max_neighbors,
        "use_canonize": graph.use_canonize,
        "three_body_cutoff": options.three_body_cutoff,
        "inner_cutoff": cfg.inner_cutoff,
        "lighten_edges": cfg.lighten_edges,
        "backtracking": cfg.backtracking,
        "periodic": neighbors.geometry.periodic,
        "neighbor_seconds": neighbors.seconds,
        "bytes": int(sum(a.nbytes for a in arrays)),
        "notes": [*neighbors.notes, *_line_graph_notes(edges, options)],
    }
