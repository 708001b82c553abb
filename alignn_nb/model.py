"""Build alignn's own `ALIGNNAtomWise`, count its parameters and run it on a structure.

`to_alignn_model_config` is the one boundary where the traitlets mirror meets alignn's
pydantic config, and `predict` is the one place where alignn's forward-pass quirks are
handled. Nothing here re-implements the model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from alignn_nb.config import ALIGNNAtomWiseConfig

#: Mirror fields that alignn's model config does not have (alignn-nb's line-graph options).
NOT_ALIGNN_MODEL_FIELDS = ("lighten_edges", "backtracking")
#: Fields read when alignn constructs the model: a change needs a new model.
SHAPE_FIELDS = (
    *(
        n
        for n in ALIGNNAtomWiseConfig.field_names()
        if "model shape" in ALIGNNAtomWiseConfig.field_trait(n).metadata["effect"]
    ),
    "link",
)


class GraphsLike(Protocol):
    """What `predict` needs: a DGL crystal graph, its line graph and the 3×3 lattice (Å)."""

    g: Any
    lg: Any
    lattice: torch.Tensor


@dataclass(frozen=True)
class Quantity:
    """A predicted value with its unit; ``value`` is a float or a nested list."""

    value: Any
    unit: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Prediction:
    """The outputs of one forward pass, with units and wall time in seconds."""

    energy: Quantity
    forces: Quantity | None
    stress: Quantity | None
    atomwise: Quantity | None
    additional: Quantity | None
    seconds: float
    penalty: float = 0.0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSummary:
    """Parameter counts of a built model: the total and one row per module."""

    total: int
    trainable: int
    rows: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, int]:
        """Module name to parameter count, in model order."""
        return dict(self.rows)

    def text(self) -> str:
        """A fixed-width table of the rows and the total."""
        width = max([len(name) for name, _ in self.rows] + [5])
        lines = [f"{name:<{width}}  {count:>10,}" for name, count in self.rows]
        lines.append(f"{'total':<{width}}  {self.total:>10,}")
        return "\n".join(lines)


def to_alignn_model_config(cfg: ALIGNNAtomWiseConfig) -> Any:
    """alignn's pydantic `ALIGNNAtomWiseConfig` for the mirror ``cfg`` (a fresh object)."""
    from alignn.models.alignn_atomwise import ALIGNNAtomWiseConfig as AlignnConfig

    values = {k: v for k, v in cfg.to_dict().items() if k not in NOT_ALIGNN_MODEL_FIELDS}
    return AlignnConfig(**values)


def build_model(cfg: ALIGNNAtomWiseConfig) -> torch.nn.Module:
    """alignn's `ALIGNNAtomWise` for ``cfg``, in eval mode.

    alignn switches ``calculate_gradient`` off on its own config when gradwise_weight is 0;
    it gets a fresh pydantic copy, so the mirror is never mutated.
    """
    from alignn.models.alignn_atomwise import ALIGNNAtomWise

    model = ALIGNNAtomWise(to_alignn_model_config(cfg))
    model.eval()
    return model


def reconfigure(model: torch.nn.Module, cfg: ALIGNNAtomWiseConfig) -> None:
    """Give an existing model the forward-pass fields of ``cfg``, keeping its weights.

    alignn's forward reads its config on every call, so forward-only fields (forces,
    stress, penalty, cutoff function) take effect without a rebuild. alignn's own rule
    that gradwise_weight 0 switches calculate_gradient off is applied here as in its
    constructor. Fields that shape the model must match the model's.

    Raises:
        ValueError: naming the shape fields that differ.
    """
    fresh = to_alignn_model_config(cfg)
    differ = [
        n for n in SHAPE_FIELDS if getattr(fresh, n) != getattr(model.config, n)
    ]
    if differ:
        raise ValueError(f"these fields need a new model, not a reconfigured one: {differ}")
    if fresh.gradwise_weight == 0:
        fresh.calculate_gradient = False
    model.config = fresh


def _module_rows(model: torch.nn.Module) -> list[tuple[str, int]]:
    rows = []
    for name, child in model.named_children():
        if isinstance(child, torch.nn.ModuleList):
            rows += [(f"{name}.{i}", _count(layer)) for i, layer in enumerate(child)]
        else:
            rows.append((name, _count(child)))
    return [(name, count) for name, count in rows if count]


