"""`ExploreTab`: open an alignn output folder, evaluate it and explore it (`ExploreView`).

Open runs `alignn_nb.evaluation.load_run`, `run_dataset` and `evaluate` on a worker thread
(`alignn_nb.compute.start_worker`) with a progress bar; a folder or data file that cannot be
used is refused with its message and the evaluation on display stays. The run's loss
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

from alignn_nb.evaluation import AlignnHistory
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


def _evaluate(request: dict[str, str], progress: Any, stop: threading.Event) -> tuple[Any, ...]:
    """The run in ``request["folder"]`` with ``request["weights"]`` (empty: best_model.pt),
    its evaluation on ``request["data"]``, split ``request["split"]``, and its comparison
    with the run in ``request["compare"]`` on the same structures (None without one). With
    ``request["scheduler"]`` the structures are evaluated on that Dask cluster."""
    from alignn_nb.evaluation import compare_runs, evaluate, load_run, run_dataset

    folder, data = request["folder"], request["data"]
    cluster = _cluster(request["scheduler"])
    if not folder:
        raise ValueError("give the run folder: alignn's output_dir")
    run = load_run(folder, request["weights"] or None)
    if not data:
        raise ValueError(
            f"give the structures: alignn records no data folder in {folder} "
            "(train_for_folder's root_dir is only printed)"
        )
    dataset = run_dataset(run, data)
    split = request["split"] or ("test" if run.ids is not None else "all")
    options = {"on_progress": progress, "stop": stop, "cluster": cluster}
    evaluation = evaluate(run, dataset, split, **options)
    if not request["compare"]:
        return run, evaluation, None
    other = load_run(request["compare"])
    other_evaluation = evaluate(other, dataset, split, **options)
    return run, evaluation, compare_runs((run, evaluation), (other, other_evaluation))


def _cluster(scheduler: str) -> Any:
    """The Dask cluster at ``scheduler``, or None (evaluate in this kernel) when empty."""
    if not scheduler.strip():
        return None
    from alignn_nb.compute import Cluster

    return Cluster(scheduler=scheduler.strip())


class ExploreTab(widgets.VBox):
    """Run folder and data paths, an Open button, a progress bar and the `ExploreView`.

    Given neither a folder nor data, it starts on the example run alignn-nb ships
    (`alignn_nb.training.example_run`); "Example run" goes back to it.
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
        self._folder_text = widgets.Text(description="run folder", placeholder="alignn output_dir")
        self._data_text = widgets.Text(description="data", placeholder="id_prop.json")
        self._weights_text = widgets.Text(description="weights", placeholder="best_model.pt")
        self._split_dropdown = widgets.Dropdown(
            options=[("test (or all)", ""), *[(s, s) for s in SPLIT_CHOICES[1:]]],
            description="split",
        )
        self._open_button = widgets.Button(description="Open", button_style="primary")
        self._example_button = widgets.Button(
            description="Example run", tooltip="open the example run alignn-nb ships"
        )
        self._progress = widgets.IntProgress(value=0, min=0, max=1, description="evaluating")
        self._message = widgets.HTML()
        self._curves = Picture()
        self._compare_text = widgets.Text(description="compare with", placeholder="a 2nd run")
        self._scheduler_text = widgets.Text(description="scheduler", placeholder="tcp://HOST:PORT")
        self.comparison = RunComparisonView()
        self.explore = ExploreView()
        self.physics = PhysicsView()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        fields = [self._folder_text, self._data_text, self._weights_text, self._split_dropdown]
        fields += [self._compare_text, self._scheduler_text]
        super().__init__(
            children=[
                widgets.HBox(
                    [*fields, self._open_button, self._example_button],
                    layout=widgets.Layout(flex_flow="wrap"),
                ),
                self._progress,
                self._message,
                self._curves,
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
        self._open_button.on_click(lambda _: self.open_run())
        self._example_button.on_click(lambda _: self.open_example())
        if not folder and not data:
            folder, data = str(example_run_path()), str(example_run_data())
        self.folder, self.data, self.weights, self.split = folder, data, weights, split
        self.compare, self.scheduler = compare, scheduler
        self._opened = False
        self._message.value = html.escape(EXAMPLE_HINT if self._on_example() else HINT)
        self._views_lock = threading.RLock()
        resync_on_display(self, self._views_lock)

    @observe("history")
    def _on_history_changed(self, change: dict) -> None:
        from alignn_nb.viz import figure_png, history_plot

        history = change["new"]
        self._curves.value = b"" if history is None else figure_png(history_plot(history))

    def _on_progress(self, done: int, total: int) -> None:
        self._progress.max, self._progress.value = max(total, 1), done

    def _work(self, request: dict[str, str]) -> None:
        try:
            outcome: Any = _evaluate(request, self._on_progress, self._stop)
        except (OSError, ValueError, InterruptedError) as error:
            outcome = error
        with self._views_lock:
            self._publish(request["folder"], outcome)

    def _publish(self, folder: str, outcome: Any) -> None:
        """Show an evaluation (run, evaluation, comparison), or the error that stopped it."""
        try:
            if isinstance(outcome, Exception):
                self.error = str(outcome)
                self._message.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
                return
            run, evaluation, comparison = outcome
            self.explore.evaluation, self.history = evaluation, run.history
            self.comparison.comparison = comparison
            self.error = ""
            self._message.value = html.escape(f"opened {folder}: {evaluation!r}")
        finally:
            self.busy = False
            self._open_button.disabled = False

    def _on_example(self) -> bool:
        return (self.folder, self.data) == (str(example_run_path()), str(example_run_data()))

    def open_run(self) -> threading.Thread | None:
        """Evaluate `folder` on `data` on a worker thread; returns the thread (None while
        one already runs)."""
        from alignn_nb.compute import start_worker

        if self.busy:
            return None
        self._opened = True
        self.busy, self._open_button.disabled = True, True
        self._stop.clear()
        self._progress.value = 0
        self._message.value = html.escape(f"opening {self.folder} ...")
        request = {k: getattr(self, k) for k in REQUEST}
        self._thread = start_worker(
            lambda: self._work(request), "alignn-nb-explore", self._stop.set
        )
        return self._thread

    def open_example(self) -> threading.Thread | None:
        """Open the example run on its data, its test split (the other fields are cleared)."""
        with self.hold_trait_notifications():
            self.folder, self.data = str(example_run_path()), str(example_run_data())
            self.weights, self.split, self.compare = "", "", ""
        return self.open_run()

    def open_unless_opened(self) -> threading.Thread | None:
        """Open the run in the fields if no Open has run yet and both folder and data are
        given (the dashboard calls it when the tab is first shown)."""
        if self._opened or not (self.folder and self.data):
            return None
        return self.open_run()
