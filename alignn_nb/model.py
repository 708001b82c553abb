"""Build alignn's own model, count its parameters and run it on a structure.

The mirror's ``name`` picks the flavour: alignn's DGL model `ALIGNNAtomWise`
(``alignn_atomwise``) or its pure-torch twin `ALIGNNAtomWisePure`
(``alignn_atomwise_pure``), which takes alignn's ``TorchGraph`` instead of DGL graphs.
`to_alignn_model_config` is the one boundary where the traitlets mirror meets alignn's
pydantic configs, and `predict` / `model_input` are where alignn's forward-pass quirks
are handled. Nothing here re-implements the model.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import torch

from alignn_nb.config import PURE_MODEL, PURE_ONLY_FIELDS, ALIGNNAtomWiseConfig

#: Mirror fields that alignn's model configs do not have (alignn-nb's line-graph options).
NOT_ALIGNN_MODEL_FIELDS = ("lighten_edges", "backtracking")
#: Mirror fields whose name in alignn's model block differs.
ALIGNN_NAMES = {"model_three_body_cutoff": "three_body_cutoff"}
#: Fields read when alignn constructs the model: a change needs a new model.
SHAPE_FIELDS = (
    *(
        n
        for n in ALIGNNAtomWiseConfig.field_names()
        if "model shape" in ALIGNNAtomWiseConfig.field_trait(n).metadata["effect"]
    ),
    "link",
)
#: What the DGL model needs and an environment without DGL lacks.
DGL_MISSING = "DGL is not installed; alignn_atomwise needs it"
#: Attributes alignn's `ALIGNNAtomWisePure` copies from its config when it is constructed,
#: each with the config field it comes from (use_zbl is resolved, see `_pure_attributes`).
_PURE_COPIED = {
    "energy_mult_natoms": bool,
    "use_penalty": bool,
    "penalty_threshold": float,
    "penalty_factor": float,
    "zbl_cutoff": float,
    "use_cutoff_function": bool,
    "multiply_cutoff": bool,
    "inner_cutoff": float,
    "exponent": int,
    "three_body_cutoff": float,
    "grad_multiplier": int,
    "add_reverse_forces": bool,
    "stress_multiplier": float,
}


class MissingDGLError(ValueError):
    """The DGL model was asked for where DGL is not installed."""


@cache
def dgl_installed() -> bool:
    """Whether the ``dgl`` package can be found (it is not imported here)."""
    return importlib.util.find_spec("dgl") is not None


def is_pure(conf: Any) -> bool:
    """True for alignn's pure-torch flavour (a mirror, an alignn config or a model)."""
    conf = getattr(conf, "config", conf)
    return conf.name == PURE_MODEL


class GraphsLike(Protocol):
    """What `predict` needs: a crystal graph, its line graph and the 3×3 lattice (Å).

    ``g`` and ``lg`` are DGL graphs or alignn ``TorchGraph`` objects; alignn-nb's
    `CrystalGraphs` offers both.
    """

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


def alignn_model_block(cfg: ALIGNNAtomWiseConfig) -> dict[str, Any]:
    """The model block alignn reads for ``cfg``: its flavour's fields, in alignn's names.

    The DGL model's block leaves out the pure-only fields; the pure block names
    model_three_body_cutoff ``three_body_cutoff``. Neither has the line-graph options.
    """
    pure = is_pure(cfg)
    return {
        ALIGNN_NAMES.get(name, name): value
        for name, value in cfg.to_dict().items()
        if name not in NOT_ALIGNN_MODEL_FIELDS and (pure or name not in PURE_ONLY_FIELDS)
    }


