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
  stresswise_weight ≠ 0; the prediction is in GPa (see `alignn_nb.datasets.dataset`);
- additional: ``additional_output_weight`` × criterion(``additional``, target), only when
  additional_output_weight ≠ 0;
- total: the sum.

Each term is the criterion's mean over every element of a batch. Over several batches the
value is the mean of the batch values, as alignn averages them per epoch.

The short-bond penalty (use_penalty) is added by alignn's forward pass to the energy it
differentiates for forces and stress, so it moves the gradwise and stresswise terms. With
energy_mult_natoms off, alignn's DGL model adds it in place to ``out`` itself (see
`alignn_nb.model.physics.penalty_in_readout`), so the graphwise term fits readout + penalty (the
whole batch's, on every structure) to the energy target and the penalty is counted twice;
its pure twin leaves ``out`` alone. The breakdown's notes say so. `Penalty` reports the
penalty separately.

Both model flavours are covered: batches hold DGL graphs for alignn_atomwise and alignn's
``TorchGraph`` objects (batched by alignn's ``batch_torch_graph_pairs``) for
alignn_atomwise_pure, which needs no DGL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, is_pure
from alignn_nb.datasets import Dataset
from alignn_nb.loss.batches import Batch, check_inputs, forward, make_batches
from alignn_nb.loss.terms import (
    TERMS,
    WEIGHT_FIELDS,
    WEIGHTS,
    RawTerm,
    Term,
    applies,
    config_problem,
    raw_terms,
)
from alignn_nb.model import (
    build_model,
    envelope_penalty,
    penalty_in_readout,
    readout_energy,
    short_bond_penalty,
)


@dataclass(frozen=True)
class Penalty:
    """alignn's short-bond penalty over the dataset.

    ``energy`` (eV) is the penalty summed over structures, each on its own;
    ``bonds_below_threshold`` counts graph edges (each direction of a bond) that the
    penalty acts on; ``predicted_energy`` (eV) is the energy alignn differentiates for each
    structure on its own, summed over structures: its readout (× atoms when
    energy_mult_natoms is on) plus its own penalty, counted once even where alignn's readout
    already holds it (see `alignn_nb.model.physics.penalty_in_readout`).
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


def _penalty(
    batch: Batch,
    cfg: ALIGNNAtomWiseConfig,
    out: torch.Tensor | None,
) -> tuple[float, int, float | None]:
    """Penalty energy (eV), bonds below threshold and predicted energy (eV) of one batch."""
    penalty, bonds = short_bond_penalty(cfg, batch.g)
    predicted = None
    if out is not None and not cfg.classification:
        readout = out.detach().double().reshape(len(batch.samples), -1)[:, 0]
        energies = readout_energy(readout, batch.natoms.double(), cfg, penalty)
        predicted = float(energies.sum()) + penalty
    return penalty, bonds, predicted


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
    predicted: float | None
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
        problem = config_problem(name, cfg)
        if problem is not None or base.raw is None:
            terms[name] = Term(name, weight, unit=base.unit, status=problem or base.status)
        else:
            terms[name] = Term(
                name, weight, base.raw, weight * base.raw, unit=base.unit, samples=base.samples
            )
    total = sum(t.weighted for t in terms.values() if t.weighted is not None)
    shared = {
        name: Term(
            t.name, t.weight, t.raw, t.weighted, _share(t.weighted, total), t.unit, t.samples
        )
        if t.weighted is not None
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
    note = file_energy_note(dataset, cfg)
    return breakdown if note is None else replace(breakdown, notes=(*breakdown.notes, note))


def file_energy_note(dataset: Dataset, cfg: ALIGNNAtomWiseConfig) -> str | None:
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
