"""The views without a frontend: the 3D scene's layers as arrays, PNG rendering, and the
matplotlib figures and HTML of each tab (loss terms, histories, parity, error maps, force
errors in 3D, dataset sizes, a sweep's trials, the physics checks, the teaching
notebook's pictures and exercises).

`layers`, `selection`, `render` and `plots` are public as whole modules: the views use
their many small names as ``layers.Legend`` or ``plots.VIEWS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.viz import layers, plots, render, selection
    from alignn_nb.viz.dataset_plot import (
        count_histograms,
        heaviest_structures,
        size_histograms,
        stats_html,
    )
    from alignn_nb.viz.error_map import MapPoints, error_map_figure, map_points
    from alignn_nb.viz.exercises import EXERCISES, Verdict, check
    from alignn_nb.viz.force_scene import (
        ARROW_LENGTH,
        ForceScene,
        build_force_scene,
        structure_layers,
    )
    from alignn_nb.viz.layers import Layer, Scene, ViewOptions
    from alignn_nb.viz.model_inputs import atom_features_figure, rbf_figure, shapes_html
    from alignn_nb.viz.parity import QUANTITIES, parity_plot
    from alignn_nb.viz.physics import VERDICT_COLORS, physics_plot
    from alignn_nb.viz.plots import (
        contribution_bars,
        figure_png,
        histories_plot,
        history_plot,
        training_plot,
        weight_response_plot,
    )
    from alignn_nb.viz.render import png_bytes, to_png
    from alignn_nb.viz.scene import build_scene
    from alignn_nb.viz.summary import GraphSummary, counts_html, notes_html
    from alignn_nb.viz.sweep_plot import (
        importance_figure,
        importance_text,
        parallel_coordinates,
        trials_html,
    )

MOVED = {"sensitivity_plot": "alignn_nb.viz.weight_response_plot"}
"""Renamed names (each still resolves here, with a `DeprecationWarning`, until the next
release)."""

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals(), MOVED)