def to_alignn_model_config(cfg: ALIGNNAtomWiseConfig) -> Any:
    """alignn's pydantic config for the mirror ``cfg`` (a fresh object).

    `ALIGNNAtomWiseConfig` for alignn_atomwise, `ALIGNNAtomWisePureConfig` for
    alignn_atomwise_pure; both import without DGL.

    alignn's configs are pydantic settings, whose constructor also reads the environment
    and costs about a millisecond: the live dashboard would pay it on every edit. So
    alignn validates the first block of each flavour, and later ones are copies of the
    last with the changed values put in. Every value comes from the mirror's strict
    traits, whose types are alignn's; the tests compare both paths on random configs.
    """
    kind = _alignn_config_class(cfg)
    block = alignn_model_block(cfg)
    with _LAST_LOCK:
        last = _LAST_CONFIGS.get(kind)
    if last is None:
        fresh = kind(**block)
    else:
        changed = {key: value for key, value in block.items() if _differs(last, key, value)}
        fresh = last.model_copy(update=changed)
    with _LAST_LOCK:
        _LAST_CONFIGS[kind] = fresh.model_copy()
    return fresh


_LAST_CONFIGS: dict[type, Any] = {}
_LAST_LOCK = threading.Lock()


def _alignn_config_class(cfg: ALIGNNAtomWiseConfig) -> type:
    if is_pure(cfg):
        from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePureConfig

        return ALIGNNAtomWisePureConfig
    from alignn.models.alignn_atomwise import ALIGNNAtomWiseConfig as AlignnConfig

    return AlignnConfig


def _differs(config: Any, key: str, value: Any) -> bool:
    current = getattr(config, key)
    return type(current) is not type(value) or current != value


def shape_changes(before: ALIGNNAtomWiseConfig, after: ALIGNNAtomWiseConfig) -> list[str]:
    """Each field that shapes the model (`SHAPE_FIELDS`, the flavour ``name`` among them)
    and differs between the two configs, as ``"field old → new"``; empty when a model
    built for ``before`` can run ``after``."""
    changes = []
    for name in SHAPE_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append(f"{name} {old!r} → {new!r}")
    return changes


def heads_problem(cfg: ALIGNNAtomWiseConfig) -> str | None:
    """Why alignn's attention layers cannot split hidden_features into num_heads, or None."""
    if not is_pure(cfg) or cfg.conv_type == "alignn" or cfg.alignn_layers + cfg.gcn_layers == 0:
        return None
    if cfg.hidden_features % cfg.num_heads == 0:
        return None
    return (
        f"hidden_features {cfg.hidden_features} is not a multiple of num_heads {cfg.num_heads}: "
        f"alignn's {cfg.conv_type} layers split the features evenly across heads"
    )


_SEED_LOCK = threading.Lock()
"""Seeded builds fork torch's CPU generator, which is process-wide: one at a time."""


def build_model(cfg: ALIGNNAtomWiseConfig, *, seed: int | None = None) -> torch.nn.Module:
    """alignn's `ALIGNNAtomWise` or `ALIGNNAtomWisePure` for ``cfg``, in eval mode.

    alignn switches ``calculate_gradient`` off on its own config when gradwise_weight is 0;
    it gets a fresh pydantic copy, so the mirror is never mutated.

    With a ``seed`` the weights are those ``torch.manual_seed(seed)`` would give, drawn
    from a fork of torch's CPU generator: the caller's random state is left as it was.
    Seeded builds on several threads take turns. (torch draws from the process-wide
    generator meanwhile, so other code drawing random numbers during a seeded build
    shares its stream and finds its own draws undone afterwards.)

    Raises:
        MissingDGLError: for alignn_atomwise where DGL is not installed.
        ValueError: when hidden_features does not split into num_heads attention heads.
    """
    problem = heads_problem(cfg)
    if problem is not None:
        raise ValueError(problem)
    if is_pure(cfg):
        from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePure as Model
    elif not dgl_installed():
        raise MissingDGLError(f"{DGL_MISSING}: choose {PURE_MODEL!r} or install DGL")
    else:
        from alignn.models.alignn_atomwise import ALIGNNAtomWise as Model
    conf = to_alignn_model_config(cfg)
    if seed is None:
        return Model(conf).eval()
    with _SEED_LOCK, torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        return Model(conf).eval()


