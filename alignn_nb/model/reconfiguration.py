"""Give a built model the forward-pass fields of a new config, keeping its weights; or a
fresh model when the config needs another shape (`model_for`)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import torch

from alignn_nb.config import (
    SHAPE_FIELDS,
    ALIGNNAtomWiseConfig,
    is_pure,
    resolved_use_zbl,
    to_alignn_model_config,
)

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


def model_for(
    cfg: ALIGNNAtomWiseConfig,
    model: torch.nn.Module | None = None,
    *,
    seed: int = 0,
    copy: bool = False,
) -> torch.nn.Module:
    """``model`` reconfigured for ``cfg`` (a deep copy of it if ``copy``, so the given one
    is left as it was), or a fresh model of ``cfg`` seeded with ``seed`` when there is no
    model or ``cfg`` needs another shape.

    Raises:
        ValueError: when alignn cannot build a model of ``cfg``.
    """
    from alignn_nb.model.build import build_model

    if model is not None:
        candidate = deepcopy(model) if copy else model
        try:
            reconfigure(candidate, cfg)
            return candidate
        except ValueError:
            pass
    return build_model(cfg, seed=seed)
