"""Static pictures of the graph view with matplotlib's 3D axes, without a browser.

`figure` draws the same `alignn_nb.viz.layers.Scene` that `GraphView` sends to
nglview: the cell, the atoms in element colours, edges to periodic images, image atoms,
line-graph nodes and triplets, with a legend, colour bars and the counts as the title.
`to_png` saves it. Neither uses pyplot, so no global figure is left open.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mpl_toolkits.mplot3d.art3d import Line3DCollection
from mpl_toolkits.mplot3d.axes3d import Axes3D

from alignn_nb.graphs import CrystalGraphs
from alignn_nb.viz import layers
from alignn_nb.viz.scene import build_scene

POINTS_PER_INCH = 72.0
DEFAULT_SIZE = (8.0, 6.0)
"""Figure size in inches."""
DEFAULT_DPI = 110
FALLBACK_SIZE = (6.0, 4.5)
"""Figure size in inches of the static picture shown where no widget renders."""
FALLBACK_DPI = 72
ATOM_SCALE = 0.6
"""Atoms are drawn smaller than in nglview, as matplotlib cannot hide what is behind them."""


def _points_per_angstrom(scene: layers.Scene, width_inches: float) -> float:
    """Rough screen scale: points per Å so that the drawing spans the axes."""
    extent = np.ptp(_all_points(scene), axis=0).max() if len(scene.positions) else 1.0
    return 0.55 * width_inches * POINTS_PER_INCH / max(float(extent), 1.0)


def _all_points(scene: layers.Scene) -> np.ndarray:
    """(n, 3) every drawn point in Å: atoms and the ends of every shape."""
    parts = [scene.positions.reshape(-1, 3)]
    for layer in scene.layers:
        parts.append(layer.start.reshape(-1, 3))
        if layer.end is not None:
            parts.append(layer.end.reshape(-1, 3))
    return np.concatenate(parts)


def _rgba(color: np.ndarray, opacity: float) -> np.ndarray:
    alpha = np.full((len(color), 1), opacity, dtype=np.float32)
    return np.concatenate([color, alpha], axis=1)


def _draw_layer(ax: Axes3D, layer: layers.Layer, scale: float) -> None:
    """Cylinders as 3D line segments, spheres as scatter markers, sized by radius."""
    if not len(layer):
        return
    colors = _rgba(layer.color, layer.opacity)
    if layer.kind == "cylinder" and layer.end is not None:
        segments = np.stack([layer.start, layer.end], axis=1)
        widths = np.maximum(2.0 * layer.radius * scale, 0.3)
        lines = Line3DCollection(segments, colors=colors, linewidths=widths, zorder=2)
        ax.add_collection3d(lines)
        return
    sizes = (2.0 * layer.radius * scale) ** 2
    x, y, z = layer.start.T
    ax.scatter(x, y, z, s=sizes, c=colors, depthshade=False, edgecolors="none", zorder=3)


def _draw_atoms(ax: Axes3D, scene: layers.Scene, scale: float) -> None:
    x, y, z = scene.positions.T
    size = (ATOM_SCALE * 2.0 * layers.ATOM_RADIUS * scale) ** 2
    ax.scatter(
        x,
        y,
        z,
        s=size,
        c=scene.atom_colors,
        depthshade=False,
        edgecolors="k",
        linewidths=0.3,
        zorder=1,
    )


def _frame(ax: Axes3D, scene: layers.Scene) -> None:
    """Equal scaling on all three axes around every drawn point; no axes drawn."""
    points = _all_points(scene)
    low, high = points.min(axis=0), points.max(axis=0)
    centre, half = (low + high) / 2, max(float((high - low).max()) / 2, 1.0)
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre, strict=True):
        setter(c - half, c + half)
    ax.set_box_aspect((1, 1, 1))
    ax.set_axis_off()


def _legend(fig: Figure, ax: Axes3D, scene: layers.Scene, options: layers.ViewOptions) -> None:
    """Element swatches and keys as a legend, colour scales as colour bars."""
    legend = scene.legend
    handles = [
        Line2D([], [], marker="o", linestyle="", color=rgb, markeredgecolor="k", label=symbol)
        for symbol, rgb in legend.elements
    ]
    if options.image_atoms and legend.elements:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color=legend.elements[0][1],
                alpha=layers.IMAGE_OPACITY,
                label="periodic image outside the cell",
            )
        )
    handles += [Line2D([], [], color=rgb, linewidth=3, label=label) for label, rgb in legend.keys]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(-0.1, 1.0), fontsize=8)
    for scale in (legend.edge_scale, legend.triplet_scale):
        if scale is None:
            continue
        cmap = LinearSegmentedColormap.from_list(scale.label, [(f, c) for f, c in scale.stops])
        mappable = ScalarMappable(Normalize(scale.vmin, scale.vmax), cmap)
        fig.colorbar(mappable, ax=ax, shrink=0.5, pad=0.02, label=scale.label)


def figure(
    graphs: CrystalGraphs,
    options: layers.ViewOptions | None = None,
    *,
    size: tuple[float, float] = DEFAULT_SIZE,
    elev: float = 20.0,
    azim: float = -60.0,
    title: str | None = None,
) -> Figure:
    """A matplotlib `Figure` of ``graphs`` drawn as `GraphView` draws it.

    Args:
        graphs: the graphs to draw.
        options: what to draw (focus, colourings, layers, budget); defaults if None.
        size: figure (width, height) in inches.
        elev, azim: camera elevation and azimuth in degrees.
        title: the title; the counts text (and the focus) if None.
    """
    options = options or layers.ViewOptions()
    scene = build_scene(graphs, options)
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot(projection="3d")
    ax.view_init(elev=elev, azim=azim)
    ax.computed_zorder = False
    scale = _points_per_angstrom(scene, size[0])
    for layer in scene.layers:
        _draw_layer(ax, layer, scale)
    _draw_atoms(ax, scene, scale)
    _frame(ax, scene)
    _legend(fig, ax, scene, options)
    focus = "" if scene.focus is None else f" (atom {scene.focus})"
    ax.set_title(scene.counts.text + focus if title is None else title, fontsize=10)
    return fig


def to_png(
    graphs: CrystalGraphs,
    path: str | Path,
    options: layers.ViewOptions | None = None,
    *,
    dpi: int = DEFAULT_DPI,
    **kwargs: Any,
) -> Path:
    """Save the view of ``graphs`` as a PNG at ``path``; keyword arguments go to `figure`.

    Returns:
        the path written.
    """
    path = Path(path)
    fig = figure(graphs, options, **kwargs)
    fig.savefig(path, dpi=dpi, format="png")
    return path


def png_bytes(
    graphs: CrystalGraphs,
    options: layers.ViewOptions | None = None,
    *,
    dpi: int = FALLBACK_DPI,
    size: tuple[float, float] = FALLBACK_SIZE,
    **kwargs: Any,
) -> bytes:
    """The view of ``graphs`` as PNG bytes, small by default (a notebook's static picture);
    keyword arguments go to `figure`."""
    buffer = io.BytesIO()
    figure(graphs, options, size=size, **kwargs).savefig(buffer, dpi=dpi, format="png")
    return buffer.getvalue()
