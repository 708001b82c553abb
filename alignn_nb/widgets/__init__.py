"""The notebook side of alignn-nb: ipywidgets views of the configs, model, graphs, losses,
runs and datasets, one widget per module named after it.

The names say what a widget is: a ``*Tab`` is one of the dashboard's tabs that holds its
own inputs and starts its own work (`LossTab`, `SweepTab`, `TrainTab`, `ExploreTab`,
`DatasetTab`); a ``*View`` draws what it is given (`GraphView`, `PredictionView`,
`ModelSummaryView`, `ExploreView`, `ForceView`, `RunComparisonView`, `PhysicsView`,
`AtomsView`); the rest are named for the control they are (`ConfigForm`,
`ConfigToolbar`, `StructurePicker`, `UploadButton`, `ExerciseBox`), or for what they hold
(`Dashboard`, `GraphExplorer`, `Pictured`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.widgets.atoms_view import AtomsView
    from alignn_nb.widgets.config_form import ConfigForm
    from alignn_nb.widgets.config_toolbar import ConfigToolbar
    from alignn_nb.widgets.dashboard import Dashboard
    from alignn_nb.widgets.dataset_tab import DatasetTab
    from alignn_nb.widgets.exercise_box import ExerciseBox
    from alignn_nb.widgets.explore_tab import ExploreTab
    from alignn_nb.widgets.explore_view import ExploreView
    from alignn_nb.widgets.force_view import ForceView
    from alignn_nb.widgets.graph_explorer import GraphExplorer
    from alignn_nb.widgets.graph_view import GraphView
    from alignn_nb.widgets.loss_tab import LossTab
    from alignn_nb.widgets.model_summary_view import ModelSummaryView
    from alignn_nb.widgets.physics_view import PhysicsView
    from alignn_nb.widgets.pictured import Pictured
    from alignn_nb.widgets.prediction_view import PredictionView
    from alignn_nb.widgets.run_comparison_view import RunComparisonView
    from alignn_nb.widgets.structure_picker import StructurePicker
    from alignn_nb.widgets.sweep_tab import SweepTab
    from alignn_nb.widgets.train_tab import TrainTab
    from alignn_nb.widgets.upload_button import UploadButton

MOVED = {
    "LossPlot": "alignn_nb.widgets.LossTab",
    "SweepPanel": "alignn_nb.widgets.SweepTab",
}
"""Renamed widgets (each still resolves here, with a `DeprecationWarning`, until the next
release)."""

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals(), MOVED)
