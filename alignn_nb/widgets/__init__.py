"""The notebook side of alignn-nb: ipywidgets views of the configs, model, graphs and losses."""

from alignn_nb.widgets.config_form import ConfigForm
from alignn_nb.widgets.config_toolbar import ConfigToolbar
from alignn_nb.widgets.dashboard import Dashboard
from alignn_nb.widgets.dataset_tab import DatasetTab
from alignn_nb.widgets.exercise_box import ExerciseBox
from alignn_nb.widgets.explore_view import ExploreView
from alignn_nb.widgets.fallback import Pictured
from alignn_nb.widgets.force_view import ForceView
from alignn_nb.widgets.graph_explorer import GraphExplorer
from alignn_nb.widgets.graph_view import GraphView
from alignn_nb.widgets.loss_plot import LossPlot
from alignn_nb.widgets.model_summary import ModelSummaryView
from alignn_nb.widgets.prediction_view import PredictionView
from alignn_nb.widgets.structure_picker import StructurePicker
from alignn_nb.widgets.sweep_panel import SweepPanel
from alignn_nb.widgets.upload import UploadButton

__all__ = [
    "ConfigForm",
    "ConfigToolbar",
    "Dashboard",
    "DatasetTab",
    "ExerciseBox",
    "ExploreView",
    "ForceView",
    "GraphExplorer",
    "GraphView",
    "LossPlot",
    "ModelSummaryView",
    "Pictured",
    "PredictionView",
    "StructurePicker",
    "SweepPanel",
    "UploadButton",
]
