"""A dataset's graphs, cached, and batched the way alignn's loader batches them; the loss's
forward pass on a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch

from alignn_nb.config import LINE_GRAPH_FIELDS, ALIGNNAtomWiseConfig, GraphConfig, is_pure
from alignn_nb.datasets import Dataset, Sample
from alignn_nb.graphs import ByteCache
from alignn_nb.model import num_atoms, run

#: Memory guard for one batch, in (triplets + edges) × hidden_features: about 2 GB of
#: activations for alignn's forward pass with forces (measured ≈ 150 bytes per unit).
BATCH_BUDGET = 12_000_000


def _build_graphs(sample: Sample, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> Any:
    """The crystal graph and line graph of one sample: the single place graphs are built.

    `alignn_nb.graphs.build.build_graphs` re-makes alignn's graphs, with the model config's
    inner_cutoff, lighten_edges and backtracking shaping the line graph.
    """
    from alignn_nb.graphs import build_graphs

    return build_graphs(sample.atoms, cfg, graph)


CACHE_BYTES = 256 * 2**20
"""Most bytes (256 MiB, estimated with `CrystalGraphs.nbytes`) the cache of datasets'
graphs holds; the least recently used go first, and a dataset's graphs larger than this
are never kept."""
_CACHE = ByteCache()
"""Each dataset's graphs, under its fingerprint and the graph-relevant settings."""


