"""numpy index arrays to torch tensors and DGL graphs, without DGL's own scans."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


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
