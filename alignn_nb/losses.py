"""alignn's training loss for a model on a dataset, decomposed term by term.

This mirrors the loss of ``train_dgl`` in alignn 2026.8.11's ``train.py``:

- the criterion is the mean absolute error (``L1Loss``), or ``NLLLoss`` when the model is a
  classifier; the same criterion is used for every term;
- graphwise: ``graphwise_weight`` × criterion(``out``, energy target). ``out`` is the model's
  readout *before* the atom-count multiplication, so with energy_mult_natoms on it predicts
  eV per atom, otherwise eV per cell (and then, for the DGL model, holds the short-bond
  penalty: see below); the target is taken in that same unit. alignn itself feeds the
  file's number unchanged, so an id_prop file in the other unit gets a note;
- atomwise: ``atomwise_weight`` × criterion(``atomwise_pred``, per-atom target), only when
  atomwise_output_features > 0 and atomwise_weight ≠ 0;
- gradwise: ``gradwise_weight`` × criterion(``grad``, forces), only when gradients are
  calculated (alignn's model switches calculate_gradient off when gradwise_weight is 0);
- stresswise: ``stresswise_weight`` × criterion(``stresses``, stress), only when
  stresswise_weight ≠ 0; the prediction is in GPa (see `alignn_nb.data`);
- additional: ``additional_output_weight`` × criterion(``additional``, target), only when
  additional_output_weight ≠ 0;
- total: the sum.

Each term is the criterion's mean over every element of a batch. Over several batches the
value is the mean of the batch values, as alignn averages them per epoch.

The short-bond penalty (use_penalty) is added by alignn's forward pass to the energy it
differentiates for forces and stress, so it moves the gradwise and stresswise terms. With
energy_mult_natoms off, alignn's DGL model adds it in place to ``out`` itself (see
`alignn_nb.model.penalty_in_readout`), so the graphwise term fits readout + penalty (the
whole batch's, on every structure) to the energy target and the penalty is counted twice;
its pure twin leaves ``out`` alone. The breakdown's notes say so. `Penalty` reports the
penalty separately.

Both model flavours are covered: batches hold DGL graphs for alignn_atomwise and alignn's
``TorchGraph`` objects (batched by alignn's ``batch_torch_graph_pairs``) for
alignn_atomwise_pure, which needs no DGL.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import torch

from alignn_nb._cache import ByteCache
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.data import Dataset, Sample
from alignn_nb.model import (
    build_model,
    energy_ignores_bonds,
    envelope_penalty,
    is_pure,
    model_input,
    num_atoms,
    penalised_lengths,
    penalty_in_readout,
    penalty_per_edge,
    readout_energy,
    zbl_active,
)

TERMS = ("graphwise", "atomwise", "gradwise", "stresswise", "additional")
WEIGHTS = {
    "graphwise": "graphwise_weight",
    "atomwise": "atomwise_weight",
    "gradwise": "gradwise_weight",
    "stresswise": "stresswise_weight",
    "additional": "additional_output_weight",
}
#: The config fields `reweight` may change without a forward pass.
WEIGHT_FIELDS = tuple(WEIGHTS.values())
NO_TARGET = "no target"
#: Memory guard for one batch, in (triplets + edges) × hidden_features: about 2 GB of
#: activations for alignn's forward pass with forces (measured ≈ 150 bytes per unit).
BATCH_BUDGET = 12_000_000
#: Graph-construction fields of the model config (alignn-nb's line-graph options).
LINE_GRAPH_FIELDS = ("inner_cutoff", "lighten_edges", "backtracking")


@dataclass(frozen=True)
class Term:
    """One loss term: its raw error, weight, weighted value and share of the total.

    ``raw`` is the criterion value in ``unit`` (eV/atom or eV, eV/Å, GPa, …), ``weighted``
    is weight × raw, ``share`` is weighted / total. When the term has no value, those three
    are None and ``status`` says why ("no target" when the dataset lacks the target).
    """

    name: str
    weight: float
    raw: float | None = None
    weighted: float | None = None
    share: float | None = None
    unit: str = ""
    samples: int = 0
    status: str = "ok"

    @property
    def ok(self) -> bool:
        """True when the term has a value."""
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        """raw, weight, weighted and share; plus ``status`` when there is no value."""
        values = {
            "raw": self.raw,
            "weight": self.weight,
            "weighted": self.weighted,
            "share": self.share,
        }
        return values if self.ok else {**values, "status": self.status}


@dataclass(frozen=True)
class Penalty:
    """alignn's short-bond penalty over the dataset.

    ``energy`` (eV) is the penalty summed over structures, each on its own;
    ``bonds_below_threshold`` counts graph edges (each direction of a bond) that the
    penalty acts on; ``predicted_energy`` (eV) is the energy alignn differentiates for each
    structure on its own, summed over structures: its readout (× atoms when
    energy_mult_natoms is on) plus its own penalty, counted once even where alignn's readout
    already holds it (see `alignn_nb.model.penalty_in_readout`).
    """

    energy: float
    bonds_below_threshold: int
    predicted_energy: float | None = None

    @property
    def fraction(self) -> float | None:
        """|penalty| / |predicted energy|, or None when there is no predicted energy."""
        if not self.predicted_energy:
            return None
        return abs(self.energy) / abs(self.predicted_energy)

    def as_dict(self) -> dict[str, Any]:
        """The penalty energy (eV) and the number of bonds below the threshold."""
        return {"energy": self.energy, "bonds_below_threshold": self.bonds_below_threshold}


@dataclass(frozen=True)
class LossBreakdown:
    """alignn's loss on a dataset, term by term.

    ``terms`` holds only the terms that apply to the config, in alignn's order; ``measured``
    holds every term the model could produce, so `reweight` can change weights without a
    forward pass; ``config`` is the model config it was computed for (a plain dict).
    """

    terms: dict[str, Term]
    total: float
    penalty: Penalty
    samples: int
    criterion: str
    measured: dict[str, Term] = field(repr=False, default_factory=dict)
    config: dict[str, Any] = field(repr=False, default_factory=dict)
    classification_threshold: float | None = None
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``alignn-nb loss-terms --json``."""
        return {
            "terms": {name: term.as_dict() for name, term in self.terms.items()},
            "total": self.total,
            "penalty": self.penalty.as_dict(),
            "samples": self.samples,
        }

    def text(self) -> str:
        """A fixed-width table: one row per term, the total and the penalty."""
        lines = [
            f"{'term':<11} {'raw':>12} {'unit':<8} {'weight':>8} {'weighted':>12} {'share':>7}"
        ]
        for term in self.terms.values():
            if term.ok:
                lines.append(
                    f"{term.name:<11} {term.raw:>12.6g} {term.unit:<8} {term.weight:>8.4g} "
                    f"{term.weighted:>12.6g} {_percent(term.share):>7}"
                )
            else:
                lines.append(
                    f"{term.name:<11} {'-':>12} {'':<8} {term.weight:>8.4g} {'-':>12} {'':>7}  "
                    f"{term.status}"
                )
        lines.append(f"{'total':<11} {'':>12} {'':<8} {'':>8} {self.total:>12.6g}")
        lines.append(_penalty_line(self.penalty))
        lines.append(f"samples: {self.samples}; criterion: {self.criterion}")
        return "\n".join(lines + [f"note: {note}" for note in self.notes])


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _penalty_line(penalty: Penalty) -> str:
    share = penalty.fraction
    part = f" ({share:.2%} of the predicted energy)" if share is not None else ""
    return (
        f"penalty: {penalty.energy:.6g} eV{part}; "
        f"{penalty.bonds_below_threshold} bonds below penalty_threshold"
    )


