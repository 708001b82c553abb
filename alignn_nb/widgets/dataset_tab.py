"""`DatasetTab`: a whole dataset's graph sizes, memory and heaviest batch for the current config.

The tab scans a dataset with `alignn_nb.sizing.stats.dataset_stats` on a worker thread
(a `LatestRunner`, so a burst of edits becomes one scan of the latest values) and shows
the histograms of atoms, edges and triplets per structure, the totals, the graph memory,
the heaviest batch, the estimates and advice when they are there, the skipped entries and
the ids over the triplet budget. Nothing is scanned until `live` is first set: the
dashboard sets it while the tab is open, so a page that never opens it pays nothing.
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from ipywidgets import CallbackDispatcher
from traitlets import Bool, Instance, Int, TraitError, Unicode, observe

from alignn_nb.compute import SETTLE_SECONDS, LatestRunner
from alignn_nb.config import SHAPE_FIELDS, ALIGNNAtomWiseConfig, GraphConfig, TrainingSettings
from alignn_nb.datasets import EXAMPLE_DATASETS, example_dataset_path
from alignn_nb.sizing import MEMORY_FIELDS, has_estimates, rescan_fields
from alignn_nb.structures import MAX_UPLOAD_MB
from alignn_nb.widgets._picture import Picture
from alignn_nb.widgets.upload_button import UploadButton

log = logging.getLogger(__name__)
DEFAULT_EXAMPLE = "jarvis_ff_sample"
EXAMPLE_LABELS = {"jarvis_ff_sample": "JARVIS sample (50)", "mlearn_Si": "mlearn Si (264)"}
DATASET_SUFFIXES = (".json", ".zip", ".xyz", ".extxyz")
"""Uploads the scan reads: alignn's id_prop.json (or .json.zip) and extxyz files."""
_ERROR_COLOUR = "#b00020"
_STYLE = {"description_width": "70px"}
PLOT_HINT = (
    "Pick an example, type a path or upload a dataset: its atoms, edges and triplets per "
    "structure are drawn here."
)


