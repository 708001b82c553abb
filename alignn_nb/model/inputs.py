"""What alignn's model reads: the radial-basis expansions of bond lengths and angle cosines,
the atom feature vectors, and the tensors that enter its first layer.

Nothing here copies alignn: the expansions are the model's own ``RBFExpansion`` modules
(``edge_embedding[0]`` and ``angle_embedding[0]`` of ``ALIGNNAtomWise`` and
``ALIGNNAtomWisePure``, built as ``RBFExpansion(vmin=0, vmax=8.0,
bins=edge_input_features)`` and ``RBFExpansion(vmin=-1, vmax=1.0,
bins=triplet_input_features)``), and the first layer's inputs are caught with a forward
pre-hook while alignn's forward pass runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from alignn_nb.model.forward import GraphsLike, model_graphs, run


def edge_rbf(model: torch.nn.Module) -> torch.nn.Module:
    """The model's own ``RBFExpansion`` of bond lengths (Å): ``edge_input_features`` bins."""
    return model.edge_embedding[0]


def angle_rbf(model: torch.nn.Module) -> torch.nn.Module:
    """The model's own ``RBFExpansion`` of bond-angle cosines: ``triplet_input_features`` bins."""
    return model.angle_embedding[0]


def rbf_centers(rbf: torch.nn.Module) -> np.ndarray:
    """(bins,) float64 centre of each bin, in the expanded quantity's unit."""
    return rbf.centers.detach().cpu().numpy().astype(np.float64)


def expand(rbf: torch.nn.Module, values: Any) -> np.ndarray:
    """(n, bins) float64: alignn's expansion exp(-γ (value - centre)²) of each value.

    Args:
        rbf: an ``RBFExpansion`` (`edge_rbf`, `angle_rbf`).
        values: a number or a sequence of n numbers (Å for bonds, a cosine for angles).
    """
    tensor = torch.as_tensor(np.atleast_1d(np.asarray(values, dtype=np.float32)))
    with torch.no_grad():
        return rbf(tensor).cpu().numpy().astype(np.float64)


def strongest_bin(rbf: torch.nn.Module, value: float) -> int:
    """The index (from 0) of the bin that responds most to ``value``."""
    return int(np.argmax(expand(rbf, value)[0]))


@dataclass(frozen=True)
class Tensor:
    """One tensor the model reads: where it lives, its shape and what it holds."""

    name: str
    shape: tuple[int, ...]
    meaning: str


@dataclass(frozen=True)
class ModelInputs:
    """The tensors of one structure on their way into alignn's model.

    Attributes:
        graph: what the graphs carry: ``g.ndata["atom_features"]`` (N, F),
            ``g.edata["r"]`` (E, 3) in Å and ``lg.edata["h"]`` (T,) cosines.
        embedded: what the embeddings make of them, each row hidden_features wide.
        layer: the first layer the pre-hook caught (``alignn_layers[0]`` or
            ``gcn_layers[0]``), or empty for a model without layers.
        layer_inputs: the tensors that layer received, as alignn passed them.
    """

    graph: tuple[Tensor, ...]
    embedded: tuple[Tensor, ...]
    layer: str
    layer_inputs: tuple[Tensor, ...]

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every tensor's name and shape, in the order data flows."""
        return {t.name: t.shape for t in (*self.graph, *self.embedded, *self.layer_inputs)}


def _first_layer(model: torch.nn.Module) -> tuple[str, torch.nn.Module | None]:
    if len(model.alignn_layers):
        return "alignn_layers[0]", model.alignn_layers[0]
    if len(model.gcn_layers):
        return "gcn_layers[0]", model.gcn_layers[0]
    return "", None


def _caught_inputs(name: str, args: tuple) -> tuple[Tensor, ...]:
    """The tensors among a layer's positional arguments: x, y (and z for an ALIGNN layer)."""
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    meanings = {
        "x": "atom features after the atom embedding, one row per atom",
        "y": "bond features after the edge embedding, one row per bond",
        "z": "angle features after the angle embedding, one row per triplet",
    }
    return tuple(
        Tensor(f"{name} {label}", tuple(t.shape), meanings[label])
        for label, t in zip("xyz", tensors, strict=False)
    )


_EMBEDDED = (
    ("edge RBF", "each bond length on the edge_input_features bins"),
    ("angle RBF", "each cosine on the triplet_input_features bins"),
    ("atom embedding", "the atom features after alignn's MLP"),
)


def model_inputs(model: torch.nn.Module, graphs: GraphsLike) -> ModelInputs:
    """Run alignn's forward pass on ``graphs`` and report the tensors entering the model,
    leaving its expansions and entering its first layer, all caught by hooks on alignn's
    own modules while it runs (so every shape is what alignn made)."""
    g, lg = model_graphs(model, graphs)
    name, layer = _first_layer(model)
    outputs: dict[str, tuple[int, ...]] = {}
    caught: list[tuple] = []
    handles = [
        module.register_forward_hook(_output_recorder(label, outputs))
        for label, module in _embedding_modules(model).items()
    ]
    if layer is not None:
        handles.append(layer.register_forward_pre_hook(_input_recorder(caught)))
    try:
        run(model, graphs, {"calculate_gradient": False})
    finally:
        for handle in handles:
            handle.remove()
    atom = g.ndata["atom_features"]
    embedded = tuple(
        Tensor(label, outputs[label], meaning) for label, meaning in _EMBEDDED if label in outputs
    )
    return ModelInputs(
        graph=(
            Tensor('g.ndata["atom_features"]', tuple(atom.shape), "atom feature vectors"),
            Tensor('g.edata["r"]', tuple(g.edata["r"].shape), "bond vectors in Å"),
            Tensor('lg.edata["h"]', tuple(lg.edata["h"].shape), "bond-angle cosines"),
        ),
        embedded=embedded,
        layer=name,
        layer_inputs=_caught_inputs(name, caught[0]) if caught else (),
    )


def _embedding_modules(model: torch.nn.Module) -> dict[str, torch.nn.Module]:
    """The expansions (first module of each embedding) and the atom embedding."""
    return {
        "edge RBF": edge_rbf(model),
        "angle RBF": angle_rbf(model),
        "atom embedding": model.atom_embedding,
    }


def _output_recorder(label: str, outputs: dict[str, tuple[int, ...]]) -> Any:
    def record(module: torch.nn.Module, args: tuple, output: torch.Tensor) -> None:
        outputs.setdefault(label, tuple(output.shape))

    return record


def _input_recorder(caught: list[tuple]) -> Any:
    def record(module: torch.nn.Module, args: tuple) -> None:
        if not caught:
            caught.append(args)

    return record
