"""`CrystalGraphs`: one structure's graphs as index arrays, and as DGL graphs or alignn
``TorchGraph`` objects made from them on first access (numpy index arrays become torch
tensors and DGL graphs without DGL's own scans).
"""

from __future__ import annotations

from typing import Any

import ase
import numpy as np
import torch

from alignn_nb.graphs.arrays import NeighborSearch, Triplets, make_triplets
from alignn_nb.graphs.budget import TRIPLET_BYTES, GraphBudgetError
from alignn_nb.graphs.cache import array_bytes
from alignn_nb.graphs.line_graph import LineGraphOptions, count_pairs, pairs_sharing_atom


def tensor(array: np.ndarray, dtype: type | None = None) -> torch.Tensor:
    """A torch tensor owning a writable copy of ``array`` (numpy copies, no torch kernel)."""
    return torch.from_numpy(np.array(array, dtype=dtype, copy=True))


def dgl_graph(src: np.ndarray, dst: np.ndarray, num_nodes: int) -> Any:
    """The graph ``dgl.graph((src, dst), num_nodes=num_nodes)`` makes, in the same formats.

    ``dgl.graph`` first scans both index arrays with ``torch.max`` to infer the node
    count. The count is known here, and skipping that parallel torch kernel keeps torch's
    thread pool idle: on a busy machine such a kernel can wait a whole scheduler slice.
    """
    from dgl import DGLGraph, heterograph_index

    index = heterograph_index.create_unitgraph_from_coo(
        1, num_nodes, num_nodes, tensor(src), tensor(dst), ["coo", "csr", "csc"], False, False
    )
    return DGLGraph(index, ["_N"], ["_E"])


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
        neighbors: NeighborSearch,
        triplets: Triplets,
        node_features: np.ndarray,
        options: LineGraphOptions,
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
            "atom_features": tensor(self._node_features, np.float32),
            "frac_coords": tensor(geom.frac, np.float32),
            "V": tensor(np.full(geom.n_atoms, self._volume32()), np.float32),
        }
        if self.stats["neighbor_strategy"] == "pure_torch":
            data["Z"] = tensor(self.atoms.numbers, np.int64)
        return data

    def _volume32(self) -> float:
        """Cell volume in Å³; for pure_torch as alignn's builder takes it (float32 det)."""
        if self.stats["neighbor_strategy"] != "pure_torch":
            return self._geometry.volume
        return float(torch.linalg.det(torch.tensor(self._geometry.lattice, dtype=torch.float32)))

    def _edge_data(self) -> dict[str, torch.Tensor]:
        return {
            "r": tensor(self.edges.r, np.float32),
            "images": tensor(self.edges.alignn_images, np.float32),
        }

    def _torch_pair(self) -> tuple[Any, Any]:
        if self._torch is None:
            from alignn.torch_graph_builder import TorchGraph

            edges, trip = self.edges, self.triplets
            edata = self._edge_data()
            g = TorchGraph(
                num_nodes=self._geometry.n_atoms,
                src=tensor(edges.src),
                dst=tensor(edges.dst),
                ndata=self._node_data(),
                edata=edata,
            )
            lg = TorchGraph(
                num_nodes=len(edges),
                src=tensor(trip.e1),
                dst=tensor(trip.e2),
                ndata=dict(edata),
                edata={"h": tensor(trip.cos, np.float32)},
            )
            self._torch = (g, lg)
        return self._torch

    def _make_g(self) -> Any:
        edges, geom = self.edges, self._geometry
        g = dgl_graph(edges.src, edges.dst, geom.n_atoms)
        for key, value in self._node_data().items():
            g.ndata[key] = value
        for key, value in self._edge_data().items():
            g.edata[key] = value
        return g

    def _make_lg(self) -> Any:
        g, trip = self.g, self.triplets
        lg = dgl_graph(trip.e1, trip.e2, len(self.edges))
        lg.ndata["r"] = g.edata["r"]
        lg.ndata["images"] = g.edata["images"]
        lg.edata["h"] = tensor(trip.cos, np.float32)
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
        total = count_pairs(edges.src, edges.dst, n, every, mask, opts.self_pairs)
        if total > opts.budget:
            estimate = {"candidate_triplets": total, "bytes": total * TRIPLET_BYTES}
            raise GraphBudgetError(
                f"{total:,} candidate triplets around {int(mask.sum())} atoms exceed the "
                f"budget of {opts.budget:,}; pick fewer center atoms",
                estimate,
            )
        e1, e2 = pairs_sharing_atom(edges.src, edges.dst, n, every, mask, opts.self_pairs)
        trip = make_triplets(edges, e1, e2)
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