class DatasetTab(widgets.VBox):
    """Scan a dataset for the config and graph options, live, and show what alignn will hold.

    The controls are attributes: ``example_dropdown``, ``path_text`` (Enter scans the
    path), ``upload`` (an `UploadButton`), ``batch_text``, ``stop_button``, ``progress``,
    ``heaviest_dropdown`` (pick one of the heaviest structures: the `on_jump` callbacks
    get its atoms and label), ``message_html``, ``summary_html`` and ``plot``.
    A failed scan only sets `message`; `stats` keeps the last good result.
    """

    config = Instance(ALIGNNAtomWiseConfig, help="The model config the scan counts for.")
    graph = Instance(GraphConfig, help="The graph options the scan counts for.")
    source = Unicode("", help="The dataset scanned: a folder, id_prop.json or extxyz path.")
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

    def __init__(
        self,
        config: ALIGNNAtomWiseConfig,
        graph: GraphConfig,
        settle: float = SETTLE_SECONDS,
        training: TrainingSettings | None = None,
        **kwargs: Any,
    ) -> None:
        """``settle``: seconds without a change before a scan starts (merges a burst)."""
        self._runner = LatestRunner(self._scan, "alignn-nb-dataset-scan", settle)
        self._requested: tuple | None = None
        self._stopped = False
        self._syncing = False
        self._uploads: tempfile.TemporaryDirectory | None = None
        self._jump_handlers = CallbackDispatcher()
        self._costs: dict[tuple, tuple[list, str]] = {}
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

    def _make_controls(self) -> None:
        self.example_dropdown = widgets.Dropdown(
            options=[(EXAMPLE_LABELS.get(n, n), n) for n in EXAMPLE_DATASETS],
            value=DEFAULT_EXAMPLE,
            description="Example",
            style=_STYLE,
            layout=widgets.Layout(width="240px"),
        )
        self.path_text = widgets.Text(
            description="Path",
            placeholder="a dataset folder, id_prop.json or .extxyz; Enter scans it",
            continuous_update=False,
            style=_STYLE,
            layout=widgets.Layout(width="420px"),
        )
        self.upload = UploadButton(
            accept=list(DATASET_SUFFIXES),
            kind="a dataset file",
            description="Upload dataset",
            tooltip=f"alignn's id_prop.json (.zip) or an extxyz file; at most {MAX_UPLOAD_MB} MB",
        )
        self.batch_text = widgets.BoundedIntText(
            value=64, min=0, max=10**6, description="Batch", style=_STYLE,
            layout=widgets.Layout(width="160px"),
        )  # fmt: skip
        self.scheduler_text = widgets.Text(
            description="Dask",
            placeholder="tcp://HOST:PORT, or empty for this kernel",
            continuous_update=False,
            style={"description_width": "40px"},
            layout=widgets.Layout(width="280px"),
        )
        self.estimate_box = widgets.Checkbox(
            description="estimate training steps (calibrates once per model shape, ~30 s)",
            indent=False,
        )
        self.stop_button = widgets.Button(description="Stop", button_style="danger", disabled=True)
        self.progress = widgets.IntProgress(min=0, max=1, description="Scan", style=_STYLE)
        self.heaviest_dropdown = widgets.Dropdown(
            options=[],
            value=None,
            description="Heaviest",
            style=_STYLE,
            layout=widgets.Layout(width="420px"),
        )
        self.message_html = widgets.HTML()
        self.summary_html = widgets.HTML()
        self.plot = Picture(PLOT_HINT, max_width="100%")
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
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        return [
            widgets.HBox([self.example_dropdown, self.path_text, self.upload], layout=row),
            widgets.HBox(
                [self.batch_text, self.scheduler_text, self.progress, self.stop_button], layout=row
            ),
            self.estimate_box,
            self.message_html,
            self.summary_html,
            self.heaviest_dropdown,
            self.plot,
        ]

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
        """Hand the latest inputs to the runner, unless they are what was last requested.

        A change of the model's shape rescans only when the shown result has estimates.
        """
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
        batch_size = self.training.batch_size
        request = (self.source, batch_size, cfg, graph, self.scheduler, self.estimate)
        self._runner.request(request)

    def _scan(self, request: tuple, cancel: threading.Event) -> None:
        """Run one scan (on the worker thread) and show it, unless it was superseded."""
        source = request[0]
        with self.hold_trait_notifications():
            self.scans += 1
            self.running = True
        self._say(f"scanning {Path(source).name}…")
        self.progress.value = 0
        try:
            found = self._count(request, cancel)
        except Exception as failure:  # any failure is shown; the last good result stays
            found = None
            if not cancel.is_set():
                self._fail(failure)
        finally:
            self.running = False
        if cancel.is_set():
            self._say_stopped()
        elif found is not None:
            self._show(source, *found)

    def _count(self, request: tuple, cancel: threading.Event) -> tuple[dict, bytes] | None:
        """The stats of ``request`` and their histograms as PNG; None when cancelled."""
        from alignn_nb.compute import Cluster
        from alignn_nb.sizing import dataset_stats
        from alignn_nb.viz import figure_png, size_histograms

        source, batch_size, cfg, graph, scheduler, estimate = request
        settings = ALIGNNAtomWiseConfig(**cfg), GraphConfig(**graph)
        costs, why_not = self._step_costs(*settings) if estimate else (None, "")
        stats = dataset_stats(
            source,
            *settings,
            batch_size=batch_size,
            cluster=Cluster(scheduler=scheduler) if scheduler else None,
            on_progress=self._on_progress,
            stop=cancel,
            costs=costs,
        )
        if cancel.is_set():
            return None
        stats["notes"] += [why_not] if why_not else []
        return stats, figure_png(size_histograms(stats["per_structure"]))

    def _step_costs(self, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> tuple[list | None, str]:
        """Fitted step costs for ``cfg``'s model shape (calibrated on first use, then kept),
        and why there are none when the calibration failed."""
        from alignn_nb.sizing import fit_step_costs

        values = cfg.to_dict()
        key = tuple(str(values[n]) for n in (*SHAPE_FIELDS, *MEMORY_FIELDS))
        if key not in self._costs:
            self._say("calibrating training steps on this machine (once per model shape)…")
            fitted, why_not, _ = fit_step_costs(cfg, graph)
            self._costs[key] = (list(fitted.values()), "" if fitted else why_not)
        costs, why_not = self._costs[key]
        return costs or None, why_not

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.max = max(1, total)
        self.progress.value = done

    def _fail(self, failure: Exception) -> None:
        text = str(failure)
        if not isinstance(failure, (FileNotFoundError, ValueError)):
            log.exception("the dataset scan failed")
            text = f"the scan failed: {type(failure).__name__}: {failure}"
        kept = " (showing the previous result)" if self.stats is not None else ""
        self._say(text + kept, failed=True)

    def _say_stopped(self) -> None:
        if self._stopped:
            kept = "; showing the previous result" if self.stats is not None else ""
            self._say(f"stopped{kept}")

    def _show(self, source: str, stats: dict, picture: bytes) -> None:
        from alignn_nb.viz import heaviest_structures, stats_html

        rows = stats["per_structure"]
        options = [
            (f"#{i} {rows[i]['id']}: {rows[i]['atoms']} atoms, {rows[i]['triplets']:,} triplets", i)
            for i in heaviest_structures(rows)
        ]
        with self.hold_trait_notifications():
            self.stats, self.scanned = stats, source
        self.plot.value = picture
        self.summary_html.value = stats_html(stats)
        self.heaviest_dropdown.unobserve(self._on_heaviest_picked, "value")
        self.heaviest_dropdown.options, self.heaviest_dropdown.value = options, None
        self.heaviest_dropdown.observe(self._on_heaviest_picked, "value")
        self._say(
            f"{stats['dataset']}: {stats['structures']} structures scanned in "
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
        self._runner.cancel()

    def jump(self, row: int) -> None:
        """Hand structure ``row`` of `stats`' ``per_structure`` to the `on_jump` callbacks."""
        from alignn_nb.sizing import counted_structure

        if self.stats is None:
            self._say("nothing scanned yet", failed=True)
            return
        try:
            atoms = counted_structure(self.scanned, self.stats, row)
        except (FileNotFoundError, ValueError) as refusal:
            self._say(str(refusal), failed=True)
            return
        found = self.stats["per_structure"][row]
        self._jump_handlers(atoms, f"{self.stats['dataset']}: {found['id']} (heaviest)")

    def on_jump(self, callback: Any, remove: bool = False) -> None:
        """Call ``callback(atoms, label)`` when a heaviest structure is picked."""
        self._jump_handlers.register_callback(callback, remove=remove)

    def wait(self, timeout: float | None = 300.0) -> bool:
        """Block until the latest request is scanned and shown (for scripts and tests)."""
        return self._runner.wait(timeout)
