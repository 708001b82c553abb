"""The notebook side of alignn-nb: ipywidgets views of the configs, model, graphs and losses."""

from alignn_nb.widgets.config_form import ConfigForm
from alignn_nb.widgets.model_summary import ModelSummaryView

__all__ = ["ConfigForm", "ModelSummaryView"]
