"""The views: the 3D scene's layers as arrays (no frontend), PNG rendering and matplotlib
plots of the loss terms.
"""

from __future__ import annotations

from alignn_nb.lazy import lazy_names

_LAZY = {
    "ViewOptions": "alignn_nb.viz.layers",
    "Scene": "alignn_nb.viz.layers",
    "Layer": "alignn_nb.viz.layers",
    "build_scene": "alignn_nb.viz.scene",
    "to_png": "alignn_nb.viz.render",
    "png_bytes": "alignn_nb.viz.render",
    "contribution_bars": "alignn_nb.viz.plots",
    "sensitivity_plot": "alignn_nb.viz.plots",
    "training_plot": "alignn_nb.viz.plots",
    "history_plot": "alignn_nb.viz.plots",
    "parallel_coordinates": "alignn_nb.viz.sweep_plot",
    "figure_png": "alignn_nb.viz.sweep_plot",
    "GraphSummary": "alignn_nb.viz.summary",
    "rbf_figure": "alignn_nb.viz.model_inputs",
    "atom_features_figure": "alignn_nb.viz.model_inputs",
    "shapes_html": "alignn_nb.viz.model_inputs",
    "check": "alignn_nb.viz.exercises",
    "parity_plot": "alignn_nb.viz.parity",
}
"""Public names and the module each lives in, imported on first use (matplotlib is loaded
only by the renderers)."""

__all__ = [
    "GraphSummary",
    "Layer",
    "Scene",
    "ViewOptions",
    "atom_features_figure",
    "build_scene",
    "check",
    "contribution_bars",
    "figure_png",
    "history_plot",
    "parallel_coordinates",
    "parity_plot",
    "png_bytes",
    "rbf_figure",
    "sensitivity_plot",
    "shapes_html",
    "to_png",
    "training_plot",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
