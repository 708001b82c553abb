"""A map of an evaluation's structures: energy per atom against volume per atom, each
point coloured by one of its errors, the selected structure ringed.

The energy is the target in eV/atom where the structure has one, else the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from alignn_nb.evaluation import Evaluation, StructureErrors

ERROR_KEYS = {"force_mae": "eV/Å", "energy_error": "eV/atom", "stress_mae": "GPa"}
"""The errors a map can be coloured by, and their units."""


@dataclass(frozen=True, eq=False)
class MapPoints:
    """One point per structure, in the evaluation's order.

    Attributes:
        volume: (S,) Å³ per atom.
        energy: (S,) eV per atom (target, else predicted).
        error: (S,) the ``key`` error of each structure, NaN where it has none.
        key: which error (a key of `ERROR_KEYS`).
        highlight: index of the selected structure, or None.
    """

    volume: np.ndarray
    energy: np.ndarray
    error: np.ndarray
    key: str
    highlight: int | None


def _energy_per_atom(row: StructureErrors) -> float:
    if row.energy_target is None:
        return row.energy_pred_per_atom
    return row.energy_target / (1 if row.energy_unit == "eV/atom" else row.natoms)


def map_points(evaluation: Evaluation, key: str = "force_mae", selected: str = "") -> MapPoints:
    """The map's points; ``selected`` is a structure id or "" for none.

    Raises:
        ValueError: for a key not in `ERROR_KEYS`.
    """
    if key not in ERROR_KEYS:
        raise ValueError(f"error {key!r} is not one of {', '.join(ERROR_KEYS)}")
    rows = evaluation.structures
    errors = [getattr(row, key) for row in rows]
    ids = [row.id for row in rows]
    return MapPoints(
        volume=np.array([row.volume_per_atom for row in rows], dtype=float),
        energy=np.array([_energy_per_atom(row) for row in rows], dtype=float),
        error=np.array([np.nan if e is None else e for e in errors], dtype=float),
        key=key,
        highlight=ids.index(selected) if selected in ids else None,
    )


def error_map_figure(points: MapPoints) -> Figure:
    """The map as a matplotlib figure: a colour bar for the error, grey for no value."""
    figure = Figure(figsize=(4.6, 3.8), layout="constrained")
    axes = figure.add_subplot()
    unit = ERROR_KEYS[points.key]
    known = ~np.isnan(points.error)
    if (~known).any():
        axes.scatter(points.volume[~known], points.energy[~known], s=14, color="#bbbbbb")
    if known.any():
        dots = axes.scatter(
            points.volume[known], points.energy[known], c=points.error[known], s=14, cmap="plasma"
        )
        figure.colorbar(dots, ax=axes, label=f"{points.key} ({unit})")
    if points.highlight is not None:
        i = points.highlight
        axes.scatter(
            [points.volume[i]], [points.energy[i]], s=120, facecolors="none", edgecolors="red", lw=2
        )
    axes.set_xlabel("volume (Å³/atom)")
    axes.set_ylabel("energy (eV/atom)")
    axes.set_title(f"{points.volume.size} structures by {points.key}")
    return figure