def _graph_key(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> tuple:
    return tuple(graph.to_dict().items()) + tuple((f, getattr(cfg, f)) for f in LINE_GRAPH_FIELDS)


def dataset_graphs(dataset: Dataset, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> list[Any]:
    """Each sample's graphs, cached by the dataset's content and graph-relevant settings."""
    key = (dataset.fingerprint, _graph_key(cfg, graph))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    built = [_build_graphs(sample, cfg, graph) for sample in dataset]
    _CACHE.put(key, built, sum(item.nbytes for item in built), CACHE_BYTES)
    return built


@dataclass(frozen=True, eq=False)
class Batch:
    """Samples batched the way alignn's loader does: ``dgl.batch`` of g and lg (or alignn's
    ``batch_torch_graph_pairs`` for the pure model), lattices stacked to (B, 3, 3) float32 Å."""

    samples: tuple[Sample, ...]
    g: Any
    lg: Any
    lattice: torch.Tensor

    def __repr__(self) -> str:
        return f"Batch({len(self.samples)} structures, {self.num_atoms} atoms)"

    @property
    def num_atoms(self) -> int:
        """Atoms in the whole batch."""
        return num_atoms(self.g)

    @cached_property
    def natoms(self) -> torch.Tensor:
        """Atoms per structure, shape (B,)."""
        return torch.tensor([s.natoms for s in self.samples])

    def has(self, target: str) -> torch.Tensor:
        """Which structures carry ``target``, shape (B,) bool."""
        return torch.tensor([s.targets.has(target) for s in self.samples], dtype=torch.bool)

    def stacked(self, target: str, per_atom: bool) -> torch.Tensor:
        """The target of the structures that carry it, concatenated (per_atom) or stacked."""
        arrays = [getattr(s.targets, target) for s in self.samples if s.targets.has(target)]
        if per_atom:
            return torch.tensor(np.concatenate(arrays), dtype=torch.float32)
        return torch.tensor(np.stack(arrays), dtype=torch.float32)


def _cost(item: Any, cfg: ALIGNNAtomWiseConfig) -> int:
    """A structure's memory cost: (triplets, if ALIGNN layers read them, plus edges) × width."""
    triplets = len(item.triplets) if cfg.alignn_layers else 0
    return (triplets + len(item.edges)) * cfg.hidden_features


def _spans(costs: Sequence[int], batch_size: int | None, budget: int) -> list[range]:
    """Consecutive index ranges: of ``batch_size`` (checked against ``budget``), or, for
    None, as few as fit the budget (a structure over it alone gets its own batch)."""
    if batch_size is not None:
        spans = [
            range(i, min(i + batch_size, len(costs))) for i in range(0, len(costs), batch_size)
        ]
        worst = max(spans, key=lambda span: sum(costs[i] for i in span))
        over = sum(costs[i] for i in worst)
        if len(worst) > 1 and over > budget:
            fits = max(1, len(worst) * budget // over)
            raise ValueError(
                f"a batch of {batch_size} structures costs {over:,} (triplets + edges) × "
                f"hidden_features, over the memory guard of {budget:,} (about 2 GB of "
                f"activations); use batch_size {fits} or fewer"
            )
        return spans
    spans, start, total = [], 0, 0
    for index, cost in enumerate(costs):
        if index > start and total + cost > budget:
            spans.append(range(start, index))
            start, total = index, 0
        total += cost
    return [*spans, range(start, len(costs))]


def make_batches(
    dataset: Dataset,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    batch_size: int | None = None,
    budget: int = BATCH_BUDGET,
) -> list[Batch]:
    """The dataset in order, in batches of ``batch_size`` structures.

    With None, the whole dataset is one batch when it fits the memory guard ``budget``
    ((triplets + edges) × hidden_features, about 2 GB at the default), else as few
    consecutive batches as fit.

    Raises:
        ValueError: for an empty dataset, a batch_size below 1, or batches of
            ``batch_size`` that exceed ``budget`` (the message suggests a size that fits).
    """
    if len(dataset) == 0:
        raise ValueError("the dataset is empty")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    graphs = dataset_graphs(dataset, cfg, graph)
    spans = _spans([_cost(item, cfg) for item in graphs], batch_size, budget)
    batches = []
    for span in spans:
        g, lg = _batched([graphs[i] for i in span], cfg)
        lattice = torch.stack([torch.as_tensor(graphs[i].lattice) for i in span]).float()
        batches.append(Batch(tuple(dataset.samples[i] for i in span), g, lg, lattice))
    return batches


def _batched(items: Sequence[Any], cfg: ALIGNNAtomWiseConfig) -> tuple[Any, Any]:
    """(g, lg) of several structures as the chosen model reads them."""
    if is_pure(cfg):
        from alignn.torch_graph_builder import batch_torch_graph_pairs

        return batch_torch_graph_pairs([(item.torch_g, item.torch_lg) for item in items])
    import dgl

    return dgl.batch([item.g for item in items]), dgl.batch([item.lg for item in items])


def check_inputs(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> None:
    """Refuse configs alignn's forward pass cannot run on a plain dataset.

    Raises:
        ValueError: when atom_input_features does not fit atom_features, or when
            extra_features asks for per-structure features the dataset does not have.
    """
    from alignn_nb.config import atom_feature_length

    length = atom_feature_length(graph.atom_features)
    if cfg.atom_input_features != length:
        raise ValueError(
            f"atom_input_features is {cfg.atom_input_features} but {graph.atom_features!r} "
            f"vectors have length {length}: alignn's model cannot read these graphs"
        )
    if cfg.extra_features:
        raise ValueError(
            f"extra_features is {cfg.extra_features} but the dataset has no per-structure "
            "extra features for alignn to read"
        )


def forward(
    model: torch.nn.Module,
    batch: Batch,
    switches: dict[str, Any] | None = None,
) -> dict[str, torch.Tensor]:
    """alignn's forward pass on ``batch``; returns its result dict (out, grad, stresses, …).

    ``switches`` temporarily set fields of the model's own config (e.g. turning stress on
    to measure it); they are restored afterwards. The batch's graphs are not modified.
    When no layer and no penalty reads the bonds, alignn's force autograd fails; forces
    and stress are then exactly zero and are returned as zeros (see
    `alignn_nb.model.forward.run`). alignn's shape errors become a ValueError saying so.
    """
    try:
        return run(model, batch, switches).result
    except RuntimeError as failure:
        message = str(failure).strip().splitlines()[0]
        raise ValueError(f"alignn's forward pass failed for this config: {message}") from None
