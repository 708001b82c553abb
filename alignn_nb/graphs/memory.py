"""The memory alignn's DGL graphs of a dataset take, from their sizes alone.

alignn's training (``train_alignn.py``, ``use_lmdb`` on by default) builds every
structure's ``(g, lg, lattice, label)`` once, pickles it into an LMDB file and reads the
records back each epoch, so after the first epoch the whole dataset is resident. A
record's bytes are its tensors plus a per-structure overhead:

- per atom: ``atom_features`` (F float32, F from jarvis's feature set), ``V`` and
  ``frac_coords`` (float32; pure_torch graphs hold ``V`` once per structure and add ``Z``,
  int64), and the training targets alignn adds per atom:
  ``atomwise_grad`` (3 float32, with forces) and ``stresses`` (9 float32, with stress,
  the cell's tensor repeated on every atom);
- per bond: DGL's COO source and destination (int64) and ``r`` and ``images`` (3 float32
  each); the line graph shares them as its node data (``line_graph(shared=True)``);
- per triplet: the line graph's COO (int64 × 2) and ``h``, the bond-angle cosine
  (float32);
- per structure: `RECORD_OVERHEAD`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig

FLOAT, INDEX = 4, 8
"""Bytes of alignn's float32 data and of DGL's int64 indices."""
EDGE_BYTES = 2 * INDEX + 3 * FLOAT + 3 * FLOAT
"""Per bond: COO src and dst, ``r`` and ``images``."""
TRIPLET_BYTES = 2 * INDEX + FLOAT
"""Per triplet: the line graph's COO src and dst and ``h``."""
RECORD_OVERHEAD = 24_000
"""Bytes per structure beyond its tensors: the pickled DGL graph objects, the lattice and
label, and LMDB's page rounding (4 KiB pages). Measured with alignn 2026.8.11 and DGL 2.1
on the machine alignn-nb is developed on, from the resident growth of a dataset's held
LMDB records (the JARVIS sample and mlearn Si, several graph configs)."""


@functools.cache
def feature_width(atom_features: str) -> int:
    """Floats per atom of jarvis's ``atom_features`` set (``atomic_number`` 1, ``cgcnn`` 92)."""
    from jarvis.core.specie import get_node_attributes

    return len(get_node_attributes("H", atom_features=atom_features))


def atom_bytes(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> int:
    """Bytes per atom of a held record: features, ``V``, ``frac_coords`` and the targets."""
    forces = bool(cfg.calculate_gradient)
    stress = forces and cfg.stresswise_weight != 0
    floats = feature_width(graph.atom_features) + 3 + 3 * forces + 9 * stress
    if graph.neighbor_strategy == "pure_torch":  # Z (int64); V is one float per structure
        return FLOAT * floats + INDEX
    return FLOAT * (floats + 1)


def record_bytes(atoms: Any, edges: Any, triplets: Any, cfg: ALIGNNAtomWiseConfig,
                 graph: GraphConfig) -> Any:  # fmt: skip
    """Bytes of held records of ``atoms``, ``edges`` and ``triplets`` (alignn's line
    graph) each: numbers or int arrays of one value per structure."""
    per_structure = RECORD_OVERHEAD + FLOAT * (graph.neighbor_strategy == "pure_torch")
    return (
        atom_bytes(cfg, graph) * atoms + EDGE_BYTES * edges + TRIPLET_BYTES * triplets
        + per_structure
    )  # fmt: skip


def graph_memory_bytes(
    rows: Iterable[Mapping[str, int]] | Mapping[str, Any],
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
) -> int:
    """Resident bytes of every structure's alignn graphs held as alignn's training holds them.

    ``rows`` are per-structure ``{atoms, edges, triplets}`` of alignn's graphs (triplets:
    alignn's line graph, every bond pair its builder joins), or those three as columns
    (arrays of one value per structure).
    """
    if isinstance(rows, Mapping):
        atoms, edges, triplets = (
            np.asarray(rows[key], dtype=np.int64) for key in ("atoms", "edges", "triplets")
        )
        return int(np.sum(record_bytes(atoms, edges, triplets, cfg, graph)))
    total = 0
    for row in rows:
        total += int(record_bytes(row["atoms"], row["edges"], row["triplets"], cfg, graph))
    return total