def resolved_use_zbl(conf: Any) -> bool:
    """Whether alignn's pure model built from ``conf`` has ZBL repulsion switched on.

    use_zbl None means on exactly when forces are computed: calculate_gradient, after
    gradwise_weight 0 has switched it off.
    """
    if conf.use_zbl is not None:
        return bool(conf.use_zbl)
    return bool(conf.calculate_gradient) and conf.gradwise_weight != 0


def _pure_attributes(conf: Any) -> dict[str, Any]:
    """The attributes alignn's pure model sets from ``conf`` in its constructor."""
    values = {name: kind(getattr(conf, name)) for name, kind in _PURE_COPIED.items()}
    return {**values, "use_zbl": resolved_use_zbl(conf)}


def reconfigure(model: torch.nn.Module, cfg: ALIGNNAtomWiseConfig) -> None:
    """Give an existing model the forward-pass fields of ``cfg``, keeping its weights.

    alignn's forward reads its config on every call, so forward-only fields (forces,
    stress, penalty, cutoff function) take effect without a rebuild. alignn's own rule
    that gradwise_weight 0 switches calculate_gradient off is applied here as in its
    constructor. The pure model also copies some fields into attributes when it is
    built (it reads use_zbl and zbl_cutoff from there); those are copied again. Fields
    that shape the model, the flavour among them, must match the model's.

    Raises:
        ValueError: naming the shape fields that differ.
    """
    fresh = to_alignn_model_config(cfg)
    shared = [n for n in SHAPE_FIELDS if hasattr(fresh, n) and hasattr(model.config, n)]
    differ = [n for n in shared if getattr(fresh, n) != getattr(model.config, n)]
    if differ:
        raise ValueError(f"these fields need a new model, not a reconfigured one: {differ}")
    if fresh.gradwise_weight == 0:
        fresh.calculate_gradient = False
    model.config = fresh
    if is_pure(fresh):
        for name, value in _pure_attributes(fresh).items():
            setattr(model, name, value)


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
        total=_count(model),
        trainable=_count(model, trainable_only=True),
        rows=tuple(_module_rows(model)),
    )


def _quantity(tensor: torch.Tensor, unit: str) -> Quantity:
    detached = tensor.detach().cpu()
    value = detached.item() if detached.numel() == 1 else detached.tolist()
    return Quantity(value=value, unit=unit, shape=tuple(detached.shape))


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
    (local views, since it writes features into them).
    """
    if is_pure(model):
        tg, tlg = torch_graph_pair(g, lg)
        return (tg, tlg, lattice)
    if len(model.alignn_layers) == 0:
        return (g.local_var(), lattice)
    return (g.local_var(), lg.local_var(), lattice)


def _forward_input(model: torch.nn.Module, graphs: GraphsLike) -> tuple:
    if is_pure(model):
        return model_input(model, *pure_graphs(graphs), graphs.lattice)
    return model_input(model, graphs.g, graphs.lg, graphs.lattice)


def pure_graphs(graphs: Any) -> tuple[Any, Any]:
    """The ``(g, lg)`` pair the pure model reads: alignn-nb's TorchGraphs when offered."""
    if hasattr(graphs, "torch_g"):
        return graphs.torch_g, graphs.torch_lg
    return graphs.g, graphs.lg


def zbl_active(model: torch.nn.Module, g: Any) -> bool:
    """Whether alignn's pure model adds ZBL repulsion on ``g``.

    It does when its resolved use_zbl is on, forces are computed and the graph carries
    atomic numbers ``Z``, which only alignn's pure_torch builder stores.
    """
    return _zbl_switched_on(model) and "Z" in g.ndata


def _zbl_switched_on(model: torch.nn.Module) -> bool:
    """Whether alignn's pure model would add ZBL repulsion to a graph with atomic numbers."""
    return is_pure(model) and bool(model.use_zbl) and bool(model.config.calculate_gradient)


