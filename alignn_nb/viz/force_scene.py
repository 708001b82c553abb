"""One evaluated structure in 3D: atoms coloured by their force error, force arrows.

A `ForceScene` is a few `alignn_nb.viz.layers.Layer` batches (no frontend needed):

* ``cell``: the unit cell's edges;
* ``atoms``: one sphere per atom, in atom order, coloured on `ERROR_COLORMAP` by the
  length of that atom's force error |F_pred − F_target| (eV/Å) from the smallest error
  (bottom colour) to the largest (top colour); in element colours when the structure has
  no forces;
* ``forces_pred`` and ``forces_target``: one arrow per atom whose force is nonzero, from
  the atom's centre along the force, in two colours. Both share one scale: the longest
  force of either set is drawn `ARROW_LENGTH` Å long, and ``arrow_scale`` (Å per eV/Å)
  says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alignn_nb.viz.layers import (
    ATOM_RADIUS,
    ColorScale,
    Layer,
    Rgb,
    _fill,
    _full,
    color_scale,
    element_colors,
    scale_colors,
)
from alignn_nb.viz.scene import atoms_cell_layer

if TYPE_CHECKING:
    from ase import Atoms

    from alignn_nb.evaluation import StructureErrors

ERROR_COLORMAP = "plasma"
"""Colour map of the per-atom force error: dark for the smallest, yellow for the largest."""
ARROW_LENGTH = 1.5
"""Å; the drawn length of the longest force (predicted or target)."""
ARROW_RADIUS = 0.06
"""Å; radius of a force arrow's shaft."""
PRED_COLOR: Rgb = (0.85, 0.1, 0.1)
"""Predicted-force arrows."""
TARGET_COLOR: Rgb = (0.1, 0.65, 0.2)
"""Target-force arrows."""


@dataclass(frozen=True, eq=False)
class ForceScene:
    """What the force view draws for one structure.

    Attributes:
        id: the structure's id.
        layers: cell, atoms, forces_pred and forces_target layers (empty ones included).
        errors: (N,) per-atom force error in eV/Å, or None without forces.
        error_scale: the colour scale of ``errors`` (eV/Å), or None without forces.
        arrow_scale: Å drawn per eV/Å of force, 0 when no force is drawn.
        keys: (label, RGB) of the two arrow colours.
    """

    id: str
    layers: tuple[Layer, ...]
    errors: np.ndarray | None
    error_scale: ColorScale | None
    arrow_scale: float
    keys: tuple[tuple[str, Rgb], ...]

    def layer(self, name: str) -> Layer:
        """The layer called ``name``."""
        return next(layer for layer in self.layers if layer.name == name)


def _atom_layer(row: StructureErrors, errors: np.ndarray | None) -> tuple[Layer, ColorScale | None]:
    positions = row.atoms.positions.astype(np.float32)
    if errors is None:
        color, scale = element_colors(row.atoms.numbers), None
    else:
        low, high = float(errors.min()), float(errors.max())
        color = scale_colors(errors, low, high, ERROR_COLORMAP)
        scale = color_scale("force error |F_pred − F_target| (eV/Å)", low, high, ERROR_COLORMAP)
    layer = Layer("atoms", "sphere", positions, None, color, _full(ATOM_RADIUS, len(row.atoms)))
    return layer, scale


def _arrow_layer(
    name: str, positions: np.ndarray, forces: np.ndarray | None, scale: float, color: Rgb
) -> Layer:
    if forces is None:
        forces = np.zeros((0, 3))
        positions = positions[:0]
    moving = np.linalg.norm(forces, axis=1) > 0
    start = positions[moving].astype(np.float32)
    end = (positions[moving] + scale * forces[moving]).astype(np.float32)
    n = int(moving.sum())
    return Layer(name, "arrow", start, end, _fill(color, n), _full(ARROW_RADIUS, n))


def arrow_scale(row: StructureErrors) -> float:
    """Å per eV/Å that draws the longest predicted or target force `ARROW_LENGTH` Å long;
    0 when there is no nonzero force."""
    norms = [
        np.linalg.norm(f, axis=1) for f in (row.forces_pred, row.forces_target) if f is not None
    ]
    longest = max((float(n.max()) for n in norms if n.size), default=0.0)
    return ARROW_LENGTH / longest if longest > 0 else 0.0


def build_force_scene(row: StructureErrors) -> ForceScene:
    """The `ForceScene` of one evaluated structure (see the module)."""
    errors = row.force_errors
    atoms, scale = _atom_layer(row, errors)
    factor = arrow_scale(row)
    positions = row.atoms.positions
    layers = (
        atoms_cell_layer(row.atoms),
        atoms,
        _arrow_layer("forces_pred", positions, row.forces_pred, factor, PRED_COLOR),
        _arrow_layer("forces_target", positions, row.forces_target, factor, TARGET_COLOR),
    )
    keys = (("predicted force", PRED_COLOR), ("target force", TARGET_COLOR))
    return ForceScene(row.id, layers, errors, scale, factor, keys)


def structure_layers(atoms: Atoms) -> tuple[Layer, Layer]:
    """The cell's edges and one sphere per atom in its element's colour (a structure
    without errors or forces: a relaxed one)."""
    positions = atoms.positions.astype(np.float32)
    colors = element_colors(atoms.numbers)
    spheres = Layer("atoms", "sphere", positions, None, colors, _full(ATOM_RADIUS, len(atoms)))
    return atoms_cell_layer(atoms), spheres
