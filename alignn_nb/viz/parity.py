"""Parity plots of an evaluation (`alignn_nb.evaluation.evaluation.Evaluation`): the model's
prediction against the target, one point per energy, force component or stress component.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from alignn_nb.evaluation import Evaluation

QUANTITIES = ("energy", "forces", "stress")
UNITS = {"energy": "eV/atom", "forces": "eV/Å", "stress": "GPa"}


def parity_points(evaluation: Evaluation, quantity: str) -> tuple[np.ndarray, np.ndarray]:
    """(targets, predictions), each (M,): energies in eV/atom (one per structure with a
    target), every force component in eV/Å, or every stress component in GPa.

    Raises:
        ValueError: for a quantity not in `QUANTITIES`.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity {quantity!r} is not one of {', '.join(QUANTITIES)}")
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    for row in evaluation.structures:
        if quantity == "energy" and row.energy_target is not None:
            target = row.energy_target / (1 if row.energy_unit == "eV/atom" else row.natoms)
            pairs.append((np.array([target]), np.array([row.energy_pred_per_atom])))
        elif quantity == "forces" and row.forces_pred is not None and row.forces_target is not None:
            pairs.append((row.forces_target.ravel(), row.forces_pred.ravel()))
        elif quantity == "stress" and row.stress_pred is not None and row.stress_target is not None:
            pairs.append((np.ravel(row.stress_target), np.ravel(row.stress_pred)))
    if not pairs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def parity_plot(evaluation: Evaluation, quantity: str = "energy") -> Figure:
    """Prediction against target for ``quantity``, with the diagonal and the MAE in the title."""
    target, pred = parity_points(evaluation, quantity)
    figure = Figure(figsize=(4.2, 4.0), layout="constrained")
    axes = figure.add_subplot()
    unit = UNITS[quantity]
    if target.size:
        low, high = float(min(target.min(), pred.min())), float(max(target.max(), pred.max()))
        axes.plot([low, high], [low, high], color="#888888", lw=1)
        axes.scatter(target, pred, s=10, alpha=0.7)
        mae = float(np.mean(np.abs(pred - target)))
        axes.set_title(f"{quantity}: MAE {mae:.4g} {unit} ({target.size} values)")
    else:
        axes.set_title(f"{quantity}: no targets in this data")
    axes.set_xlabel(f"target ({unit})")
    axes.set_ylabel(f"prediction ({unit})")
    return figure
