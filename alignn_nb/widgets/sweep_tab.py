"""`SweepTab`: the dashboard's Sweep tab, an Optuna study of the live config on Dask.

The user lists the fields to tune (``FIELD=LOW:HIGH[:log]`` or ``FIELD=a,b,c``, checked by
`alignn_nb.tuning.search_space` with the field's own refusal), sets the trials, steps,
objective, cluster and storage, and runs the sweep as a `job` of
`alignn_nb.tuning.sweep_job` (the job ``alignn-nb sweep`` runs), which the tab only
observes. The trial table, the parallel-coordinates plot and the parameter importances
follow each finished trial. "Apply best" writes the best trial's values into the config
as one undo step; "Resume" opens a stored study and shows its trials.
"""

from __future__ import annotations

import html
import logging
import tempfile
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from traitlets import Bool, Dict, Enum, Instance, Int, List, TraitError, Unicode, default, validate

from alignn_nb.compute import FINISHED, Job
from alignn_nb.datasets import Dataset
from alignn_nb.tuning import (
    DEFAULT_STORAGE,
    DEFAULT_STUDY,
    FIRST_FIELD,
    OBJECTIVES,
    Param,
    SearchSpace,
    TrialOptions,
    TrialRecord,
    TrialSettings,
    TuningPlan,
    alignn_training_keys,
    best,
    finished_count,
    importances,
    offered_fields,
    open_storage,
    open_study,
    owner_of,
    params_of,
    parse_param,
    records,
    spec_of,
    sweep_job,
)
from alignn_nb.viz import figure_png, importance_figure, importance_text, trials_html
from alignn_nb.widgets._picture import Picture
from alignn_nb.widgets.config_toolbar import ConfigToolbar

log = logging.getLogger(__name__)
_ERROR_COLOUR = "#b00020"
PLOT_HINT = "Add a field and its range above, then press Run: each finished trial is drawn here."
NO_DATASET = "no dataset to train the trials on: set the dashboard's dataset first"


