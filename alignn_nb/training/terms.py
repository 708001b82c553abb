"""alignn's loss terms on one batch: which apply to a config, their criterion and weights.

See `alignn_nb.training.breakdown` for how alignn's ``train.py`` forms each term.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig
from alignn_nb.training.batches import Batch

TERMS = ("graphwise", "atomwise", "gradwise", "stresswise", "additional")
WEIGHTS = {
    "graphwise": "graphwise_weight",
    "atomwise": "atomwise_weight",
    "gradwise": "gradwise_weight",
    "stresswise": "stresswise_weight",
    "additional": "additional_output_weight",
}
#: The dataset target (`alignn_nb.training.datasets.TARGETS`) each term compares with.
TARGET_OF = {
    "graphwise": "energy",
    "atomwise": "atomwise",
    "gradwise": "forces",
    "stresswise": "stress",
    "additional": "additional",
}
#: The config fields `reweight` may change without a forward pass.
WEIGHT_FIELDS = tuple(WEIGHTS.values())
NO_TARGET = "no target"


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
    if name == "gradwise" and not cfg.calculate_gradient:
        return "not computable: calculate_gradient is off, so alignn computes no forces"
    if name == "stresswise" and not _gradients_on(cfg):
        return (
            "not computable: alignn computes stress only with gradients on "
            "(calculate_gradient and gradwise_weight ≠ 0)"
        )
    if name == "additional" and cfg.additional_output_features == 0:
        return "not computable: additional_output_features is 0, so there is no additional head"
    return None


def untrainable(cfg: ALIGNNAtomWiseConfig, counts: Mapping[str, int]) -> str | None:
    """Why no term alignn's loss adds for ``cfg`` can have a value on a dataset whose
    samples carry ``counts[target]`` of each target, or None when one can.

    Known before any forward pass: the config's own problems, a graph-level output of
    more than one value against the energy, and targets the dataset lacks.
    """
    reasons: dict[str, str] = {}
    for name in (n for n in TERMS if applies(n, cfg)):
        problem = _config_problem(name, cfg)
        if problem is None and name == "graphwise" and not cfg.classification:
            if cfg.output_features != 1:
                problem = (
                    f"not computable: output_features is {cfg.output_features} but the "
                    "energy target is one number"
                )
        if problem is None and not counts.get(TARGET_OF[name]):
            problem = f"{NO_TARGET} ({TARGET_OF[name]})"
        if problem is None:
            return None
        reasons[name] = problem
    listed = "; ".join(f"{name}: {problem}" for name, problem in reasons.items())
    return f"nothing to train: {listed}"


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


def _not_computed(key: str) -> str:
    return f"not computable: alignn's forward pass computed no {key!r} for this config"


def _per_atom(
    result: dict, key: str, batch: Batch, target: str, unit: str, cfg: ALIGNNAtomWiseConfig
) -> RawTerm:
    mask = batch.has(target)
    if not bool(mask.any()):
        return RawTerm(None, unit, 0, NO_TARGET)
    atom_mask = torch.repeat_interleave(mask, batch.natoms)
    wanted = batch.stacked(target, per_atom=True)
    predicted = result.get(key)
    if predicted is None:
        return RawTerm(None, unit, 0, _not_computed(key))
    if predicted.numel() % max(1, batch.num_atoms) == 0:
        predicted = predicted.reshape(batch.num_atoms, -1)[atom_mask]
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
    predicted = result.get(key)
    if predicted is None:
        return RawTerm(None, unit, 0, _not_computed(key))
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
