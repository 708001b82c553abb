"""`weight_response`: how the weighted loss terms respond as one loss weight moves over a
range of values (no forward pass)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from alignn_nb.config import ALIGNNAtomWiseConfig
from alignn_nb.loss.breakdown import LossBreakdown, reweight
from alignn_nb.loss.terms import TERMS, WEIGHT_FIELDS, applies


@dataclass(frozen=True)
class WeightResponse:
    """Weighted terms and total as one loss weight takes each of ``values``.

    ``weighted[name]`` has one value per entry of ``values`` (NaN where the term has no
    value, 0 where it does not apply); ``current`` is the config's own weight.
    """

    field: str
    values: np.ndarray
    weighted: dict[str, np.ndarray]
    total: np.ndarray
    current: float


def weight_response(
    breakdown: LossBreakdown, cfg: ALIGNNAtomWiseConfig, field_name: str, values: npt.ArrayLike
) -> WeightResponse:
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
        raise ValueError("weight values must be a non-empty list of finite weights >= 0")
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
    return WeightResponse(field_name, grid, shown, total, float(getattr(cfg, field_name)))


def _ever_applies(name: str, cfg: ALIGNNAtomWiseConfig, field_name: str) -> bool:
    trial = cfg.copy()
    trial.update(**{field_name: 1.0})
    return applies(name, cfg) or applies(name, trial)
