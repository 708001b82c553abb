"""`TrainTab`: the dashboard's Train tab, alignn's own training of the form's config, watched.

The data is a path: typed in, filled by the example menu (the shipped mlearn Si set, or
the example run's first `EXAMPLE_RUN_SUBSET` of it), or by an upload. The config is the
form's: `form_config` reads what the toolbar's Save writes. Start checks the request with
`alignn_nb.training.check_training` (a refusal is one line and nothing starts) and starts
`alignn_nb.training.training_job`, alignn's ``train_for_folder`` in a process of its own.

The tab only observes that `Job` and draws it: each epoch event adds a point to each loss
term's training and validation curve, the progress bar shows the epochs and the ETA, and
the tail of the run's log follows. Stop ends the run at its last whole epoch; Resume
continues it with alignn's own resume; "Open in Explore" hands the run folder and its data
to the `on_open` callbacks. A tab made on a folder where a run is going follows that run
(`alignn_nb.training.attach`).
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from ipywidgets import CallbackDispatcher
from traitlets import Bool, Float, Instance, Int, List, Unicode, observe

from alignn_nb.compute import Job, format_duration
from alignn_nb.config import AlignnConfigError
from alignn_nb.structures import MAX_UPLOAD_MB
from alignn_nb.training import EXAMPLE_RUN_SUBSET, TrainFolder, example_run_data
from alignn_nb.widgets._picture import Picture
from alignn_nb.widgets._resync import resync_on_display
from alignn_nb.widgets.config_toolbar import ConfigToolbar
from alignn_nb.widgets.upload_button import UploadButton

LOG_LINES = 12
"""Lines of the run's log the tab shows."""
LOG_TAIL_BYTES = 32_768
"""How much of the log's end is read for its last lines."""
DATA_SUFFIXES = (".json", ".json.zip", ".extxyz", ".xyz")
EXAMPLES = {
    "": "examples…",
    "all": "mlearn Si (the shipped set)",
    "subset": f"mlearn Si, the example run's first {EXAMPLE_RUN_SUBSET}",
}
PLOT_HINT = "Press Start: each loss term's training and validation curve grows here."
DEFAULT_OUTPUT = "alignn-nb-run"
"""The output folder offered, under the kernel's working folder."""
_ERROR_COLOUR = "#b00020"


def form_config(toolbar: ConfigToolbar) -> dict[str, Any]:
    """The form's whole alignn training config: what the toolbar's Save writes.

    Raises:
        AlignnConfigError: when the form's training keys cannot be written.
    """
    return toolbar.alignn_config()


