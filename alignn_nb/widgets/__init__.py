"""The notebook side of alignn-nb: ipywidgets views of the configs, model, graphs and losses."""

from __future__ import annotations

from alignn_nb.lazy import lazy_names

_LAZY = {
    "AtomsView": "alignn_nb.widgets.atoms_view",
    "ConfigForm": "alignn_nb.widgets.config_form",
    "ConfigToolbar": "alignn_nb.widgets.config_toolbar",
    "Dashboard": "alignn_nb.widgets.dashboard",
    "DatasetTab": "alignn_nb.widgets.dataset_tab",
    "ExerciseBox": "alignn_nb.widgets.exercise_box",
    "ExploreTab": "alignn_nb.widgets.explore_tab",
    "ExploreView": "alignn_nb.widgets.explore_view",
    "Pictured": "alignn_nb.widgets.fallback",
    "ForceView": "alignn_nb.widgets.force_view",
    "GraphExplorer": "alignn_nb.widgets.graph_explorer",
    "GraphView": "alignn_nb.widgets.graph_view",
    "LossPlot": "alignn_nb.widgets.loss_plot",
    "ModelSummaryView": "alignn_nb.widgets.model_summary",
    "PhysicsView": "alignn_nb.widgets.physics_view",
    "PredictionView": "alignn_nb.widgets.prediction_view",
    "RunComparisonView": "alignn_nb.widgets.run_comparison",
    "StructurePicker": "alignn_nb.widgets.structure_picker",
    "SweepPanel": "alignn_nb.widgets.sweep_panel",
    "UploadButton": "alignn_nb.widgets.upload",
}
"""Public names and the module each lives in, imported on first use (most of them load torch)."""

__all__ = [
    "AtomsView",
    "ConfigForm",
    "ConfigToolbar",
    "Dashboard",
    "DatasetTab",
    "ExerciseBox",
    "ExploreTab",
    "ExploreView",
    "ForceView",
    "GraphExplorer",
    "GraphView",
    "LossPlot",
    "ModelSummaryView",
    "PhysicsView",
    "Pictured",
    "PredictionView",
    "RunComparisonView",
    "StructurePicker",
    "SweepPanel",
    "UploadButton",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