# ----------------------------------------------------------------------------- which terms


def applies(name: str, cfg: ALIGNNAtomWiseConfig) -> bool:
    """Whether alignn's train.py adds term ``name`` to the loss for ``cfg``."""
    if name == "graphwise":
        return True
    if name == "atomwise":
        return cfg.atomwise_output_features > 0 and cfg.atomwise_weight != 0
    if name == "gradwise":
        return cfg.calculate_gradient and cfg.gradwise_weight != 0
    if name == "stresswise":
        return cfg.stresswise_weight != 0
    if name == "additional":
        return cfg.additional_output_weight != 0
    raise ValueError(f"unknown loss term {name!r}; terms are {', '.join(TERMS)}")


def _gradients_on(cfg: ALIGNNAtomWiseConfig) -> bool:
    return cfg.calculate_gradient and cfg.gradwise_weight != 0


def _config_problem(name: str, cfg: ALIGNNAtomWiseConfig) -> str | None:
    """Why alignn cannot give term ``name`` a meaningful value for ``cfg``, or None."""
    if cfg.classification and name != "graphwise":
        return "not computable: alignn applies NLLLoss to every term and it needs class labels"
    if name == "atomwise" and cfg.atomwise_output_features == 0:
        return "not computable: atomwise_output_features is 0, so the model has no atomwise head"
    if name == "stresswise" and not _gradients_on(cfg):
        return (
            "not computable: alignn computes stress only with gradients on "
            "(calculate_gradient and gradwise_weight ≠ 0)"
        )
    if name == "additional" and cfg.additional_output_features == 0:
        return "not computable: additional_output_features is 0, so there is no additional head"
    return None


