"""alignn's own graph builder, as a reference for tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class AlignnGraphs:
    """Graphs from alignn's own builder, in the shape `predict` takes.

    DGL graphs, or alignn ``TorchGraph`` objects from its pure_torch builder without DGL.
    """

    g: Any
    lg: Any
    lattice: torch.Tensor


def alignn_graphs(atoms: Any, graph: Any) -> AlignnGraphs:
    """alignn's `Graph.atom_dgl_multigraph` for an `ase.Atoms` and a `GraphConfig`.

    three_body_cutoff is passed as the graph config holds it (None: the cutoff), as
    alignn's training passes its config's value.
    """
    from alignn.graphs import Graph
    from jarvis.core.atoms import ase_to_atoms

    jatoms = ase_to_atoms(atoms)
    g, lg = Graph.atom_dgl_multigraph(
        jatoms,
        neighbor_strategy=graph.neighbor_strategy,
        cutoff=graph.cutoff,
        max_neighbors=graph.max_neighbors,
        atom_features=graph.atom_features,
        use_canonize=graph.use_canonize,
        cutoff_extra=graph.cutoff_extra,
        three_body_cutoff=graph.three_body_cutoff,
        compute_line_graph=True,
    )
    return AlignnGraphs(g=g, lg=lg, lattice=torch.tensor(jatoms.lattice_mat))