def _count(module: torch.nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def model_summary(model: torch.nn.Module) -> ModelSummary:
    """Total and per-module parameter counts (embeddings, each layer, heads)."""
    return ModelSummary(
        total=_count(model), trainable=_count(model, trainable_only=True),
        rows=tuple(_module_rows(model)),
    )


def _quantity(tensor: torch.Tensor, unit: str) -> Quantity:
    detached = tensor.detach().cpu()
    value = detached.item() if detached.numel() == 1 else detached.tolist()
    return Quantity(value=value, unit=unit, shape=tuple(detached.shape))


def _forward_input(model: torch.nn.Module, graphs: GraphsLike) -> tuple:
    """alignn's forward unpacks (g, lattice) when it has no ALIGNN layers, else (g, lg, lattice).

    alignn writes features into the graphs it is given; local views keep the caller's clean.
    """
    if len(model.alignn_layers) == 0:
        return (graphs.g.local_var(), graphs.lattice)
    return (graphs.g.local_var(), graphs.lg.local_var(), graphs.lattice)


def energy_ignores_bonds(conf: Any) -> bool:
    """True when no layer and no penalty reads the bonds, so the energy ignores positions.

    alignn's force autograd then raises instead of returning zero forces.
    """
    return conf.alignn_layers == 0 and conf.gcn_layers == 0 and not conf.use_penalty


def _run(model: torch.nn.Module, graphs: GraphsLike) -> tuple[dict, bool]:
    """alignn's forward pass; returns the result and whether gradients were computed."""
    conf = model.config
    gradients = bool(conf.calculate_gradient) and not energy_ignores_bonds(conf)
    saved = conf.calculate_gradient
    conf.calculate_gradient = gradients
    try:
        with torch.set_grad_enabled(gradients):
            return model(_forward_input(model, graphs)), gradients
    finally:
        conf.calculate_gradient = saved


def _optional(result: dict, key: str, active: bool, unit: str) -> Quantity | None:
    return _quantity(result[key], unit) if active else None


def bond_penalty(conf: Any, g: Any) -> float:
    """alignn's short-bond energy penalty in eV: sum of factor × (threshold − |r|) over bonds."""
    if not conf.use_penalty:
        return 0.0
    lengths = torch.linalg.norm(g.edata["r"].detach().double(), dim=1)
    short = lengths < conf.penalty_threshold
    return float((conf.penalty_factor * (conf.penalty_threshold - lengths[short])).sum())


def _energy(result: dict, conf: Any, natoms: int, penalty: float) -> tuple[Quantity, list[str]]:
    """The energy alignn differentiates for forces, from its raw readout ``out``."""
    out = result["out"]
    if conf.classification:
        return _quantity(out, "log-probability"), ["classification: out holds 2 log-probabilities"]
    if not conf.energy_mult_natoms:
        return _quantity(out, "eV"), ["energy is the raw readout (energy_mult_natoms off)"]
    notes = [f"energy is the per-atom readout times {natoms} atoms (energy_mult_natoms)"]
    if penalty:
        notes.append(f"includes alignn's short-bond penalty of {penalty:.6g} eV")
    return _quantity(out * natoms + penalty, "eV"), notes


def predict(model: torch.nn.Module, graphs: GraphsLike) -> Prediction:
    """Run ``model`` on one structure's graphs.

    Returns the energy alignn differentiates (eV: readout × atoms plus the short-bond
    penalty when energy_mult_natoms is on), forces (eV/Å, shape (N, 3)) when gradients
    are on, stress (GPa, shape (1, 3, 3)) when stresswise_weight > 0, and the atomwise
    and additional heads when active.
    """
    conf = model.config
    start = time.perf_counter()
    result, gradients = _run(model, graphs)
    seconds = time.perf_counter() - start
    natoms = graphs.g.num_nodes()
    penalty = bond_penalty(conf, graphs.g)
    energy, notes = _energy(result, conf, natoms, penalty)
    forces = _optional(result, "grad", gradients, "eV/Å")
    if forces is not None and natoms == 1:
        forces = Quantity([forces.value], "eV/Å", (1, 3))
    stress = _optional(result, "stresses", gradients and conf.stresswise_weight != 0, "GPa")
    if conf.calculate_gradient and not gradients:
        forces = Quantity([[0.0] * 3] * natoms, "eV/Å", (natoms, 3))
        if conf.stresswise_weight != 0:
            stress = Quantity([[[0.0] * 3] * 3], "GPa", (1, 3, 3))
        notes.append(
            "no ALIGNN or GCN layer and no penalty reads the bonds, so the energy ignores "
            "positions: forces are exactly zero (alignn's own autograd call fails here)"
        )
    return Prediction(
        energy=energy,
        forces=forces,
        stress=stress,
        atomwise=_optional(
            result, "atomwise_pred",
            conf.atomwise_output_features > 0 and conf.atomwise_weight != 0, "model units",
        ),
        additional=_optional(
            result, "additional", conf.additional_output_features > 0, "model units"
        ),
        seconds=seconds,
        penalty=penalty,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class AlignnGraphs:
    """Graphs from alignn's own builder, in the shape `predict` takes."""

    g: Any
    lg: Any
    lattice: torch.Tensor


def alignn_graphs(atoms: Any, graph: Any) -> AlignnGraphs:
    """alignn's `Graph.atom_dgl_multigraph` for an `ase.Atoms` and a `GraphConfig`."""
    from alignn.graphs import Graph
    from jarvis.core.atoms import ase_to_atoms

    jatoms = ase_to_atoms(atoms)
    g, lg = Graph.atom_dgl_multigraph(
        jatoms, neighbor_strategy=graph.neighbor_strategy, cutoff=graph.cutoff,
        max_neighbors=graph.max_neighbors, atom_features=graph.atom_features,
        use_canonize=graph.use_canonize, cutoff_extra=graph.cutoff_extra,
        compute_line_graph=True,
    )
    return AlignnGraphs(g=g, lg=lg, lattice=torch.tensor(jatoms.lattice_mat))
