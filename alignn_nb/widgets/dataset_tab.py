"""`DatasetTab`: a whole dataset's graph sizes, memory and heaviest batch for the current config.

Each scan is a Job (`alignn_nb.sizing.stats.stats_job`, streamed in this kernel or
on a Dask cluster); the tab only observes it and draws: its progress (with the rate and
the ETA), the histograms of atoms, edges and triplets per structure as the counts arrive,
the heaviest structures so far (a bounded list), and at the end the totals, the graph
memory, the heaviest batch, the estimates and advice when they are there, the skipped
entries and the ids over the triplet budget. A new request stops the running job, and a
job waits ``settle`` seconds before reading, so a burst of edits becomes one scan of the
latest values. Nothing is scanned until `live` is first set: the dashboard sets it while
the tab is open, so a page that never opens it pays nothing.
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from ipywidgets import CallbackDispatcher
from traitlets import Bool, Instance, Int, TraitError, Unicode, observe

from alignn_nb.compute import Job, format_progress
from alignn_nb.config import SHAPE_FIELDS, ALIGNNAtomWiseConfig, GraphConfig, TrainingSettings
from alignn_nb.datasets import EXAMPLE_DATASETS, example_dataset_path
from alignn_nb.sizing import MEMORY_FIELDS, has_estimates, rescan_fields
from alignn_nb.widgets._dataset_controls import dataset_controls

log = logging.getLogger(__name__)
DEFAULT_EXAMPLE = "jarvis_ff_sample"
EXAMPLE_LABELS = {"jarvis_ff_sample": "JARVIS sample (50)", "mlearn_Si": "mlearn Si (264)"}
DATASET_SUFFIXES = (".json", ".zip", ".xyz", ".extxyz")
"""Uploads the scan reads: alignn's id_prop.json (or .json.zip) and extxyz files."""
_ERROR_COLOUR = "#b00020"
PLOT_HINT = (
    "Pick an example, type a path or upload a dataset: its atoms, edges and triplets per "
    "structure are drawn here."
)
SETTLE_SECONDS = 0.3
"""Quiet time after the last edit before a scan reads: what merges a burst of edits."""
STAGE_LINES = {
    "calibrating": "calibrating training steps on this machine (once per model shape)…",
    "advising": "advising: recounting a sample after one change of each field…",
}
DRAW_SECONDS = 2.0
"""Least time between two drawings of the histograms while a scan runs."""


