"""alignn's forward pass, written once for `predict` and for the loss terms.

`model_input` assembles the tuple alignn's forward unpacks from the graphs and the lattice;
`run` calls the model with temporary config switches and, for a model whose energy
ignores the bonds (no layer, no penalty, no ZBL), returns the exact zero forces and stress
of `zero_forces` instead of letting alignn's autograd call fail. Outputs alignn did not
compute (it returns a one-element placeholder tensor for them) are left out of the result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from alignn_nb.config.rules import is_pure
from alignn_nb.model.physics import energy_ignores_bonds, num_atoms, zbl_active


class GraphsLike(Protocol):
    """What `predict` needs: a crystal graph, its line graph and the 3×3 lattice (Å).

    ``g`` and ``lg`` are DGL graphs or alignn ``TorchGraph`` objects; alignn-nb's
    `CrystalGraphs` offers both.
    """

    @property
    def g(self) -> Any: ...

    @property
    def lg(self) -> Any: ...

    @property
    def lattice(self) -> torch.Tensor: ...


def torch_graph_pair(g: Any, lg: Any) -> tuple[Any, Any]:
    """``(g, lg)`` as alignn ``TorchGraph`` objects whose bond vectors r are the model's own.

    alignn's pure model marks ``g.edata["r"]`` as requiring gradients in place, so it gets
    a fresh copy of r (shared by g's edata and lg's ndata, as alignn's builder shares
    them); everything else is shared with the caller's graphs. DGL graphs are wrapped
    with alignn's ``torchgraph_from_dgl``.
    """
    from alignn.torch_graph_builder import TorchGraph, torchgraph_from_dgl

    g = g if isinstance(g, TorchGraph) else torchgraph_from_dgl(g)
    lg = lg if isinstance(lg, TorchGraph) else torchgraph_from_dgl(lg)
    r = g.edata["r"].detach().clone()
    return (
        dataclasses.replace(g, edata={**g.edata, "r": r}),
        dataclasses.replace(lg, ndata={**lg.ndata, "r": r}),
    )


def model_input(model: torch.nn.Module, g: Any, lg: Any, lattice: torch.Tensor) -> tuple:
    """What alignn's forward unpacks, on private copies of what it writes into.

    The pure model always takes (g, lg, lattice) as ``TorchGraph`` objects. The DGL model
    takes (g, lattice) when it has no ALIGNN layers, else (g, lg, lattice), as DGL graphs
    (local views, since it writes features into them). Either way the bond vectors r
    (E, 3) in Å are a fresh copy, shared by g's edges and lg's nodes, since alignn marks
    them as requiring gradients in place; ``lattice`` is (3, 3) or (B, 3, 3) in Å.
    """
    if is_pure(model):
        tg, tlg = torch_graph_pair(g, lg)
        return (tg, tlg, lattice)
    g = g.local_var()
    g.edata["r"] = g.edata["r"].detach().clone()
    if len(model.alignn_layers) == 0:
        return (g, lattice)
    lg = lg.local_var()
    lg.ndata["r"] = g.edata["r"]
    return (g, lg, lattice)


def model_graphs(model: torch.nn.Module, graphs: GraphsLike) -> tuple[Any, Any]:
    """The ``(g, lg)`` pair ``model`` reads: TorchGraphs for the pure model, else DGL graphs."""
    return pure_graphs(graphs) if is_pure(model) else (graphs.g, graphs.lg)


def pure_graphs(graphs: Any) -> tuple[Any, Any]:
    """The ``(g, lg)`` pair the pure model reads: alignn-nb's TorchGraphs when offered."""
    if hasattr(graphs, "torch_g"):
        return graphs.torch_g, graphs.torch_lg
    return graphs.g, graphs.lg


def zero_forces(natoms: int, structures: int, stress: bool) -> dict[str, torch.Tensor]:
    """What a model whose energy ignores the bonds returns for forces and stress: zeros.

    ``grad`` (natoms, 3) in eV/Å and, when ``stress`` is on, ``stresses`` (structures, 3, 3)
    in GPa. alignn's own autograd call raises for such a model.
    """
    zeros = {"grad": torch.zeros(natoms, 3)}
    if stress:
        zeros["stresses"] = torch.zeros(structures, 3, 3)
    return zeros


@dataclass(frozen=True)
class Forward:
    """One forward pass: alignn's result dict (out, grad, stresses, …) and how it was made.

    ``gradients``: alignn computed forces (and stress) by autograd; ``zeroed``: forces were
    asked for but the energy ignores the bonds, so they (and stress) are `zero_forces`.
    """

    result: dict[str, torch.Tensor]
    gradients: bool
    zeroed: bool


def run(
    model: torch.nn.Module, graphs: GraphsLike, switches: dict[str, Any] | None = None
) -> Forward:
    """alignn's forward pass on one structure's graphs or a batch's.

    ``switches`` temporarily set fields of the model's own config (e.g. turning stress on
    to measure it); they are restored afterwards. The graphs are not modified. Autograd
    is on when forces are computed, or when the caller has it on (training).
    """
    conf = model.config
    changes = dict(switches or {})
    saved = {name: getattr(conf, name) for name in changes}
    saved.setdefault("calculate_gradient", conf.calculate_gradient)
    g, lg = model_graphs(model, graphs)
    try:
        for name, value in changes.items():
            setattr(conf, name, value)
        zeroed = bool(conf.calculate_gradient) and energy_ignores_bonds(conf, zbl_active(model, g))
        gradients = bool(conf.calculate_gradient) and not zeroed
        conf.calculate_gradient = gradients
        with torch.set_grad_enabled(torch.is_grad_enabled() or gradients):
            result = model(model_input(model, g, lg, graphs.lattice))
        stress = conf.stresswise_weight != 0
        made = _computed(conf, gradients or zeroed, stress)
    finally:
        for name, value in saved.items():
            setattr(conf, name, value)
    result = {key: value for key, value in result.items() if made.get(key, True)}
    if zeroed:
        lattice = graphs.lattice
        structures = 1 if lattice.dim() == 2 else len(lattice)
        result = {**result, **zero_forces(num_atoms(g), structures, stress)}
    return Forward(result, gradients, zeroed)


def _computed(conf: Any, forces: bool, stress: bool) -> dict[str, bool]:
    """Which of alignn's optional outputs its forward computed under ``conf``; it returns
    ``torch.empty(1)`` for the others, which `run` leaves out of the result."""
    return {
        "grad": forces,
        "stresses": forces and stress,
        "atomwise_pred": conf.atomwise_output_features > 0 and conf.atomwise_weight != 0,
        "additional": conf.additional_output_features > 0,
    }