def energy_ignores_bonds(conf: Any, zbl: bool = False) -> bool:
    """True when no layer, no penalty and no ZBL term reads the bonds.

    The energy then ignores positions, and alignn's force autograd raises instead of
    returning zero forces.
    """
    return conf.alignn_layers == 0 and conf.gcn_layers == 0 and not conf.use_penalty and not zbl


def _run(model: torch.nn.Module, graphs: GraphsLike) -> tuple[dict, bool]:
    """alignn's forward pass; returns the result and whether gradients were computed."""
    conf = model.config
    zbl = zbl_active(model, pure_graphs(graphs)[0]) if is_pure(model) else False
    gradients = bool(conf.calculate_gradient) and not energy_ignores_bonds(conf, zbl)
    saved = conf.calculate_gradient
    conf.calculate_gradient = gradients
    try:
        with torch.set_grad_enabled(gradients):
            return model(_forward_input(model, graphs)), gradients
    finally:
        conf.calculate_gradient = saved


def _optional(result: dict, key: str, active: bool, unit: str) -> Quantity | None:
    return _quantity(result[key], unit) if active else None


def penalised_lengths(conf: Any, r: torch.Tensor) -> torch.Tensor:
    """What alignn compares with penalty_threshold for each bond vector r (E, 3) in Å.

    Normally the bond length in Å. With use_cutoff_function on and multiply_cutoff off,
    alignn's DGL model overwrites the bond lengths with the smooth-cutoff envelope
    (between 0 and 1) before the penalty reads them, so the penalty compares the envelope
    instead; its pure twin keeps the lengths.
    """
    lengths = torch.linalg.norm(r, dim=1)
    if envelope_penalty(conf):
        from alignn.models.alignn_atomwise import cutoff_function_based_edges

        return cutoff_function_based_edges(
            lengths, inner_cutoff=conf.inner_cutoff, exponent=conf.exponent
        )
    return lengths


def envelope_penalty(conf: Any) -> bool:
    """Whether alignn's penalty reads the cutoff envelope instead of the bond lengths."""
    return conf.use_cutoff_function and not conf.multiply_cutoff and not is_pure(conf)


def penalty_in_readout(conf: Any) -> bool:
    """Whether alignn's forward has already added the short-bond penalty to its readout ``out``.

    With energy_mult_natoms off, alignn's DGL model differentiates ``out`` itself and adds
    the penalty to it in place: ``out``, and with it the graphwise loss, then holds the
    penalty of the whole batch, on every structure. Its pure twin adds the penalty to a
    copy, and with energy_mult_natoms on both add it to ``out`` × atoms, leaving ``out`` as is.
    """
    return bool(conf.use_penalty) and not conf.energy_mult_natoms and not is_pure(conf)


def readout_energy(
    out: torch.Tensor, natoms: torch.Tensor | int, conf: Any, batch_penalty: float
) -> torch.Tensor:
    """Each structure's energy from alignn's readout, without the short-bond penalty (eV).

    ``out`` is the readout of a batch, shape (B,); ``batch_penalty`` (eV) is the penalty of
    the whole batch, which `penalty_in_readout` says whether alignn has added to ``out``.
    The result is multiplied by ``natoms`` (B,) when energy_mult_natoms is on. Adding each
    structure's own penalty gives the energy alignn differentiates for that structure.
    """
    bare = out - batch_penalty if penalty_in_readout(conf) else out
    return bare * natoms if conf.energy_mult_natoms else bare


def penalty_per_edge(conf: Any, r: torch.Tensor) -> torch.Tensor:
    """alignn's short-bond penalty of each edge in eV: factor × (threshold − length) below it."""
    values = penalised_lengths(conf, r)
    short = values < conf.penalty_threshold
    return torch.where(short, conf.penalty_factor * (conf.penalty_threshold - values), 0.0)


def bond_penalty(conf: Any, g: Any) -> float:
    """alignn's short-bond energy penalty in eV on the bonds of ``g`` (see `penalty_per_edge`)."""
    if not conf.use_penalty:
        return 0.0
    return float(penalty_per_edge(conf, g.edata["r"].detach().double()).sum())


