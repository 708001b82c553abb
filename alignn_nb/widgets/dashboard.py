"""`Dashboard`: config, structure, model, prediction, graph and loss in one live app."""

from __future__ import annotations

import html
import time
from typing import Any

import ipywidgets as widgets
from traitlets import Instance, Unicode, observe

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.data import Dataset, default_dataset
from alignn_nb.live import LiveResult, LiveSession
from alignn_nb.widgets.config_form import ConfigForm
from alignn_nb.widgets.config_toolbar import ConfigToolbar
from alignn_nb.widgets.graph_view import GraphView
from alignn_nb.widgets.loss_plot import LossPlot
from alignn_nb.widgets.model_summary import ModelSummaryView
from alignn_nb.widgets.prediction_view import PredictionView
from alignn_nb.widgets.structure_picker import StructurePicker

LEFT_WIDTH = "480px"
GRAPH_VIEW_HEIGHT = "400px"
TABS = ("Prediction", "Model", "Loss terms")


class Dashboard(widgets.VBox):
    """The whole of alignn-nb: edit a config and see alignn's model, graph and loss follow.

    Every change is handed to a `LiveSession`, which recomputes only the stages it
    touches on a worker thread; the views show the newest published round, marked stale
    while a newer one is pending. Errors appear in the status line and the last good
    results stay on screen.
    """

    config = Instance(ALIGNNAtomWiseConfig, help="The model config (edited in place).")
    graph = Instance(GraphConfig, help="The graph options (edited in place).")
    session = Instance(LiveSession, help="The rebuild engine behind the views.")
    status = Unicode("", help="What is being recomputed, the time of each stage, or the error.")

    def __init__(
        self,
        config: ALIGNNAtomWiseConfig | None = None,
        graph: GraphConfig | None = None,
        structure: str = "Si",
        dataset: Dataset | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = config or ALIGNNAtomWiseConfig()
        self.graph = graph or GraphConfig()
        self._make_parts(structure, dataset if dataset is not None else default_dataset())
        self.children = self._layout()
        self.session = LiveSession(
            self.config,
            self.graph,
            self.picker.atoms,
            self.picker.label,
            dataset=self.loss_plot.dataset,
        )
        self._connect()
        self.session.request()

    @observe("status")
    def _on_status_changed(self, change: dict) -> None:
        failed = self.session is not None and self._failed()
        colour = "#b00020" if failed else "#444"
        self._status_html.value = (
            f"<div class='alignn-nb-status' style='color:{colour}'>"
            f"{html.escape(change['new'])}</div>"
        )

    def _on_input_changed(self, change: dict) -> None:
        self.session.request()

    def _on_structure_picked(self, change: dict) -> None:
        self.session.atoms, self.session.label = self.picker.atoms, self.picker.label
        self.session.request()

    def _on_dataset_changed(self, change: dict) -> None:
        self.session.dataset = change["new"]
        self.picker.dataset = change["new"]
        self.session.request()

    def _on_training_changed(self, change: dict) -> None:
        if not change["new"] and self.loss_plot.model is not None:
            self.session.adopt_model(self.loss_plot.model)

    def _on_running_changed(self, change: dict) -> None:
        if change["new"]:
            self.status = f"recomputing {change['new']}…"

    def _on_stale_changed(self, change: dict) -> None:
        self.summary.stale = self.prediction.stale = change["new"]

    def _on_result(self, change: dict) -> None:
        result: LiveResult = change["new"]
        seconds = dict(result.seconds)
        if result.error is None:
            view_seconds = self._show(result)
            if view_seconds is not None:
                seconds["view"] = view_seconds
        self.prediction.timings = seconds
        self.prediction.error = self.summary.error = (
            "" if result.error is None else f"{result.error.stage}: {result.error.message}"
        )
        self.status = _status_line(result, seconds)

    def _make_parts(self, structure: str, dataset: Dataset) -> None:
        self.toolbar = ConfigToolbar(config=self.config, graph=self.graph)
        self.form = ConfigForm(config=self.config, graph=self.graph)
        self.picker = StructurePicker(dataset=dataset)
        self.picker.select_example(structure)
        self.graph_view = GraphView()
        self.graph_view.view._view_height = GRAPH_VIEW_HEIGHT
        self.prediction = PredictionView()
        self.summary = ModelSummaryView(follow=False)
        self.loss_plot = LossPlot(
            config=self.config, graph=self.graph, dataset=dataset, auto_compute=False
        )
        self._status_html = widgets.HTML()

    def _layout(self) -> list[widgets.Widget]:
        left = widgets.VBox(
            [self.toolbar, self.form],
            layout=widgets.Layout(width=LEFT_WIDTH, min_width=LEFT_WIDTH, overflow="auto"),
        )
        tabs = widgets.Tab(children=[self.prediction, self.summary, self.loss_plot], titles=TABS)
        right = widgets.VBox(
            [self.picker, self.graph_view, tabs],
            layout=widgets.Layout(flex="1 1 auto", min_width="0", padding="0 0 0 10px"),
        )
        self.tabs = tabs
        return [self._status_html, widgets.HBox([left, right])]

    def _connect(self) -> None:
        self.config.observe(self._on_input_changed)
        self.graph.observe(self._on_input_changed)
        self.picker.observe(self._on_structure_picked, "atoms")
        self.loss_plot.observe(self._on_dataset_changed, "dataset")
        self.loss_plot.observe(self._on_training_changed, "training")
        self.session.observe(self._on_result, "result")
        self.session.observe(self._on_running_changed, "running")
        self.session.observe(self._on_stale_changed, "stale")

    def _failed(self) -> bool:
        result = self.session.result
        return result is not None and result.error is not None

    def _show(self, result: LiveResult) -> float | None:
        """Put a successful round on the views; the seconds the graph view took, if redrawn."""
        self.summary.summary = result.summary
        self.prediction.show(result.prediction, parameters=result.summary.total)
        self.loss_plot.model = result.model
        self.loss_plot.breakdown = result.losses
        if self.graph_view.graphs is result.graphs:
            return None
        start = time.perf_counter()
        self.graph_view.graphs = result.graphs
        return time.perf_counter() - start

    def wait(self, timeout: float | None = 300.0) -> LiveResult | None:
        """Block until the views show the latest change (for scripts and tests)."""
        return self.session.wait(timeout)


def _status_line(result: LiveResult, seconds: dict[str, float]) -> str:
    if result.error is not None:
        return (
            f"{result.error.stage} failed: {result.error.message} (showing the last good results)"
        )
    if not seconds:
        return "up to date"
    timings = ", ".join(f"{stage} {value * 1000:.0f} ms" for stage, value in seconds.items())
    return f"{result.structure}: recomputed {timings}"