class SweepTab(widgets.VBox):
    """Tune the dashboard's config with Optuna over short trainings on a Dask cluster.

    ``toolbar`` is the dashboard's `ConfigToolbar`: the panel reads its config, graph
    options and training settings (learning_rate, batch_size) as each run's base, and
    "Apply best" changes them through its undo history.

    Its children, for scripts and tests to read: ``field_dropdown``, ``range_text``,
    ``add_button`` and ``clear_button`` (the fields to tune), ``specs_html``, ``inputs``
    (each setting's control by trait name), ``run_button``, ``stop_button``,
    ``resume_button``, ``apply_button``, ``train_button``, ``progress`` (finished trials),
    ``message_html``, ``table_html``, ``plot``, ``importance_html`` and ``importance_plot``.
    """

    toolbar = Instance(ConfigToolbar, read_only=True, help="The config, graph and undo history.")
    dataset = Instance(
        Dataset,
        allow_none=True,
        help="The structures each trial trains and validates on; None: Run is refused.",
    )
    specs = List(Unicode(), help="The fields to tune, as FIELD=LOW:HIGH[:log] or FIELD=a,b,c.")
    trials = Int(4, help="Run until the study holds this many finished trials.")
    steps = Int(20, help="AdamW steps of each trial (a steps spec overrides it).")
    objective = Enum(tuple(OBJECTIVES), default_value="total", help="What each trial scores.")
    workers = Int(1, help="Local Dask worker processes (when no scheduler is given).")
    scheduler = Unicode("", help="An existing Dask scheduler, tcp://HOST:PORT; empty: local.")
    storage = Unicode(help="A journal file or an Optuna storage URL holding the study.")
    study_name = Unicode(DEFAULT_STUDY, help="The study's name in the storage.")
    local_directory = Unicode(
        None, allow_none=True, help="Where local Dask workers write scratch; None: Dask's."
    )
    job = Instance(Job, allow_none=True, help="The job of the last (or current) sweep.")
    running = Bool(False, help="True while a sweep runs.")
    finished = Int(0, help="Finished trials in the study (COMPLETE, PRUNED or FAIL).")
    records = List(Instance(TrialRecord), help="Every trial of the study, by number.")
    importance = Dict(help="Each tuned field's importance (Optuna's fANOVA), summing to 1.")
    importance_note = Unicode("", help="Why there are no importances yet, or empty.")
    message = Unicode("", help="What the last action did, or why it was refused.")
    failed = Bool(False, help="True when `message` is a refusal or an error.")
    sent_to_train = Int(0, help="Best trials sent to the Train tab (the dashboard opens it).")

    def __init__(self, toolbar: ConfigToolbar, dataset: Dataset | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_trait("toolbar", toolbar)
        self.dataset = dataset
        self._study: Any = None
        self._params: list[Param] = []
        self._make_controls()
        self.children = self._layout()
        self.observe(self._on_message_changed, names=["message", "failed"])
        self.observe(
            self._on_records_changed, names=["records", "finished", "importance", "trials"]
        )
        self.observe(self._on_running_changed, names="running")
        self.observe(self._on_job_changed, names="job")
        self._on_records_changed({})

    @default("storage")
    def _default_storage(self) -> str:
        return str(Path(tempfile.gettempdir()) / DEFAULT_STORAGE)

    @validate("trials", "steps", "workers")
    def _validate_positive(self, proposal: dict) -> int:
        if proposal["value"] < 1:
            name = proposal["trait"].name
            raise TraitError(f"{name} = {proposal['value']} refused: it must be at least 1")
        return proposal["value"]

    def _on_message_changed(self, change: dict) -> None:
        colour = _ERROR_COLOUR if self.failed else "#444"
        self.message_html.value = (
            f"<div class='alignn-nb-sweep-message' style='color:{colour}'>"
            f"{html.escape(self.message)}</div>"
        )

    def _on_records_changed(self, change: dict) -> None:
        self.progress.max, self.progress.value = self.trials, min(self.finished, self.trials)
        self.table_html.value = trials_html(self.records)
        self.importance_html.value = html.escape(
            importance_text(self.importance) or self.importance_note
        )
        self.specs_html.value = html.escape("; ".join(self.specs) or "no field to tune yet")

    def _on_running_changed(self, change: dict) -> None:
        running = (self.run_button, self.apply_button, self.resume_button, self.train_button)
        for button in running:
            button.disabled = self.running
        self.stop_button.disabled = not self.running

    def _make_controls(self) -> None:
        self.field_dropdown = widgets.Dropdown(
            options=offered_fields(), value=FIRST_FIELD, description="Field"
        )
        self.range_text = widgets.Text(placeholder="LOW:HIGH, LOW:HIGH:log or a,b,c")
        self.add_button = self._button("Add", lambda _: self.add_param(self._spec_text()))
        self.clear_button = self._button("Clear", lambda _: self._clear_specs())
        self.run_button = self._button("Run", lambda _: self.run(), style="primary")
        self.stop_button = self._button("Stop", lambda _: self.stop(), style="danger")
        self.stop_button.disabled = True
        self.apply_button = self._button("Apply best", lambda _: self.apply_best())
        self.resume_button = self._button("Resume", lambda _: self.resume())
        self.train_button = self._button("Train best", lambda _: self.send_to_train())
        self.progress = widgets.IntProgress(min=0, description="Trials")
        self.plot = Picture(PLOT_HINT)
        self.importance_plot = Picture()
        self.message_html, self.table_html = widgets.HTML(), widgets.HTML()
        self.specs_html, self.importance_html = widgets.HTML(), widgets.HTML()
        self.inputs = {
            "trials": widgets.BoundedIntText(min=1, max=10_000, description="Trials"),
            "steps": widgets.BoundedIntText(min=1, max=100_000, description="Steps"),
            "objective": widgets.Dropdown(options=tuple(OBJECTIVES), description="Objective"),
            "workers": widgets.BoundedIntText(min=1, max=256, description="Workers"),
            "scheduler": widgets.Text(description="Scheduler", placeholder="tcp://HOST:PORT"),
            "storage": widgets.Text(description="Storage"),
            "study_name": widgets.Text(description="Study"),
        }
        for name, control in self.inputs.items():
            widgets.link((self, name), (control, "value"))

    @staticmethod
    def _button(text: str, handler: Any, style: str = "") -> widgets.Button:
        button = widgets.Button(description=text, button_style=style)
        button.on_click(handler)
        return button

    def _layout(self) -> list[widgets.Widget]:
        i = self.inputs
        buttons = [self.run_button, self.stop_button, self.resume_button, self.apply_button]
        buttons += [self.train_button, self.progress]
        return [
            widgets.HBox(
                [self.field_dropdown, self.range_text, self.add_button, self.clear_button]
            ),
            self.specs_html,
            widgets.HBox([i["trials"], i["steps"], i["objective"]]),
            widgets.HBox([i["workers"], i["scheduler"]]),
            widgets.HBox([i["storage"], i["study_name"]]),
            widgets.HBox(buttons),
            self.message_html,
            self.table_html,
            self.plot,
            self.importance_html,
            self.importance_plot,
        ]

    def _spec_text(self) -> str:
        return f"{self.field_dropdown.value}={self.range_text.value}"

    def _clear_specs(self) -> None:
        self.specs = []
        self._on_records_changed({})

    def _say(self, message: str, failed: bool = False) -> None:
        with self.hold_trait_notifications():
            self.message, self.failed = message, failed

    def add_param(self, spec: str) -> bool:
        """Add (or replace) one field to tune; a refused spec shows its refusal and adds nothing."""
        try:
            param = parse_param(spec)
        except ValueError as refused:
            self._say(str(refused), failed=True)
            return False
        self.specs = [s for s in self.specs if parse_param(s).field != param.field] + [spec]
        self._on_records_changed({})
        self._say(f"{param.field} will be tuned.")
        return True

    def _plan(self, dataset: Dataset) -> TuningPlan:
        """The plan of the current settings; `ValueError` (one line) for anything refused."""
        space = SearchSpace.parse(self.specs)
        training = self.toolbar.settings
        options = TrialOptions(
            steps=self.steps, learning_rate=training.learning_rate, batch_size=training.batch_size
        )
        base = TrialSettings(self.toolbar.config.copy(), self.toolbar.graph.copy(), options)
        plan = TuningPlan(space, base, objective=self.objective, device="auto")
        problem = plan.problem(dataset, local=not self.scheduler.strip())
        if problem is not None:
            raise ValueError(problem)
        return plan

    def _cluster(self) -> Any:
        from alignn_nb.compute import Cluster

        if self.scheduler.strip():
            return Cluster(scheduler=self.scheduler.strip())
        return Cluster(workers=self.workers)

    def run(self) -> bool:
        """Start a sweep as a new `job`; a refused setting is shown and nothing runs."""
        if self.running:
            self._say("a sweep is already running: stop it first", failed=True)
            return False
        try:
            dataset = self.dataset  # kept: the dataset may be cleared while the sweep runs
            if dataset is None:
                raise ValueError(NO_DATASET)
            plan, cluster = self._plan(dataset), self._cluster()
            study = open_study(self.storage, self.study_name, plan.key(dataset))
        except (ValueError, TraitError) as refused:
            self._say(str(refused), failed=True)
            return False
        self._study, self._params = study, list(plan.space.params)
        self.running = True
        self._show()
        self._say(f"running {self.trials} trials on {cluster.describe()}…")
        job = sweep_job(
            study, plan, dataset, self.trials, cluster, local_directory=self.local_directory
        )
        self.job = job
        job.start()
        return True

    def _on_job_changed(self, change: dict) -> None:
        if change["old"] is not None:
            change["old"].unobserve(self._on_job_trait, names=["event", "state"])
        if change["new"] is not None:
            change["new"].observe(self._on_job_trait, names=["event", "state"])

    def _on_job_trait(self, change: dict) -> None:
        """Draw each trial told; at the end, say how the sweep ended."""
        job: Job = change["owner"]
        if job is not self.job:
            return
        if change["name"] == "event":
            self._show()
        elif change["new"] in FINISHED:
            self._finish(job)

    def _finish(self, job: Job) -> None:
        error = job.error
        if job.state == "failed" and error is not None:
            expected = isinstance(error.exception, (ValueError, OSError))
            if not expected:
                log.error("the sweep failed\n%s", error.traceback)
            said = error.message if expected else f"{error.type}: {error.message}"
            self._say(f"the sweep failed: {said}", failed=True)
        else:
            self._say(job.message)
        self._show()
        self.running = False

    def _show(self) -> None:
        """Put the study's trials on the table, the plot and the importances."""
        from alignn_nb.viz import parallel_coordinates

        study = self._study
        shown = records(study)
        found, note = importances(study, shown)
        with self.hold_trait_notifications():
            self.importance, self.importance_note = found, note
            self.finished = finished_count(study)
            self.records = shown
        try:
            self.plot.value = figure_png(
                parallel_coordinates(shown, self._params, self.objective), dpi=80
            )
            self.importance_plot.value = (
                figure_png(importance_figure(self.importance), dpi=80) if self.importance else b""
            )
        except Exception:  # a plot must not end the sweep
            log.exception("the parallel-coordinates plot failed")

    def stop(self) -> None:
        """End the running sweep: its running trials stop at their next step."""
        if self.job is not None:
            self.job.stop()

    def wait(self, timeout: float | None = 300.0) -> bool:
        """Block until the sweep has ended (for scripts and tests); False on timeout."""
        return self.job is None or self.job.wait(timeout)

    @property
    def study(self) -> Any:
        """The Optuna study on display (the last run or resumed), or None."""
        return self._study

    def resume(self) -> bool:
        """Open the study ``study_name`` in ``storage`` and show its trials and fields."""
        import optuna

        if self.running:
            self._say("a sweep is running: stop it before opening another study", failed=True)
            return False
        try:
            study = optuna.load_study(
                study_name=self.study_name, storage=open_storage(self.storage)
            )
        except KeyError:
            self._say(f"no study {self.study_name!r} in {self.storage}", failed=True)
            return False
        except ValueError as refused:
            self._say(str(refused), failed=True)
            return False
        trials = study.get_trials(deepcopy=False)
        self._params = params_of(trials[-1].distributions) if trials else []
        self.specs = [spec_of(p) for p in self._params]
        self._study = study
        self._show()
        self._say(f"study {self.study_name!r}: {len(trials)} trials, {self.finished} finished.")
        return True

    def apply_best(self) -> bool:
        """Put the best trial's values into the config, as one undo step."""
        top = best(self._study) if self._study is not None else None
        if top is None:
            self._say("no completed trial to apply", failed=True)
            return False
        parts: dict[str, dict[str, Any]] = {"cfg": {}, "graph": {}, "options": {}}
        for field, value in top.params.items():
            parts[_part(owner_of(field))][field] = value
        settings = TrialSettings(
            self.toolbar.config, self.toolbar.graph, TrialOptions(**parts["options"])
        )
        keys = {k: v for k, v in alignn_training_keys(settings).items() if k in parts["options"]}
        history = self.toolbar.history
        with history.step(f"apply best trial {top.number}"):
            self.toolbar.config.update(**parts["cfg"])
            self.toolbar.graph.update(**parts["graph"])
            self.toolbar.settings.update(**keys)
        skipped = (
            " (steps has no alignn training key: not applied)" if "steps" in top.params else ""
        )
        self._say(f"applied best trial {top.number}: {top.params}{skipped}.")
        return True

    def send_to_train(self) -> bool:
        """Apply the best trial, then hand the config to the Train tab (`sent_to_train`)."""
        sent = self.apply_best()
        self.sent_to_train += sent
        return sent


def _part(owner: type) -> str:
    from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig

    parts: dict[type, str] = {ALIGNNAtomWiseConfig: "cfg", GraphConfig: "graph"}
    return parts.get(owner, "options")
