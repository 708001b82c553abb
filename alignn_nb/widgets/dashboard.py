"""`Dashboard`: config, structure, model, prediction, graph and loss in one live app."""

from __future__ import annotations

import html
import logging
import threading
import time
from typing import Any

import ipywidgets as widgets
from traitlets import Instance, Unicode, observe

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, TrainingSettings
from alignn_nb.datasets import Dataset, default_dataset
from alignn_nb.live import LiveResult, LiveSession
from alignn_nb.widgets._resync import resync_on_display
from alignn_nb.widgets.config_form import ConfigForm
from alignn_nb.widgets.config_toolbar import ConfigToolbar
from alignn_nb.widgets.dataset_tab import DatasetTab
from alignn_nb.widgets.explore_tab import ExploreTab
from alignn_nb.widgets.graph_view import GraphView
from alignn_nb.widgets.loss_tab import LossTab
from alignn_nb.widgets.model_summary_view import ModelSummaryView
from alignn_nb.widgets.prediction_view import PredictionView
from alignn_nb.widgets.structure_picker import StructurePicker
from alignn_nb.widgets.sweep_tab import SweepTab
from alignn_nb.widgets.train_tab import TrainTab

log = logging.getLogger(__name__)
LEFT_WIDTH = "480px"
GRAPH_VIEW_HEIGHT = "400px"
TAB_GUIDE = {
    "Prediction": "the energy, forces and stress alignn's model predicts for the picked "
    "structure, live",
    "Model": "alignn's layers and the parameter count of each",
    "Loss terms": "each term of alignn's training loss on a small dataset, how the weights "
    "shift them, a short training run with live curves, and alignn's history files",
    "Sweep": "tune fields of the config with Optuna over short trainings on Dask: the trials, "
    "their parallel coordinates and importances, and the best trial applied as one undo step",
    "Train": "alignn's own training of the form's config on a dataset, in a process of its "
    "own: live curves of each loss term, the epochs with their ETA, the log's tail, stop and "
    "resume, and the run opened in Explore when it ends",
    "Explore": "a trained alignn run evaluated (the example run alignn-nb ships, until you "
    "open yours): loss curves, parity plots, structures worst-first, force errors in 3D, and "
    "a second run compared",
    "Dataset": "a whole dataset's atoms, edges and triplets per structure for the current "
    "config, the memory alignn's graphs take, the heaviest batch, and advice",
}
"""Each tab of the dashboard, in order, and what it shows: the one list of the tabs (the
start page, ``notebooks/index.ipynb``, lists them the same, as its test checks)."""
TABS = tuple(TAB_GUIDE)