# ----------------------------------------------------------------------------- graphs & batches


def _build_graphs(sample: Sample, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> Any:
    """The crystal graph and line graph of one sample: the single place graphs are built.

    `alignn_nb.graph.build_graphs` re-makes alignn's graphs, with the model config's
    inner_cutoff, lighten_edges and backtracking shaping the line graph.
    """
    from alignn_nb.graph import build_graphs

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


# ----------------------------------------------------------------------------- forward pass


def check_inputs(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> None:
    """Refuse configs alignn's forward pass cannot run on a plain dataset.

    Raises:
        ValueError: when atom_input_features does not fit atom_features, or when
            extra_features asks for per-structure features the dataset does not have.
    """
    from alignn_nb.findings import atom_feature_length

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
    and stress are then exactly zero and are returned as zeros.
    """
    conf = model.config
    changes = dict(switches or {})
    saved = {name: getattr(conf, name) for name in changes}
    saved.setdefault("calculate_gradient", conf.calculate_gradient)
    try:
        for name, value in changes.items():
            setattr(conf, name, value)
        zbl = zbl_active(model, batch.g)
        zero_forces = conf.calculate_gradient and energy_ignores_bonds(conf, zbl)
        if zero_forces:
            conf.calculate_gradient = False
        with torch.set_grad_enabled(torch.is_grad_enabled() or conf.calculate_gradient):
            result = _run_model(model, batch)
        stress_on = conf.stresswise_weight != 0
    finally:
        for name, value in saved.items():
            setattr(conf, name, value)
    return _zero_forces(result, batch, stress_on) if zero_forces else result


def _run_model(model: torch.nn.Module, batch: Batch) -> dict[str, torch.Tensor]:
    """alignn's forward call; its shape errors become a ValueError saying so."""
    try:
        return model(_forward_input(model, batch))
    except RuntimeError as failure:
        message = str(failure).strip().splitlines()[0]
        raise ValueError(f"alignn's forward pass failed for this config: {message}") from None


def _forward_input(model: torch.nn.Module, batch: Batch) -> tuple:
    """(g, lg, lattice), or (g, lattice) without ALIGNN layers, on private feature frames."""
    if is_pure(model):
        return model_input(model, batch.g, batch.lg, batch.lattice)
    g = batch.g.local_var()
    g.edata["r"] = batch.g.edata["r"].detach().clone()
    if len(model.alignn_layers) == 0:
        return (g, batch.lattice)
    lg = batch.lg.local_var()
    lg.ndata["r"] = g.edata["r"]
    return (g, lg, batch.lattice)


def _zero_forces(result: dict, batch: Batch, stress_on: bool) -> dict:
    zeros = {"grad": torch.zeros(batch.num_atoms, 3)}
    if stress_on:
        zeros["stresses"] = torch.zeros(len(batch.samples), 3, 3)
    return {**result, **zeros}


# ----------------------------------------------------------------------------- the terms


@dataclass(frozen=True)
class RawTerm:
    """One term's unweighted criterion value on a batch (a tensor), or why there is none."""

    value: torch.Tensor | None
    unit: str
    samples: int
    status: str = "ok"


def energy_unit(cfg: ALIGNNAtomWiseConfig) -> str:
    """The unit of alignn's readout ``out``: log-probability, eV/atom or eV."""
    if cfg.classification:
        return "nats"
    return "eV/atom" if cfg.energy_mult_natoms else "eV"


def energy_target(batch: Batch, cfg: ALIGNNAtomWiseConfig) -> torch.Tensor:
    """The energy target in the unit of ``out``, for the structures that have one, (B',).

    Samples store eV per cell; with energy_mult_natoms on alignn's forward multiplies
    ``out`` by the atom count to get the energy it differentiates, so ``out`` is eV per atom.
    """
    energies = batch.stacked("energy", per_atom=False)
    if cfg.energy_mult_natoms:
        return energies / batch.natoms[batch.has("energy")].to(energies.dtype)
    return energies


def _criterion(cfg: ALIGNNAtomWiseConfig) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    return torch.nn.NLLLoss() if cfg.classification else torch.nn.L1Loss()


def _graphwise(
    result: dict, batch: Batch, cfg: ALIGNNAtomWiseConfig, threshold: float | None
) -> RawTerm:
    mask = batch.has("energy")
    unit = energy_unit(cfg)
    if not bool(mask.any()):
        return RawTerm(None, unit, 0, NO_TARGET)
    out = result["out"].reshape(len(batch.samples), -1)[mask]
    target = energy_target(batch, cfg)
    if cfg.classification:
        if threshold is None:
            return RawTerm(None, unit, 0, f"{NO_TARGET}: classification needs a threshold")
        return RawTerm(_criterion(cfg)(out, (target > threshold).long()), unit, int(mask.sum()))
    if out.shape[1] != 1:
        return RawTerm(
            None,
            unit,
            0,
            f"not computable: the model predicts {out.shape[1]} "
            "values per structure but the energy target is one number",
        )
    return RawTerm(_criterion(cfg)(out[:, 0], target), unit, int(mask.sum()))


def _per_atom(
    result: dict, key: str, batch: Batch, target: str, unit: str, cfg: ALIGNNAtomWiseConfig
) -> RawTerm:
    mask = batch.has(target)
    if not bool(mask.any()):
        return RawTerm(None, unit, 0, NO_TARGET)
    atom_mask = torch.repeat_interleave(mask, batch.natoms)
    wanted = batch.stacked(target, per_atom=True)
    predicted = result[key].reshape(batch.num_atoms, -1)[atom_mask]
    if predicted.shape != wanted.shape:
        return RawTerm(
            None,
            unit,
            0,
            f"not computable: the prediction has shape "
            f"{tuple(predicted.shape)} but the target {tuple(wanted.shape)}",
        )
    return RawTerm(_criterion(cfg)(predicted, wanted), unit, int(mask.sum()))


def _per_structure(
    result: dict, key: str, batch: Batch, target: str, unit: str, cfg: ALIGNNAtomWiseConfig
) -> RawTerm:
    mask = batch.has(target)
    if not bool(mask.any()):
        return RawTerm(None, unit, 0, NO_TARGET)
    wanted = batch.stacked(target, per_atom=False)
    predicted = result[key]
    if key == "stresses" and predicted.dim() == 2:
        predicted = predicted.expand(len(batch.samples), 3, 3)
    if predicted.numel() != len(batch.samples) * wanted[0].numel():
        return RawTerm(
            None,
            unit,
            0,
            f"not computable: the prediction has shape "
            f"{tuple(predicted.shape)} but each target {tuple(wanted.shape[1:])}",
        )
    predicted = predicted.reshape(len(batch.samples), *wanted.shape[1:])[mask]
    return RawTerm(_criterion(cfg)(predicted, wanted), unit, int(mask.sum()))


def raw_terms(
    result: dict,
    batch: Batch,
    cfg: ALIGNNAtomWiseConfig,
    names: Iterable[str] = TERMS,
    threshold: float | None = None,
) -> dict[str, RawTerm]:
    """The unweighted criterion of each term in ``names`` on one batch, as tensors.

    Terms alignn cannot compute for ``cfg`` get a status instead of a value; samples
    without a target are left out of the mean ("no target" if none has it).
    """
    found = {}
    for name in names:
        problem = _config_problem(name, cfg)
        if problem is not None:
            found[name] = RawTerm(None, "", 0, problem)
        elif name == "graphwise":
            found[name] = _graphwise(result, batch, cfg, threshold)
        elif name == "atomwise":
            found[name] = _per_atom(result, "atomwise_pred", batch, "atomwise", "", cfg)
        elif name == "gradwise":
            found[name] = _per_atom(result, "grad", batch, "forces", "eV/Å", cfg)
        elif name == "stresswise":
            found[name] = _per_structure(result, "stresses", batch, "stress", "GPa", cfg)
        else:
            found[name] = _per_structure(result, "additional", batch, "additional", "", cfg)
    return found


def weighted_loss(raw: dict[str, RawTerm], cfg: ALIGNNAtomWiseConfig) -> torch.Tensor | None:
    """Σ weight × raw over the terms that apply and have a value (None if there are none)."""
    parts = [
        getattr(cfg, WEIGHTS[name]) * term.value
        for name, term in raw.items()
        if applies(name, cfg) and term.value is not None
    ]
    return sum(parts[1:], parts[0]) if parts else None


# ----------------------------------------------------------------------------- penalty


def _penalty(
    batch: Batch,
    cfg: ALIGNNAtomWiseConfig,
    out: torch.Tensor | None,
) -> tuple[float, int, float | None]:
    """Penalty energy (eV), bonds below threshold and predicted energy (eV) of one batch."""
    r = batch.g.edata["r"].detach().double()
    penalty, bonds = 0.0, 0
    if cfg.use_penalty:
        per_edge = penalty_per_edge(cfg, r)
        penalty = float(per_edge.sum())
        bonds = int((penalised_lengths(cfg, r) < cfg.penalty_threshold).sum())
    predicted = None
    if out is not None and not cfg.classification:
        readout = out.detach().double().reshape(len(batch.samples), -1)[:, 0]
        energies = readout_energy(readout, batch.natoms.double(), cfg, penalty)
        predicted = float(energies.sum()) + penalty
    return penalty, bonds, predicted


# ----------------------------------------------------------------------------- the breakdown


def _measure_switches(model: torch.nn.Module, cfg: ALIGNNAtomWiseConfig) -> dict[str, Any]:
    """Model-config switches that make alignn compute every output the model can give.

    They only turn outputs on: forces (calculate_gradient, which alignn turns off when
    gradwise_weight is 0), stress and the atomwise head. No output value depends on them.
    """
    switches: dict[str, Any] = {"calculate_gradient": bool(cfg.calculate_gradient)}
    if cfg.calculate_gradient and cfg.stresswise_weight == 0:
        switches["stresswise_weight"] = 1.0
    if cfg.atomwise_output_features > 0 and cfg.atomwise_weight == 0:
        switches["atomwise_weight"] = 1.0
    return switches


def _measure(
    model: torch.nn.Module,
    batches: Sequence[Batch],
    cfg: ALIGNNAtomWiseConfig,
    threshold: float | None,
) -> tuple[dict[str, Term], Penalty]:
    """Raw values of every term (mean over batches) and the penalty, from forward passes."""
    values: dict[str, list[float]] = {name: [] for name in TERMS}
    first: dict[str, RawTerm] = {}
    samples = dict.fromkeys(TERMS, 0)
    penalty, bonds, predicted = 0.0, 0, 0.0
    switches = _measure_switches(model, cfg)
    for batch in batches:
        with torch.no_grad():
            result = forward(model, batch, switches)
        for name, term in raw_terms(result, batch, _measuring(cfg), TERMS, threshold).items():
            first.setdefault(name, term)
            if term.value is not None:
                values[name].append(float(term.value.detach()))
                samples[name] += term.samples
        energy, count, batch_predicted = _penalty(batch, cfg, result.get("out"))
        penalty, bonds = penalty + energy, bonds + count
        predicted = (
            None if batch_predicted is None or predicted is None else predicted + batch_predicted
        )
    measured = {
        name: Term(
            name, 0.0, float(np.mean(values[name])), unit=first[name].unit, samples=samples[name]
        )
        if values[name]
        else Term(name, 0.0, unit=first[name].unit, status=first[name].status)
        for name in TERMS
    }
    return measured, Penalty(penalty, bonds, predicted)


def _measuring(cfg: ALIGNNAtomWiseConfig) -> ALIGNNAtomWiseConfig:
    """``cfg`` with every weight non-zero, so config problems do not hide a measurable term."""
    trial = cfg.copy()
    trial.update(**{f: 1.0 for f in WEIGHT_FIELDS if getattr(cfg, f) == 0})
    return trial


def _assemble(
    measured: dict[str, Term], cfg: ALIGNNAtomWiseConfig
) -> tuple[dict[str, Term], float]:
    """The applicable terms with ``cfg``'s weights, and their total."""
    terms = {}
    for name in TERMS:
        if not applies(name, cfg):
            continue
        weight = float(getattr(cfg, WEIGHTS[name]))
        base = measured[name]
        problem = _config_problem(name, cfg)
        if problem is not None or not base.ok:
            terms[name] = Term(name, weight, unit=base.unit, status=problem or base.status)
        else:
            terms[name] = Term(
                name, weight, base.raw, weight * base.raw, unit=base.unit, samples=base.samples
            )
    total = sum(t.weighted for t in terms.values() if t.ok)
    shared = {
        name: Term(
            t.name, t.weight, t.raw, t.weighted, _share(t.weighted, total), t.unit, t.samples
        )
        if t.ok
        else t
        for name, t in terms.items()
    }
    return shared, float(total)


def _share(weighted: float, total: float) -> float | None:
    return weighted / total if total else None


def _notes(cfg: ALIGNNAtomWiseConfig, batches: Sequence[Batch], penalty: Penalty) -> list[str]:
    notes = []
    if len(batches) > 1:
        notes.append(f"terms are the mean over {len(batches)} batches, as alignn averages an epoch")
    if cfg.use_penalty and envelope_penalty(cfg):
        notes.append(
            "use_cutoff_function without multiply_cutoff: alignn compares the cutoff envelope "
            "(0 to 1), not the bond length, with penalty_threshold"
        )
    if penalty.bonds_below_threshold and penalty_in_readout(cfg):
        notes.append(
            "energy_mult_natoms is off: alignn's DGL model adds the short-bond penalty in place "
            "to its readout, so the graphwise term fits readout + penalty (the whole batch's, "
            "on every structure) to the energy target; the penalty is counted twice, there "
            "and through the forces and stress"
        )
    if penalty.bonds_below_threshold and any(len(b.samples) > 1 for b in batches):
        notes.append(
            "in a batch alignn adds the whole batch's penalty to every structure's energy, so "
            "its forces count it once per structure in the batch"
        )
    if cfg.stresswise_weight and not cfg.batch_stress and not is_pure(cfg):
        notes.append(
            "batch_stress is off: alignn computes one stress for the whole batch from the first "
            "structure's volume and without stress_multiplier"
        )
    return notes


def decompose(
    model: torch.nn.Module,
    batches: Sequence[Batch],
    cfg: ALIGNNAtomWiseConfig,
    classification_threshold: float | None = None,
) -> LossBreakdown:
    """alignn's loss of ``model`` on prepared ``batches``, term by term, for ``cfg``'s weights."""
    measured, penalty = _measure(model, batches, cfg, classification_threshold)
    terms, total = _assemble(measured, cfg)
    return LossBreakdown(
        terms=terms,
        total=total,
        penalty=penalty,
        samples=sum(len(b.samples) for b in batches),
        criterion="NLLLoss" if cfg.classification else "L1Loss",
        measured=measured,
        config=cfg.to_dict(),
        classification_threshold=classification_threshold,
        notes=tuple(_notes(cfg, batches, penalty)),
    )


def loss_terms(
    model: torch.nn.Module,
    dataset: Dataset,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    *,
    batch_size: int | None = None,
    classification_threshold: float | None = None,
) -> LossBreakdown:
    """alignn's loss of ``model`` on ``dataset``, term by term.

    The dataset is one batch, unless ``batch_size`` is given or one batch would exceed the
    memory guard (see `make_batches`); over several batches each term is the batch mean.

    Raises:
        ValueError: for an empty dataset or a config alignn's model cannot run on it.
    """
    check_inputs(cfg, graph)
    batches = make_batches(dataset, cfg, graph, batch_size)
    breakdown = decompose(model, batches, cfg, classification_threshold)
    note = _file_energy_note(dataset, cfg)
    return breakdown if note is None else replace(breakdown, notes=(*breakdown.notes, note))


def _file_energy_note(dataset: Dataset, cfg: ALIGNNAtomWiseConfig) -> str | None:
    """What alignn would fit its readout to, when the file's energy unit is not the readout's."""
    if cfg.classification or dataset.file_energy is None:
        return None
    readout = "per_atom" if cfg.energy_mult_natoms else "total"
    if dataset.file_energy == readout:
        return None
    units = {"per_atom": "eV per atom", "total": "eV per cell"}
    switch = "on" if cfg.energy_mult_natoms else "off"
    return (
        f"{dataset.name} holds total_energy in {units[dataset.file_energy]} but alignn's "
        f"readout predicts {units[readout]} (energy_mult_natoms {switch}): alignn feeds "
        "total_energy to it unchanged, so trained on this file its graphwise term would "
        f"compare the two; the graphwise term here uses the energy in {units[readout]}"
    )


def fresh_breakdown(
    dataset: Dataset,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    seed: int = 0,
    **options: Any,
) -> LossBreakdown:
    """`loss_terms` for a freshly initialised model (the weights of
    ``torch.manual_seed(seed)``, drawn without touching the global random state)."""
    check_inputs(cfg, graph)
    return loss_terms(build_model(cfg, seed=seed), dataset, cfg, graph, **options)


def reweight(breakdown: LossBreakdown, cfg: ALIGNNAtomWiseConfig) -> LossBreakdown:
    """``breakdown`` with ``cfg``'s loss weights, without a forward pass.

    Raises:
        ValueError: when ``cfg`` differs from the breakdown's config in anything but the
            loss weights (those changes need `loss_terms` again).
    """
    changed = [
        name
        for name, value in cfg.to_dict().items()
        if name not in WEIGHT_FIELDS and breakdown.config.get(name, value) != value
    ]
    if changed:
        raise ValueError(
            f"reweight only changes loss weights; {', '.join(changed)} changed too, so the "
            "terms need a new forward pass (loss_terms)"
        )
    terms, total = _assemble(breakdown.measured, cfg)
    return LossBreakdown(
        terms=terms,
        total=total,
        penalty=breakdown.penalty,
        samples=breakdown.samples,
        criterion=breakdown.criterion,
        measured=breakdown.measured,
        config=cfg.to_dict(),
        classification_threshold=breakdown.classification_threshold,
        notes=breakdown.notes,
    )


# ----------------------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class Sweep:
    """Weighted terms and total as one loss weight sweeps ``values``.

    ``weighted[name]`` has one value per entry of ``values`` (NaN where the term has no
    value, 0 where it does not apply); ``current`` is the config's own weight.
    """

    field: str
    values: np.ndarray
    weighted: dict[str, np.ndarray]
    total: np.ndarray
    current: float


def sweep(
    breakdown: LossBreakdown, cfg: ALIGNNAtomWiseConfig, field_name: str, values: Sequence[float]
) -> Sweep:
    """Reweight ``breakdown`` for each value of loss weight ``field_name`` (no forward pass).

    Raises:
        ValueError: for a field that is not a loss weight or a negative value.
    """
    if field_name not in WEIGHT_FIELDS:
        raise ValueError(
            f"{field_name!r} is not a loss weight; choose one of {', '.join(WEIGHT_FIELDS)}"
        )
    grid = np.asarray(values, dtype=float)
    if grid.ndim != 1 or grid.size == 0 or np.any(grid < 0) or not np.all(np.isfinite(grid)):
        raise ValueError("sweep values must be a non-empty list of finite weights >= 0")
    weighted = {name: np.zeros(grid.size) for name in TERMS}
    total = np.zeros(grid.size)
    trial = cfg.copy()
    for i, value in enumerate(grid):
        trial.update(**{field_name: float(value)})
        result = reweight(breakdown, trial)
        for name, term in result.terms.items():
            weighted[name][i] = term.weighted if term.ok else math.nan
        total[i] = result.total
    shown = {n: w for n, w in weighted.items() if _ever_applies(n, cfg, field_name)}
    return Sweep(field_name, grid, shown, total, float(getattr(cfg, field_name)))


def _ever_applies(name: str, cfg: ALIGNNAtomWiseConfig, field_name: str) -> bool:
    trial = cfg.copy()
    trial.update(**{field_name: 1.0})
    return applies(name, cfg) or applies(name, trial)