def _log_tail(path: Path, lines: int = LOG_LINES) -> str:
    """The last ``lines`` lines of ``path`` ("" when it cannot be read)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
            text = log.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class TrainTab(widgets.VBox):
    """Train the form's config with alignn on a dataset, one run at a time; watch it.

    ``toolbar`` is the dashboard's `ConfigToolbar` (`form_config` reads it at Start).
    The controls are attributes: ``data_text``, ``example_dropdown``, ``upload``,
    ``output_text``, ``start_button``, ``stop_button``, ``resume_button``,
    ``open_button``, ``progress``, ``progress_html``, ``message_html``, ``plot`` and
    ``log_html``.
    """

    data = Unicode("", help="The structures: alignn's folder, an id_prop.json or an extxyz file.")
    output = Unicode(help="The run's output folder: new or empty to Start, a run's to Resume.")
    running = Bool(False, help="True while the tab follows a run (one at a time).")
    state = Unicode("", help="The run's job state: running, done, failed, stopped; '' before.")
    epochs = Int(0, help="The epochs the run trains to.")
    done = Int(0, help="Whole epochs finished, earlier starts included.")
    eta = Float(None, allow_none=True, help="Seconds left, as the job measures them, or None.")
    train_rows = List(List(Float()), help="alignn's training history rows so far, (epochs, 6).")
    val_rows = List(List(Float()), help="alignn's validation history rows so far, (epochs, 6).")
    run_output = Unicode("", help="The output folder of the run followed or last followed.")
    log_tail = Unicode("", help=f"The last {LOG_LINES} lines of the run's log.")
    message = Unicode("", help="What the run does, how it ended, or why it was refused.")
    failed = Bool(False, help="True when `message` is a refusal or a failure.")
    job = Instance(Job, allow_none=True, help="The training job followed, or None.")

    def __init__(
        self, toolbar: ConfigToolbar, output: str = "", data: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._toolbar = toolbar
        self._uploads: tempfile.TemporaryDirectory | None = None
        self._open_handlers = CallbackDispatcher()
        self._lock = threading.RLock()
        self._make_controls()
        self.children = self._layout()
        self.data = data
        self._on_running_changed({})
        resync_on_display(self, self._lock)
        self.output = output or str(Path.cwd() / DEFAULT_OUTPUT)  # follows a run going there

    @observe("output")
    def _on_output_changed(self, change: dict) -> None:
        self.attach()

    @observe("message", "failed")
    def _on_message_changed(self, change: dict) -> None:
        colour = _ERROR_COLOUR if self.failed else "#444"
        text = html.escape(self.message)
        self.message_html.value = (
            f"<div class='alignn-nb-train-message' style='color:{colour}'>{text}</div>"
        )

    @observe("running", "run_output", "val_rows")
    def _on_running_changed(self, change: dict) -> None:
        self.start_button.disabled = self.resume_button.disabled = self.running
        self.stop_button.disabled = not self.running
        self.open_button.disabled = self.running or not (self.run_output and self.val_rows)

    @observe("done", "epochs", "eta", "state", "running")
    def _on_progress_changed(self, change: dict) -> None:
        self.progress.max, self.progress.value = max(self.epochs, 1), self.done
        parts = [f"epoch {self.done}/{self.epochs}" if self.epochs else "no run yet"]
        if self.running and self.eta is not None and self.done < self.epochs:
            parts.append(f"ETA {format_duration(self.eta)}")
        if self.state and not self.running:
            parts.append(self.state)
        text = html.escape(" · ".join(parts))
        self.progress_html.value = f"<span class='alignn-nb-train-epochs'>{text}</span>"

    @observe("log_tail")
    def _on_log_changed(self, change: dict) -> None:
        self.log_html.value = f"<pre class='alignn-nb-train-log'>{html.escape(self.log_tail)}</pre>"

    def _on_job_event(self, change: dict) -> None:
        event = change["new"]
        if event is None or event.kind != "epoch":
            return
        data, number = event.data, int(event.data["epoch"])
        # the event's {column: value} of each split, in alignn's column order
        train, val = ([float(v) for v in data[split].values()] for split in ("train", "val"))
        with self._lock:
            with self.hold_trait_notifications():
                self.train_rows = [*self.train_rows[: number - 1], train]
                self.val_rows = [*self.val_rows[: number - 1], val]
                self.epochs = int(data["epochs"])
            self._draw()
            self._read_log()

    def _on_job_progress(self, change: dict) -> None:
        progress = change["new"]
        with self._lock, self.hold_trait_notifications():
            self.done, self.eta = max(progress.done, len(self.val_rows)), progress.eta
            if progress.total:
                self.epochs = progress.total

    def _on_job_message(self, change: dict) -> None:
        with self._lock:
            self._say(change["new"])
            self._read_log()

    def _on_job_state(self, change: dict) -> None:
        job = change["owner"]
        with self._lock:
            self.state = job.state
            if job.state not in ("done", "failed", "stopped"):
                return
            self._read_log()
            self._say(*_ending(job))
            self.running = False

    def _make_controls(self) -> None:
        text = {"style": {"description_width": "70px"}, "layout": widgets.Layout(width="460px")}
        self.data_text = widgets.Text(
            description="Data", placeholder="id_prop.json, a folder or .extxyz", **text
        )
        self.example_dropdown = widgets.Dropdown(
            options=[(v, k) for k, v in EXAMPLES.items()], layout=widgets.Layout(width="260px")
        )
        self.upload = UploadButton(
            accept=list(DATA_SUFFIXES),
            kind="a dataset file",
            description="Upload data",
            tooltip=f"alignn's id_prop.json (.zip) or an extxyz file; at most {MAX_UPLOAD_MB} MB",
        )
        self.output_text = widgets.Text(
            description="Output",
            placeholder="a new or empty folder",
            continuous_update=False,
            **text,
        )
        self.start_button = widgets.Button(description="Start", button_style="primary")
        self.stop_button = widgets.Button(description="Stop", button_style="danger")
        self.resume_button = widgets.Button(description="Resume")
        self.open_button = widgets.Button(description="Open in Explore", icon="folder-open")
        self.progress = widgets.IntProgress(min=0, max=1, description="Epochs")
        self.progress_html = widgets.HTML()
        self.message_html, self.log_html = widgets.HTML(), widgets.HTML()
        self.plot = Picture(PLOT_HINT, max_width="100%")
        for control, name in ((self.data_text, "data"), (self.output_text, "output")):
            control.add_class(f"alignn-nb-train-{name}")
        self.plot.add_class("alignn-nb-train-plot")
        self.add_class("alignn-nb-train")
        widgets.link((self.data_text, "value"), (self, "data"))
        widgets.link((self.output_text, "value"), (self, "output"))
        self.example_dropdown.observe(self._on_example_picked, "value")
        self.upload.on_file(self.load_upload)
        self.upload.on_refused(lambda message: self._say(message, failed=True))
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.resume_button.on_click(lambda _: self.resume())
        self.open_button.on_click(lambda _: self.open_in_explore())

    def _layout(self) -> list[widgets.Widget]:
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        buttons = [self.start_button, self.stop_button, self.resume_button, self.open_button]
        return [
            widgets.HBox([self.data_text, self.example_dropdown, self.upload], layout=row),
            self.output_text,
            widgets.HBox(buttons, layout=row),
            widgets.HBox([self.progress, self.progress_html], layout=row),
            self.message_html,
            self.plot,
            self.log_html,
        ]

    def _on_example_picked(self, change: dict) -> None:
        if change["new"]:
            self.data = str(self._example(change["new"]))
            self.example_dropdown.value = ""

    def _example(self, name: str) -> Path:
        if name == "all":
            return example_run_data()
        path = self._scratch() / f"mlearn_Si_first_{EXAMPLE_RUN_SUBSET}.json"
        entries = json.loads(example_run_data().read_text())[:EXAMPLE_RUN_SUBSET]
        path.write_text(json.dumps(entries))
        return path

    def _scratch(self) -> Path:
        """The tab's temporary folder (uploads, the example subset), made when first needed."""
        if self._uploads is None:
            self._uploads = tempfile.TemporaryDirectory(prefix="alignn-nb-train-")
        return Path(self._uploads.name)

    def _say(self, message: str, failed: bool = False) -> None:
        with self.hold_trait_notifications():
            self.message, self.failed = message, failed

    def _draw(self) -> None:
        """Draw the curves of every epoch so far (alignn's history plot of the rows)."""
        import numpy as np

        from alignn_nb.evaluation import AlignnHistory
        from alignn_nb.viz import figure_png, history_plot

        history = AlignnHistory(
            Path(self.run_output), np.asarray(self.train_rows), np.asarray(self.val_rows)
        )
        self.plot.value = figure_png(history_plot(history), dpi=80) if self.train_rows else b""

    def _read_log(self) -> None:
        if self.run_output:
            self.log_tail = _log_tail(TrainFolder.of(self.run_output).log)

    def _new_request(self) -> Any:
        """The request of a new run: the data, the output folder, the form's config."""
        from alignn_nb.training import TrainRequest

        data, output = self.data.strip(), self.output.strip()
        if not data:
            raise ValueError("data: give the structures (a path, an example or an upload)")
        if not Path(data).expanduser().exists():
            raise ValueError(f"data: no file or folder at {data}")
        if not output:
            raise ValueError("output: give the run's output folder")
        try:
            config = form_config(self._toolbar)
        except AlignnConfigError as refused:
            raise ValueError(f"config: {refused}") from None
        return TrainRequest(output, data=data, config=config)

    def _follow(self, job: Job, output: str, rows: tuple[list, list] = ([], [])) -> None:
        """Observe ``job`` (not started) and start it."""
        with self._lock, self.hold_trait_notifications():
            self.job, self.run_output, self.running, self.state = job, output, True, "running"
            self.train_rows, self.val_rows = rows
            self.done, self.eta = len(rows[1]), None
        self._draw()
        job.observe(self._on_job_event, "event")
        job.observe(self._on_job_progress, "progress")
        job.observe(self._on_job_message, "message")
        job.observe(self._on_job_state, "state")
        job.start()

    def _launch(self, resume: bool) -> bool:
        from alignn_nb.training import Refused, TrainRequest, check_training, training_job

        if self.running:
            self._say("a run is going: stop it first", failed=True)
            return False
        try:
            if resume:
                request = TrainRequest(self.output.strip(), resume=True)
            else:
                request = self._new_request()
            check_training(request)
        except (ValueError, Refused) as refused:
            self._say(" ".join(str(refused).split()), failed=True)
            return False
        state = TrainFolder.of(request.output).read_state() or {}
        rows = (state.get("train", []), state.get("val", [])) if resume else ([], [])
        self._say(f"{'resuming' if resume else 'starting'} the run in {request.output}…")
        self._follow(training_job(request), request.output, rows)
        return True

    def start(self) -> bool:
        """Check the data, the output folder and the form's config, then start the run;
        a refusal is one line in `message` and nothing starts. Returns True when started."""
        return self._launch(resume=False)

    def resume(self) -> bool:
        """Continue the stopped run in `output` with alignn's own resume, to its epochs."""
        return self._launch(resume=True)

    def stop(self) -> None:
        """Stop the run: it ends within seconds, its last whole epoch kept."""
        if self.job is not None and self.running:
            self._say("stopping: the run keeps its last whole epoch…")
            self.job.stop()

    def wait(self, timeout: float | None = 600.0) -> bool:
        """Block until the run followed has ended (for scripts and tests); False on timeout."""
        return self.job is None or self.job.wait(timeout)

    def attach(self) -> bool:
        """Follow the run going in `output` (started elsewhere, or by an earlier notebook);
        False when no run is going there or the tab already follows one."""
        from alignn_nb.training import attach

        if self.running or not self.output.strip():
            return False
        job = attach(self.output.strip())
        if job is None:
            return False
        self._say(f"following the run going in {self.output.strip()}")
        self._follow(job, str(TrainFolder.of(self.output.strip()).output))
        return True

    def load_upload(self, name: str, content: bytes) -> None:
        """Take an uploaded dataset file as the data (kept while the tab lives)."""
        if not name.lower().endswith(DATA_SUFFIXES):
            self._say(f"{name}: expected alignn's id_prop.json or an extxyz file", failed=True)
            return
        path = self._scratch() / os.path.basename(name)
        path.write_bytes(content)
        self.data = str(path)
        self._say(f"data: {name} uploaded ({len(content)} bytes)")

    def open_in_explore(self) -> bool:
        """Hand the run folder and its data (the copy inside the run) to the `on_open`
        callbacks; False when there is no ended run with an epoch."""
        if self.running or not (self.run_output and self.val_rows):
            self._say("no run with a whole epoch to open yet", failed=True)
            return False
        self._open_handlers(self.run_output, str(TrainFolder.of(self.run_output).data))
        return True

    def on_open(self, callback: Callable[[str, str], Any], remove: bool = False) -> None:
        """Call ``callback(folder, data)`` when "Open in Explore" is pressed."""
        self._open_handlers.register_callback(callback, remove=remove)


def _ending(job: Job) -> tuple[str, bool]:
    """How ``job`` ended, in one line, and whether it failed."""
    result = job.result if isinstance(job.result, dict) else {}
    if job.state == "failed":
        error = job.error
        text = "" if error is None else (error.message or str(error))
        return f"the run failed: {' '.join(text.split())}", True
    completed, epochs = result.get("completed"), result.get("epochs")
    status = result.get("status", job.state)
    kept = f": {completed} of {epochs} epochs" if completed is not None else ""
    return f"the run {status}{kept} ({job.state})", False