class Dashboard(widgets.VBox):
    """The whole of alignn-nb: edit a config and see alignn's model, graph and loss follow.

    Every change is handed to a `LiveSession`, which recomputes only the stages it
    touches on a worker thread; the views show the newest published round, marked stale
    while a newer one is pending. Errors appear in the status line and the last good
    results stay on screen; so does a view that fails to show a round (the traceback is
    logged), while the other views still update. A page that loads mid-round is sent the
    views' state again once it has drawn them, so it never keeps an update it missed.

    The training settings are one `TrainingSettings`, `training`, which the form, the
    toolbar (load, Save, undo), the Dataset tab, the Loss terms tab and the Sweep tab share.

    Its children, for scripts and tests to read: ``status_html`` (the status line),
    ``toolbar``, ``form``, ``picker``, ``graph_view``, ``prediction``, ``summary``, the
    tabs' widgets ``loss_plot``, ``sweep``, ``train``, ``explore`` and ``dataset_tab``, and
    ``tabs``.

    ``train_output`` is the Train tab's output folder; a run still going there (the
    notebook reopened) is followed again.
    """

    config = Instance(ALIGNNAtomWiseConfig, help="The model config (edited in place).")
    graph = Instance(GraphConfig, help="The graph options (edited in place).")
    training = Instance(
        TrainingSettings,
        help="The training settings (edited in place): the one place every tab reads them.",
    )
    session = Instance(LiveSession, help="The rebuild engine behind the views.")
    status = Unicode("", help="What is being recomputed, the time of each stage, or the error.")

    def __init__(
        self,
        config: ALIGNNAtomWiseConfig | None = None,
        graph: GraphConfig | None = None,
        structure: str = "Si",
        dataset: Dataset | None = None,
        training: TrainingSettings | None = None,
        train_output: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._status_failed = False
        self._views_lock = threading.RLock()
        self.config = config or ALIGNNAtomWiseConfig()
        self.graph = graph or GraphConfig()
        self.training = TrainingSettings() if training is None else training
        self._make_parts(structure, dataset if dataset is not None else default_dataset())
        self.train = TrainTab(self.toolbar, output=train_output)
        self.children = self._layout()
        self.session = LiveSession(
            self.config,
            self.graph,
            self.picker.atoms,
            self.picker.label,
            dataset=self.loss_plot.dataset,
        )
        self._connect()
        resync_on_display(self, self._views_lock)
        self.session.request()

    @observe("status")
    def _on_status_changed(self, change: dict) -> None:
        self._render_status()

    def _on_input_changed(self, change: dict) -> None:
        self.session.request()

    def _on_structure_picked(self, change: dict) -> None:
        self.session.atoms, self.session.label = self.picker.atoms, self.picker.label
        self.session.request()

    def _on_dataset_changed(self, change: dict) -> None:
        self.session.dataset = change["new"]
        self.picker.dataset = change["new"]
        self.sweep.dataset = change["new"]
        if change["new"] is not None and change["new"].path:
            self.dataset_tab.source = change["new"].path
        self.session.request()

    def _on_training_changed(self, change: dict) -> None:
        run = self.loss_plot.run
        if change["new"] or run is None:
            return
        if self.loss_plot.model is not run.model:
            self._set_status(self.loss_plot.status, failed=True)
            return
        try:
            self.session.adopt_model(run.model, run.config)
        except ValueError as refused:
            self._set_status(f"the trained weights were not adopted: {refused}", failed=True)

    def _on_tab_selected(self, change: dict) -> None:
        """The Dataset tab scans only while open (its first scan waits for the first opening);
        the Explore tab opens its run (the example run) when it is first shown."""
        self.dataset_tab.live = change["new"] == TABS.index("Dataset")
        if change["new"] == TABS.index("Explore"):
            self.explore.open_unless_opened()

    def _on_sent_to_train(self, change: dict) -> None:
        self.tabs.selected_index = TABS.index("Train")

    def _on_running_changed(self, change: dict) -> None:
        if change["new"]:
            self._set_status(f"recomputing {change['new']}…", failed=False)

    def _on_stale_changed(self, change: dict) -> None:
        self.summary.stale = self.prediction.stale = change["new"]

    def _on_result(self, change: dict) -> None:
        """Publish a round to the views (on the engine's thread), one resend at a time."""
        with self._views_lock:
            self._show_round(change["new"])

    def _show_round(self, result: LiveResult) -> None:
        seconds = dict(result.seconds)
        failures: list[str] = []
        if result.error is None:
            seconds.update(self._show(result, failures))
        self.prediction.timings = seconds
        self.prediction.error = self.summary.error = (
            "" if result.error is None else f"{result.error.stage}: {result.error.message}"
        )
        failed = result.error is not None or bool(failures)
        self._set_status(_status_line(result, seconds, failures), failed)

    def _on_publish_error(self, change: dict) -> None:
        if change["new"]:
            self._set_status(
                f"the views were not all updated: {change['new']} (see the log)", failed=True
            )

    def _make_parts(self, structure: str, dataset: Dataset) -> None:
        self.toolbar = ConfigToolbar(config=self.config, graph=self.graph, settings=self.training)
        self.form = ConfigForm(config=self.config, graph=self.graph, training=self.training)
        self.picker = StructurePicker(dataset=dataset)
        self.picker.select_example(structure)
        self.graph_view = GraphView()
        self.graph_view.view._view_height = GRAPH_VIEW_HEIGHT
        self.prediction = PredictionView()
        self.summary = ModelSummaryView(follow=False)
        self.loss_plot = LossTab(
            config=self.config,
            graph=self.graph,
            settings=self.training,
            dataset=dataset,
            auto_compute=False,
        )
        self.sweep = SweepTab(self.toolbar, dataset)
        self.explore = ExploreTab()
        self.dataset_tab = DatasetTab(self.config, self.graph, training=self.training)
        if dataset.path:
            self.dataset_tab.source = dataset.path
        self.status_html = widgets.HTML()

    def _layout(self) -> list[widgets.Widget]:
        left = widgets.VBox(
            [self.toolbar, self.form],
            layout=widgets.Layout(width=LEFT_WIDTH, min_width=LEFT_WIDTH, overflow="auto"),
        )
        tabs = widgets.Tab(
            children=[
                self.prediction,
                self.summary,
                self.loss_plot,
                self.sweep,
                self.train,
                self.explore,
                self.dataset_tab,
            ],
            titles=TABS,
        )
        right = widgets.VBox(
            [self.picker, self.graph_view, tabs],
            layout=widgets.Layout(flex="1 1 auto", min_width="0", padding="0 0 0 10px"),
        )
        self.tabs = tabs
        return [self.status_html, widgets.HBox([left, right])]

    def _connect(self) -> None:
        self.config.observe(self._on_input_changed)
        self.graph.observe(self._on_input_changed)
        self.picker.observe(self._on_structure_picked, "atoms")
        self.loss_plot.observe(self._on_dataset_changed, "dataset")
        self.loss_plot.observe(self._on_training_changed, "training")
        self.session.observe(self._on_result, "result")
        self.session.observe(self._on_running_changed, "running")
        self.session.observe(self._on_stale_changed, "stale")
        self.session.observe(self._on_publish_error, "publish_error")
        self.tabs.observe(self._on_tab_selected, "selected_index")
        self.dataset_tab.on_jump(self.picker.select_structure)
        self.sweep.observe(self._on_sent_to_train, "sent_to_train")
        self.train.on_open(self.open_in_explore)

    def _set_status(self, text: str, failed: bool) -> None:
        """Show ``text`` in the status line, in red when something ``failed``."""
        self._status_failed = failed
        if self.status == text:
            self._render_status()
        self.status = text

    def _render_status(self) -> None:
        colour = "#b00020" if self._status_failed else "#444"
        self.status_html.value = (
            f"<div class='alignn-nb-status' style='color:{colour}'>{html.escape(self.status)}</div>"
        )

    def _show(self, result: LiveResult, failures: list[str]) -> dict[str, float]:
        """Put a successful round on the views; ``{"view": s}`` if the graph view redrew.

        A view that raises is logged and named in ``failures``; the others still update.
        """
        seconds: dict[str, float] = {}
        self._guarded("model summary", failures, setattr, self.summary, "summary", result.summary)
        self._guarded("prediction", failures, self._show_prediction, result)
        self._guarded("loss terms", failures, self._show_losses, result)
        self._guarded("graph", failures, self._show_graphs, result, seconds)
        return seconds

    def _guarded(self, view: str, failures: list[str], show: Any, *args: Any) -> None:
        try:
            show(*args)
        except Exception as failure:  # one broken view must not hide the others
            log.exception("the %s view failed to show a live round", view)
            failures.append(f"the {view} view failed: {type(failure).__name__}: {failure}")

    def _show_prediction(self, result: LiveResult) -> None:
        self.prediction.show(result.prediction, parameters=result.summary.total)

    def _show_losses(self, result: LiveResult) -> None:
        self.loss_plot.model = result.model
        self.loss_plot.breakdown = result.losses

    def _show_graphs(self, result: LiveResult, seconds: dict[str, float]) -> None:
        if self.graph_view.graphs is result.graphs:
            return
        start = time.perf_counter()
        self.graph_view.graphs = result.graphs
        seconds["view"] = time.perf_counter() - start

    def alignn_config(self) -> dict[str, Any]:
        """The whole alignn training config the toolbar's Save writes, as a dict: the model
        block, the graph options, the training settings and the loaded file's other keys.

        Raises:
            AlignnConfigError: when the kept training keys cannot be written.
        """
        return self.toolbar.alignn_config()

    def open_in_explore(self, folder: str, data: str) -> None:
        """Show the Explore tab and open the run in ``folder`` on ``data`` there."""
        with self.explore.hold_trait_notifications():
            self.explore.folder, self.explore.data = folder, data
            self.explore.weights, self.explore.split, self.explore.compare = "", "", ""
        self.tabs.selected_index = TABS.index("Explore")
        self.explore.open_run()

    def wait(self, timeout: float | None = 300.0) -> LiveResult | None:
        """Block until the views show the latest change (for scripts and tests)."""
        return self.session.wait(timeout)


def _status_line(result: LiveResult, seconds: dict[str, float], failures: list[str]) -> str:
    if result.error is not None:
        return (
            f"{result.error.stage} failed: {result.error.message} (showing the last good results)"
        )
    if not seconds:
        line = "up to date"
    else:
        timings = ", ".join(f"{stage} {value * 1000:.0f} ms" for stage, value in seconds.items())
        line = f"{result.structure}: recomputed {timings}"
    return "; ".join([line, *failures]) + (" (see the log)" if failures else "")