def zbl_energy(model: torch.nn.Module, g: Any) -> float:
    """alignn's ZBL repulsion in eV that its pure model adds on ``g`` (0 when inactive)."""
    if not zbl_active(model, g):
        return 0.0
    from alignn.models.alignn_atomwise_pure import zbl_edge_energy

    r = g.edata["r"].detach()
    z = g.ndata["Z"].to(r.dtype)
    src, dst = _edge_index(g)
    lengths = torch.linalg.norm(r, dim=1)
    return float(zbl_edge_energy(z[src], z[dst], lengths, model.zbl_cutoff))


def _edge_index(g: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """(src, dst) of a DGL graph or a TorchGraph."""
    return (g.src, g.dst) if hasattr(g, "src") else g.edges()


def num_atoms(g: Any) -> int:
    """Nodes of a DGL graph or a TorchGraph."""
    return g.num_nodes() if callable(g.num_nodes) else int(g.num_nodes)


def _zbl_notes(model: torch.nn.Module, g: Any, zbl: float) -> list[str]:
    """What the pure model's ZBL term did here, in words."""
    if not _zbl_switched_on(model):
        return []
    if "Z" not in g.ndata:
        return [
            "ZBL repulsion is on but not applied: these graphs carry no atomic numbers, which "
            "alignn stores only with its pure_torch builder"
        ]
    return [f"includes alignn's ZBL repulsion of {zbl:.6g} eV"] if zbl else []


def _energy(result: dict, conf: Any, natoms: int, penalty: float) -> tuple[Quantity, list[str]]:
    """The energy alignn differentiates for forces (eV), from its readout ``out``.

    That is the readout (× atoms with energy_mult_natoms) plus the short-bond penalty,
    which alignn's DGL model has already put into ``out`` when energy_mult_natoms is off
    (`penalty_in_readout`). The pure model has already folded its ZBL energy into ``out``
    (per atom).
    """
    out = result["out"]
    if conf.classification:
        return _quantity(out, "log-probability"), ["classification: out holds 2 log-probabilities"]
    energy = readout_energy(out, natoms, conf, penalty) + penalty
    return _quantity(energy, "eV"), _energy_notes(conf, natoms, penalty)


def _energy_notes(conf: Any, natoms: int, penalty: float) -> list[str]:
    if conf.energy_mult_natoms:
        notes = [f"energy is the per-atom readout times {natoms} atoms (energy_mult_natoms)"]
    else:
        notes = ["energy is the per-cell readout (energy_mult_natoms off)"]
    if not penalty:
        return notes
    notes.append(f"includes alignn's short-bond penalty of {penalty:.6g} eV")
    if penalty_in_readout(conf):
        notes.append(
            "alignn's DGL model adds that penalty in place to its readout out, so its graphwise "
            "loss fits readout + penalty to the energy target"
        )
    return notes


def predict(model: torch.nn.Module, graphs: GraphsLike) -> Prediction:
    """Run ``model`` on one structure's graphs.

    Returns the energy alignn differentiates (eV: the readout, × atoms when
    energy_mult_natoms is on, plus the short-bond penalty and the pure model's ZBL
    repulsion), forces (eV/Å, shape (N, 3)) when gradients are on, stress (GPa, shape
    (1, 3, 3)) when stresswise_weight > 0, and the atomwise and additional heads when active.
    """
    conf = model.config
    start = time.perf_counter()
    result, gradients = _run(model, graphs)
    seconds = time.perf_counter() - start
    g = pure_graphs(graphs)[0] if is_pure(model) else graphs.g
    natoms = num_atoms(g)
    penalty = bond_penalty(conf, g)
    energy, notes = _energy(result, conf, natoms, penalty)
    notes += _zbl_notes(model, g, zbl_energy(model, g))
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
            result,
            "atomwise_pred",
            conf.atomwise_output_features > 0 and conf.atomwise_weight != 0,
            "model units",
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
