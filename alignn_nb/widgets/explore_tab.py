"""`ExploreTab`: open an alignn output folder, evaluate it and explore it (`ExploreView`).

Open runs `alignn_nb.evaluation.evaluation_job` (load the run and its data, evaluate a
split, compare with a second run: the task ``alignn-nb evaluate`` runs) as the tab's
`job`, which the tab only observes: its progress bar and, at the end, the evaluation; a
folder or data file that cannot be used is refused with its message and the evaluation
on display stays. The run's loss
curves (alignn's ``history_train.json`` and ``history_val.json``, each logged term
separately) are drawn above the evaluation. Below it, the `PhysicsView` checks the same
run (folder, data, weights, scheduler) on its own job when its Check is pressed.
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets as widgets
from traitlets import Bool, Enum, Instance, Unicode, observe

from alignn_nb.compute import FINISHED, Job
from alignn_nb.evaluation import AlignnHistory, EvaluatedRun, EvaluationRequest, evaluation_job
from alignn_nb.training import EXAMPLE_RUN_SUBSET, example_run_data, example_run_path
from alignn_nb.widgets._picture import Picture
from alignn_nb.widgets._resync import resync_on_display
from alignn_nb.widgets.explore_view import ExploreView
from alignn_nb.widgets.physics_view import PhysicsView
from alignn_nb.widgets.run_comparison_view import RunComparisonView

HINT = "Give alignn's output folder and the data it was trained on, then press Open."
EXAMPLE_HINT = (
    f"The example run: alignn trained briefly on {EXAMPLE_RUN_SUBSET} mlearn Si cells. "
    "Press Open to evaluate it, or give your own run folder and data."
)
REQUEST = ("folder", "data", "weights", "split", "compare", "scheduler")
"""The fields an Open reads, in the order of their inputs."""
SPLIT_CHOICES = ("", "train", "val", "test", "all")
"""The splits one can pick; "" is the test split, or all when the run recorded no split."""


class ExploreTab(widgets.VBox):
    """Run folder and data paths, an Open button, a progress bar and the `ExploreView`.

    Given neither a folder nor data, it starts on the example run alignn-nb ships
    (`alignn_nb.training.example_run`); "Example run" goes back to it.

    Its children, for scripts and tests to read: the inputs ``folder_text``,
    ``data_text``, ``weights_text``, ``split_dropdown``, ``compare_text`` and
    ``scheduler_text``; ``open_button`` and ``example_button``; ``progress`` (the
    evaluation's progress bar), ``message_html``, ``curves`` (the loss history), and the
    views ``comparison``, ``explore`` and ``physics``.
    """

    folder = Unicode("", help="alignn's output folder (config.json and best_model.pt).")
    data = Unicode("", help="The run's structures: id_prop.json, its folder or an extxyz file.")
    weights = Unicode(
        "", help="The weights file: a path or a name in the folder; empty: best_model.pt."
    )
    compare = Unicode("", help="A second run folder to compare with (its best_model.pt), or empty.")
    scheduler = Unicode(
        "", help="A Dask scheduler (tcp://HOST:PORT) to evaluate on; empty: in this kernel."
    )
    split = Enum(SPLIT_CHOICES, default_value="", help="Which structures; empty: test, or all.")
    history = Instance(
        AlignnHistory, allow_none=True, help="The opened run's loss history, or None."
    )
    job = Instance(Job, allow_none=True, help="The job of the last (or current) Open.")
    busy = Bool(False, help="True while an evaluation runs.")
    error = Unicode("", help="Why the last Open was refused, or empty.")

    def __init__(
        self,
        folder: str = "",
        data: str = "",
        weights: str = "",
        split: str = "",
        compare: str = "",
        scheduler: str = "",
        **kwargs: Any,
    ) -> None:
        self.folder_text = widgets.Text(description="run folder", placeholder="alignn output_dir")
        self.data_text = widgets.Text(description="data", placeholder="id_prop.json")
        self.weights_text = widgets.Text(description="weights", placeholder="best_model.pt")
        self.split_dropdown = widgets.Dropdown(
            options=[("test (or all)", ""), *[(s, s) for s in SPLIT_CHOICES[1:]]],
            description="split",
        )
        self.open_button = widgets.Button(description="Open", button_style="primary")
        self.example_button = widgets.Button(
            description="Example run", tooltip="open the example run alignn-nb ships"
        )
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="evaluating")
        self.message_html = widgets.HTML()
        self.curves = Picture()
        self.compare_text = widgets.Text(description="compare with", placeholder="a 2nd run")
        self.scheduler_text = widgets.Text(description="scheduler", placeholder="tcp://HOST:PORT")
        self.comparison = RunComparisonView()
        self.explore = ExploreView()
        self.physics = PhysicsView()
        fields = [self.folder_text, self.data_text, self.weights_text, self.split_dropdown]
        fields += [self.compare_text, self.scheduler_text]
        super().__init__(
            children=[
                widgets.HBox(
                    [*fields, self.open_button, self.example_button],
                    layout=widgets.Layout(flex_flow="wrap"),
                ),
                self.progress,
                self.message_html,
                self.curves,
                self.comparison,
                self.explore,
                self.physics,
            ],
            **kwargs,
        )
        for field, name in zip(fields, REQUEST, strict=True):
            widgets.link((field, "value"), (self, name))
        for name in ("folder", "data", "weights", "scheduler"):
            widgets.dlink((self, name), (self.physics, name))
        self.open_button.on_click(lambda _: self.open_run())
        self.example_button.on_click(lambda _: self.open_example())
        if not folder and not data:
            folder, data = str(example_run_path()), str(example_run_data())
        self.folder, self.data, self.weights, self.split = folder, data, weights, split
        self.compare, self.scheduler = compare, scheduler
        self._opened = False
        self.message_html.value = html.escape(EXAMPLE_HINT if self._on_example() else HINT)
        self._views_lock = threading.RLock()
        resync_on_display(self, self._views_lock)

    @observe("history")
    def _on_history_changed(self, change: dict) -> None:
        from alignn_nb.viz import figure_png, history_plot

        history = change["new"]
        self.curves.value = b"" if history is None else figure_png(history_plot(history))

    @observe("job")
    def _on_job_changed(self, change: dict) -> None:
        if change["old"] is not None:
            change["old"].unobserve(self._on_job_trait, names=["progress", "state"])
        if change["new"] is not None:
            change["new"].observe(self._on_job_trait, names=["progress", "state"])

    def _on_job_trait(self, change: dict) -> None:
        job: Job = change["owner"]
        if job is not self.job:
            return
        if change["name"] == "progress":
            progress = change["new"]
            self.progress.max, self.progress.value = max(progress.total or 1, 1), progress.done
        elif change["new"] in FINISHED:
            outcome: Any = job.result
            if not isinstance(outcome, EvaluatedRun):
                outcome = ValueError(job.error.message if job.error else "the Open was stopped")
            with self._views_lock:
                self._publish(job.message, outcome)

    def _publish(self, message: str, outcome: EvaluatedRun | Exception) -> None:
        """Show an opened run and its ``message``, or the error that stopped it."""
        try:
            if isinstance(outcome, Exception):
                self.error = str(outcome)
                shown = html.escape(self.error)
                self.message_html.value = f"<span style='color:#b00'>{shown}</span>"
                return
            run, evaluation = outcome.run, outcome.evaluation
            self.explore.evaluation, self.history = evaluation, run.history
            self.comparison.comparison = outcome.comparison
            self.error = ""
            self.message_html.value = html.escape(message)
        finally:
            self.busy = False
            self.open_button.disabled = False

    def _on_example(self) -> bool:
        return (self.folder, self.data) == (str(example_run_path()), str(example_run_data()))

    def open_run(self) -> Job | None:
        """Evaluate `folder` on `data` as a new `job`, started; returns it (None while one
        already runs)."""
        if self.busy:
            return None
        self._opened = True
        self.busy, self.open_button.disabled = True, True
        self.progress.value = 0
        self.message_html.value = html.escape(f"opening {self.folder} ...")
        request = EvaluationRequest(**{k: getattr(self, k) for k in REQUEST})
        job = self.job = evaluation_job(request, name="alignn-nb-explore")
        job.start()
        return job

    def open_example(self) -> Job | None:
        """Open the example run on its data, its test split (the other fields are cleared)."""
        with self.hold_trait_notifications():
            self.folder, self.data = str(example_run_path()), str(example_run_data())
            self.weights, self.split, self.compare = "", "", ""
        return self.open_run()

    def open_unless_opened(self) -> Job | None:
        """Open the run in the fields if no Open has run yet and both folder and data are
        given (the dashboard calls it when the tab is first shown)."""
        if self._opened or not (self.folder and self.data):
            return None
        return self.open_run()