class DatasetTab(widgets.VBox):
    """Scan a dataset for the config and graph options, live, and show what alignn will hold.

    The controls are attributes: ``example_dropdown``, ``path_text`` (Enter scans the
    path), ``upload`` (an `UploadButton`), ``batch_text``, ``stop_button``, ``progress``,
    ``rate_html`` (done, rate and ETA), ``heaviest_dropdown`` (pick one of the heaviest
    structures: the `on_jump` callbacks get its atoms and label), ``message_html``,
    ``summary_html`` and ``plot``. ``job`` is the running (or last) scan's `Job`.
    A failed scan only sets `message`; `stats` keeps the last good result.
    """

    config = Instance(ALIGNNAtomWiseConfig, help="The model config the scan counts for.")
    graph = Instance(GraphConfig, help="The graph options the scan counts for.")
    source = Unicode("", help="The dataset scanned: a folder, glob, id_prop.json or extxyz.")
    training = Instance(
        TrainingSettings, help="The training settings: the scan's batch is their batch_size."
    )
    scheduler = Unicode(
        "", help="A Dask scheduler (tcp://HOST:PORT) to scan on; empty scans in this kernel."
    )
    estimate = Bool(
        False,
        help="Also estimate a training step's peak memory and the epoch time, from real "
        "alignn steps calibrated once per model shape (about half a minute).",
    )
    live = Bool(False, help="Scan now and on every change; while False changes wait.")
    stats = Instance(dict, allow_none=True, help="The last good result of `dataset_stats`.")
    scanned = Unicode("", help="The path `stats` was scanned from.")
    message = Unicode("", help="What the last scan did, or why it failed.")
    failed = Bool(False, help="True when `message` is an error.")
    running = Bool(False, help="True while a scan runs.")
    scans = Int(0, help="Scans started so far (a burst of changes starts one).")
    job = Instance(Job, allow_none=True, help="The running (or last) scan: a stats Job.")

    def __init__(
        self,
        config: ALIGNNAtomWiseConfig,
        graph: GraphConfig,
        settle: float = SETTLE_SECONDS,
        training: TrainingSettings | None = None,
        **kwargs: Any,
    ) -> None:
        """``settle``: seconds without a change before a scan reads (merges a burst)."""
        self._settle = settle
        self._requested: tuple | None = None
        self._stopped = False
        self._syncing = False
        self._drawn = 0.0
        self._uploads: tempfile.TemporaryDirectory | None = None
        self._jump_handlers = CallbackDispatcher()
        self._costs: dict[tuple, tuple[list, str]] = {}
        self._heavy_source = ""
        self._make_controls()
        kwargs.setdefault("source", str(example_dataset_path(DEFAULT_EXAMPLE)))
        kwargs["training"] = TrainingSettings() if training is None else training
        super().__init__(children=self._layout(), config=config, graph=graph, **kwargs)
        self.training.observe(self._on_input_changed, "batch_size")
        self.config.observe(self._on_field_changed)
        self.graph.observe(self._on_field_changed)

    def __repr__(self) -> str:
        shown = (
            "nothing scanned" if self.stats is None else f"{self.stats['structures']} structures"
        )
        return f"DatasetTab({Path(self.source).name!r}, {shown})"

    @observe("source", "scheduler", "estimate", "live")
    def _on_input_changed(self, change: dict) -> None:
        self._sync_controls()
        self._request()

    @observe("message", "failed")
    def _on_message_changed(self, change: dict) -> None:
        colour = f" style='color:{_ERROR_COLOUR}'" if self.failed else ""
        self.message_html.value = (
            f"<div class='alignn-nb-dataset-message'{colour}>{html.escape(self.message)}</div>"
        )

    @observe("running")
    def _on_running_changed(self, change: dict) -> None:
        self.stop_button.disabled = not change["new"]

    def _on_field_changed(self, change: dict) -> None:
        self._request()

    def _on_example_picked(self, change: dict) -> None:
        if not self._syncing and change["new"] is not None:
            self.source = str(example_dataset_path(change["new"]))

    def _on_path_entered(self, change: dict) -> None:
        if not self._syncing and change["new"].strip():
            self.source = change["new"].strip()

    def _on_batch_entered(self, change: dict) -> None:
        if self._syncing:
            return
        try:
            self.training.batch_size = change["new"]
        except TraitError as refusal:
            self._say(str(refusal), failed=True)
            self.batch_text.value = self.training.batch_size

    def _on_scheduler_entered(self, change: dict) -> None:
        if not self._syncing:
            self.scheduler = change["new"].strip()

    def _on_heaviest_picked(self, change: dict) -> None:
        if change["new"] is not None:
            self.jump(change["new"])

    def _on_job_event(self, change: dict) -> None:
        event = change["new"]
        if change["owner"] is not self.job or event is None:
            return
        if event.kind == "stage" and event.data == "scanning":
            self.scans += 1
            self._say(f"scanning {Path(self._heavy_source).name}…")
        elif event.kind == "stage":
            self._say(STAGE_LINES.get(event.data, event.data))
        elif event.kind == "counts":
            self._draw_counts(event.data)

    def _on_job_progress(self, change: dict) -> None:
        if change["owner"] is not self.job:
            return
        progress = change["new"]
        self.progress.max = max(1, progress.total or progress.done)
        self.progress.value = progress.done
        self.rate_html.value = html.escape(format_progress(progress))

    def _on_job_state(self, change: dict) -> None:
        job: Job = change["owner"]
        if job is not self.job or change["new"] not in ("done", "failed", "stopped"):
            return
        self.running = False
        if change["new"] == "done" and job.result is not None:
            self._show(job.result)
        elif change["new"] == "failed" and job.error is not None:
            self._fail(job.error.exception or RuntimeError(str(job.error)))
        elif self._stopped:
            kept = "; showing the previous result" if self.stats is not None else ""
            self._say(f"stopped{kept}")

    def _make_controls(self) -> None:
        made = dataset_controls(DEFAULT_EXAMPLE, EXAMPLE_LABELS, DATASET_SUFFIXES, PLOT_HINT)
        self.example_dropdown, self.path_text = made.example_dropdown, made.path_text
        self.upload, self.batch_text = made.upload, made.batch_text
        self.scheduler_text, self.estimate_box = made.scheduler_text, made.estimate_box
        self.stop_button, self.progress, self.rate_html = (
            made.stop_button, made.progress, made.rate_html
        )  # fmt: skip
        self.heaviest_dropdown, self.message_html = made.heaviest_dropdown, made.message_html
        self.summary_html, self.plot = made.summary_html, made.plot
        self._rows = made.rows
        self._wire_controls()

    def _wire_controls(self) -> None:
        self.example_dropdown.observe(self._on_example_picked, "value")
        self.path_text.observe(self._on_path_entered, "value")
        self.upload.on_file(self.load_upload)
        self.upload.on_refused(lambda message: self._say(message, failed=True))
        self.batch_text.observe(self._on_batch_entered, "value")
        self.scheduler_text.observe(self._on_scheduler_entered, "value")
        widgets.link((self.estimate_box, "value"), (self, "estimate"))
        self.stop_button.on_click(lambda _: self.stop())
        self.heaviest_dropdown.observe(self._on_heaviest_picked, "value")

    def _layout(self) -> list[widgets.Widget]:
        return self._rows()

    def _sync_controls(self) -> None:
        """Show `source` and the batch size in the controls; the example when it is one."""
        examples = {str(example_dataset_path(n)): n for n in EXAMPLE_DATASETS}
        self._syncing = True
        try:
            self.example_dropdown.value = examples.get(self.source)
            self.path_text.value = self.source
            self.batch_text.value = self.training.batch_size
            self.scheduler_text.value = self.scheduler
        finally:
            self._syncing = False

    def _say(self, text: str, failed: bool = False) -> None:
        with self.hold_trait_notifications():
            self.message, self.failed = text, failed

    def _request(self) -> None:
        """Start a scan of the latest inputs, unless they are what was last requested (the
        running scan, if any, is stopped). A change of the model's shape rescans only when
        the shown result has estimates."""
        if not self.live or not self.source:
            return
        cfg, graph = self.config.to_dict(), self.graph.to_dict()
        where = (self.source, self.scheduler, self.estimate)
        rescan, shape = [cfg[n] for n in rescan_fields()], [cfg[n] for n in SHAPE_FIELDS]
        key = (where, self.training.batch_size, rescan, graph, shape)
        last = self._requested
        if last is not None and key[:4] == last[:4]:
            if key[4] == last[4] or not has_estimates(self.stats):
                return
        self._requested = key
        self._stopped = False
        if self.job is not None:
            self.job.stop()
        self._start(cfg, graph)

    def _start(self, cfg: dict, graph: dict) -> None:
        """A new stats job for the current inputs, observed here."""
        from alignn_nb.compute import Cluster
        from alignn_nb.sizing import ScanRequest, StatsRequest, stats_job

        try:
            cluster = Cluster(scheduler=self.scheduler) if self.scheduler else None
        except ValueError as refusal:
            self._fail(refusal)
            return
        costs, calibrate = None, False
        if self.estimate:
            cached = self._costs.get(self._shape(cfg))
            costs, calibrate = (tuple(cached[0]), False) if cached else (None, True)
        scan = ScanRequest(self.source, cfg, graph, cluster=cluster)
        request = StatsRequest(scan, self.training.batch_size, calibrate=calibrate, costs=costs,
                               delay=self._settle)  # fmt: skip
        job = stats_job(request)
        job.observe(self._on_job_event, "event")
        job.observe(self._on_job_progress, "progress")
        job.observe(self._on_job_state, "state")
        self._heavy_source = self.source
        self.job, self.running = job, True
        if calibrate:
            self._say("calibrating training steps on this machine (once per model shape)…")
        job.start()

    @staticmethod
    def _shape(cfg: dict) -> tuple:
        return tuple(str(cfg[n]) for n in (*SHAPE_FIELDS, *MEMORY_FIELDS))

    def _draw_counts(self, counts: dict) -> None:
        """The streamed histograms and heaviest structures of a running scan."""
        from alignn_nb.viz import count_histograms, figure_png

        self._show_heaviest(counts["heaviest"])
        if time.monotonic() - self._drawn >= DRAW_SECONDS and counts["structures"]:
            self._drawn = time.monotonic()
            self.plot.value = figure_png(count_histograms(counts["histograms"]))

    def _show_heaviest(self, heaviest: list[dict]) -> None:
        options = [
            (f"#{h['position']} {h['id']}: {h['atoms']} atoms, {h['triplets']:,} triplets",
             h["position"])
            for h in heaviest
        ]  # fmt: skip
        if options == list(self.heaviest_dropdown.options):
            return
        self.heaviest_dropdown.unobserve(self._on_heaviest_picked, "value")
        self.heaviest_dropdown.options, self.heaviest_dropdown.value = options, None
        self.heaviest_dropdown.observe(self._on_heaviest_picked, "value")
        self._heavy_ids = {h["position"]: h["id"] for h in heaviest}

    def _fail(self, failure: BaseException) -> None:
        text = str(failure)
        if not isinstance(failure, (FileNotFoundError, ValueError)):
            log.error("the dataset scan failed: %s", failure)
            text = f"the scan failed: {type(failure).__name__}: {failure}"
        kept = " (showing the previous result)" if self.stats is not None else ""
        self._say(text + kept, failed=True)

    def _show(self, stats: dict) -> None:
        from alignn_nb.training import StepCost
        from alignn_nb.viz import stats_html

        shape = self._shape(self.config.to_dict())
        if "step_costs" in stats:
            fitted = [StepCost.from_dict(c) for c in stats["step_costs"]]
            self._costs[shape] = (fitted, "")
        with self.hold_trait_notifications():
            self.stats, self.scanned = stats, self._heavy_source
        self._drawn = 0.0
        self.summary_html.value = stats_html(stats)
        self._say(
            f"{stats['dataset']}: {stats['structures']:,} structures scanned in "
            f"{stats['seconds']:.2f} s on {stats['where']}"
        )

    def load_upload(self, name: str, content: bytes) -> None:
        """Scan an uploaded dataset file (kept in a temporary folder while the tab lives)."""
        if not name.lower().endswith(DATASET_SUFFIXES):
            self._say(f"{name}: expected alignn's id_prop.json or an extxyz file", failed=True)
            return
        if self._uploads is None:  # made on the first upload only: most tabs never get one
            self._uploads = tempfile.TemporaryDirectory(prefix="alignn-nb-dataset-")
        path = Path(self._uploads.name) / os.path.basename(name)
        path.write_bytes(content)
        self._requested = None
        self.source = str(path)
        self._request()

    def stop(self) -> None:
        """Stop the running scan; the previous result stays."""
        self._stopped = True
        self._requested = None
        if self.job is not None:
            self.job.stop()

    def jump(self, position: int) -> None:
        """Hand the structure at ``position`` of the dataset (one of the heaviest) to the
        `on_jump` callbacks."""
        from alignn_nb.sizing import structure_at

        source = self._heavy_source or self.scanned
        if not source:
            self._say("nothing scanned yet", failed=True)
            return
        expected = getattr(self, "_heavy_ids", {}).get(position)
        try:
            atoms = structure_at(source, position, expected)
        except (FileNotFoundError, ValueError) as refusal:
            self._say(str(refusal), failed=True)
            return
        name = self.stats["dataset"] if self.stats else Path(source).name
        self._jump_handlers(atoms, f"{name}: {expected} (heaviest)")

    def on_jump(self, callback: Any, remove: bool = False) -> None:
        """Call ``callback(atoms, label)`` when a heaviest structure is picked."""
        self._jump_handlers.register_callback(callback, remove=remove)

    def wait(self, timeout: float | None = 300.0) -> bool:
        """Block until the latest scan has ended and is shown (for scripts and tests)."""
        job = self.job
        return True if job is None else job.wait(timeout)
