"""`LossTab`: alignn's loss terms in four views.

1. Contributions: stacked bars of the weighted terms, absolute or as fractions.
2. Sensitivity: the weighted terms and total as one loss weight moves up from 0
   (`alignn_nb.loss.weight_response`), with the config's own weight marked. It and weight
   changes re-weight the last breakdown; they never run the model.
3. Training: a short AdamW run on the CPU, a `job` of
   `alignn_nb.training.short_run_job` the tab only observes: per-term curves, a progress
   bar with rate and time left, and a Stop button that ends it within one step. Its
   learning rate and weight decay are the training settings' (`settings`). The run
   trains a copy of the model made when it starts, with a snapshot of the config, so
   edits meanwhile never reach it. At the end the trained model becomes `model`,
   unless a field that shapes the model changed meanwhile: then `status` names it.
4. alignn history: the per-epoch terms of an alignn output folder.

Its inputs are traits (config, graph, dataset, breakdown, model), so a dashboard can
drive it; it never reaches back into earlier stages. Figures are PNG images rendered with
matplotlib's Agg backend.
"""

from __future__ import annotations

import html
import math
from typing import Any

import ipywidgets as widgets
import torch
from traitlets import (
    Bool,
    Enum,
    Float,
    HasTraits,
    Instance,
    Int,
    TraitError,
    Unicode,
    default,
    observe,
    validate,
)

from alignn_nb.compute import FINISHED, Job
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, TrainingSettings
from alignn_nb.datasets import Dataset
from alignn_nb.evaluation import AlignnHistory, load_history
from alignn_nb.loss import WEIGHT_FIELDS, LossBreakdown, loss_terms, reweight
from alignn_nb.model import model_for
from alignn_nb.training import (
    DEFAULT_STEPS,
    ShortRun,
    ShortRunSettings,
    Step,
    shape_changes_since,
    short_run_job,
)
from alignn_nb.viz import plots
from alignn_nb.widgets.loss_tab_pages import LossTabPages, progress_text


class LossTab(LossTabPages, widgets.VBox):
    """Contribution bars, weight sensitivity, live training and alignn history of the loss.

    Its children, for scripts and tests to read (as distributed's progress bar exposes
    ``bar``): ``status_html`` and ``tabs``; Contributions: ``view_toggle``,
    ``recompute_button``, ``bars_image``, ``table_html``; Sensitivity:
    ``response_dropdown``, ``response_max_input``, ``response_image``; Training:
    ``steps_input``, ``train_button``, ``stop_button``, ``progress_bar``,
    ``progress_label``, ``train_image``; alignn history: ``folder_input``,
    ``load_button``, ``history_image``.
    """

    config = Instance(ALIGNNAtomWiseConfig, help="The model config whose loss is shown.")
    graph = Instance(GraphConfig, help="The graph options used to build the dataset's graphs.")
    dataset = Instance(Dataset, allow_none=True, help="The structures and targets of the loss.")
    breakdown = Instance(
        LossBreakdown, allow_none=True, help="The loss terms on display (set, or computed)."
    )
    model = Instance(
        torch.nn.Module,
        allow_none=True,
        help="The model the terms are for; after a training run, the trained model (unless "
        "a field that shapes the model changed during the run).",
    )
    auto_compute = Bool(
        True,
        help="Recompute the breakdown when the dataset, graph, model or a non-weight field "
        "changes; a dashboard that supplies breakdowns turns this off.",
    )
    seed = Int(0, help="torch seed for a freshly built model and for the training run.")
    view = Enum(plots.VIEWS, default_value="absolute", help="Bars of weighted values or shares.")
    response_field = Enum(
        WEIGHT_FIELDS,
        default_value="graphwise_weight",
        help="The loss weight the sensitivity plot moves.",
    )
    response_max = Float(
        2.0, help="Upper end of the weights the sensitivity plot shows (it starts at 0)."
    )
    steps = Int(DEFAULT_STEPS, help="AdamW steps of a training run.")
    settings = Instance(
        TrainingSettings,
        help="The training settings: a run's AdamW learning rate and weight decay are theirs.",
    )
    batch_size = Int(
        None,
        allow_none=True,
        help="Structures per training step; None trains on the whole dataset every step.",
    )
    threads = Int(
        1,
        help="torch threads of a training run; 1 leaves a core for the notebook, and more "
        "threads slow down sharply when the cores are shared.",
    )
    run = Instance(ShortRun, allow_none=True, help="The last (or current) training run.")
    job = Instance(Job, allow_none=True, help="The job of the last (or current) training run.")
    training = Bool(False, help="True while a training run is going.")
    history_folder = Unicode("", help="An alignn output folder with history_train.json.")
    history = Instance(AlignnHistory, allow_none=True, help="The alignn history on display.")
    status = Unicode("", help="The last message: what was done, or why something was refused.")

    def __init__(self, **kwargs: Any) -> None:
        self._last_draw = 0.0
        self._make_children()
        super().__init__(children=[self.status_html, self.tabs])
        self._computing = True
        for name, value in kwargs.items():
            setattr(self, name, value)
        self._computing = False
        self.config.observe(self._on_field_changed)
        self.graph.observe(self._on_field_changed)
        if self.breakdown is None and self.auto_compute:
            self.compute()
        self._render_all()

    @default("config")
    def _default_config(self) -> ALIGNNAtomWiseConfig:
        return ALIGNNAtomWiseConfig()

    @default("graph")
    def _default_graph(self) -> GraphConfig:
        return GraphConfig()

    @default("settings")
    def _default_settings(self) -> TrainingSettings:
        return TrainingSettings()

    @validate("response_max")
    def _validate_response_max(self, proposal: dict) -> float:
        value = proposal["value"]
        if not (math.isfinite(value) and value > 0):
            raise TraitError(f"response_max = {value!r} refused: it must be a finite weight > 0")
        return value

    @validate("steps")
    def _validate_steps(self, proposal: dict) -> int:
        if proposal["value"] < 1:
            raise TraitError(f"steps = {proposal['value']!r} refused: a run needs at least 1 step")
        return proposal["value"]

    @validate("batch_size")
    def _validate_batch_size(self, proposal: dict) -> int | None:
        if proposal["value"] is not None and proposal["value"] < 1:
            raise TraitError(f"batch_size = {proposal['value']!r} refused: it must be >= 1 or None")
        return proposal["value"]

    @validate("threads")
    def _validate_threads(self, proposal: dict) -> int:
        if proposal["value"] < 1:
            raise TraitError(f"threads = {proposal['value']!r} refused: it must be at least 1")
        return proposal["value"]

    @validate("history_folder")
    def _validate_history_folder(self, proposal: dict) -> str:
        if proposal["value"]:
            try:
                load_history(proposal["value"])
            except (FileNotFoundError, ValueError) as failure:
                raise TraitError(str(failure)) from None
        return proposal["value"]

    @observe("config", "graph")
    def _on_config_changed(self, change: dict) -> None:
        if isinstance(change["old"], HasTraits):
            change["old"].unobserve(self._on_field_changed)
        change["new"].observe(self._on_field_changed)
        self._inputs_changed()

    @observe("dataset", "model")
    def _on_dataset_or_model_changed(self, change: dict) -> None:
        self._inputs_changed()

    @observe("breakdown")
    def _on_breakdown_changed(self, change: dict) -> None:
        self._render_bars()
        self._render_response()

    @observe("view")
    def _on_view_changed(self, change: dict) -> None:
        self.view_toggle.value = change["new"]
        self._render_bars()

    @observe("response_field", "response_max")
    def _on_response_changed(self, change: dict) -> None:
        self.response_dropdown.value = self.response_field
        self.response_max_input.value = self.response_max
        self._render_response()

    @observe("steps")
    def _on_steps_changed(self, change: dict) -> None:
        self.steps_input.value = change["new"]

    @observe("training")
    def _on_training_changed(self, change: dict) -> None:
        self.train_button.disabled = change["new"]
        self.stop_button.disabled = not change["new"]

    @observe("job")
    def _on_job_changed(self, change: dict) -> None:
        if change["old"] is not None:
            change["old"].unobserve(self._on_job_event, names="event")
            change["old"].unobserve(self._on_job_state, names="state")
        if change["new"] is not None:
            change["new"].observe(self._on_job_event, names="event")
            change["new"].observe(self._on_job_state, names="state")

    @observe("run")
    def _on_run_changed(self, change: dict) -> None:
        self._render_training(force=True)

    @observe("history_folder")
    def _on_history_folder_changed(self, change: dict) -> None:
        self.folder_input.value = change["new"]
        self.history = load_history(change["new"]) if change["new"] else None

    @observe("history")
    def _on_history_changed(self, change: dict) -> None:
        self._render_history()

    @observe("status")
    def _on_status_changed(self, change: dict) -> None:
        self.status_html.value = (
            f"<span class='alignn-nb-loss-status'>{html.escape(change['new'])}</span>"
        )

    def _on_field_changed(self, change: dict) -> None:
        if change["name"] in WEIGHT_FIELDS and self.breakdown is not None:
            try:
                self.breakdown = reweight(self.breakdown, self.config)
                return
            except ValueError:
                pass
        self._inputs_changed()

    def _on_job_event(self, change: dict) -> None:
        event = change["new"]
        if change["owner"] is not self.job or event is None or event.kind != "step":
            return
        step: Step = event.data
        if self.run is not None:
            self.progress_label.value = progress_text(step, self.run.planned)
        self.progress_bar.value = step.index
        self._render_training()

    def _on_job_state(self, change: dict) -> None:
        """When the run has ended: say how, take the trained model if its shape still fits
        the config, and recompute the terms (unless a dashboard supplies them)."""
        job: Job = change["owner"]
        if job is not self.job or change["new"] not in FINISHED:
            return
        run = self.run
        if job.state == "failed" or run is None:
            message = f"training failed: {job.error.message if job.error else 'no result'}"
        else:
            message = job.message + self._take_trained(run)
        self.status = message
        self.training = False
        self._render_training(force=True)
        if self.auto_compute:
            self.compute()
            self.status = message

    def __repr__(self) -> str:
        total = f"total {self.breakdown.total:.4g}" if self.breakdown else "no breakdown"
        size = f"{len(self.dataset)} samples" if self.dataset is not None else "no dataset"
        return f"LossTab({size}, {total}, training={self.training})"

    def compute(self) -> LossBreakdown | None:
        """Recompute the breakdown with the current model (a seeded fresh one if none fits).

        A failure leaves the last breakdown in place and says why in `status`.
        """
        if self.dataset is None:
            self.status = "no dataset: set one to see the loss terms"
            return None
        try:
            model = model_for(self.config, self.model, seed=self.seed)
            result = loss_terms(model, self.dataset, self.config, self.graph)
        except ValueError as failure:
            self.status = f"loss terms not updated: {failure}"
            return None
        self._adopt(model)
        self.breakdown = result
        self.status = f"loss terms of {result.samples} structures: total {result.total:.4g}"
        return result

    def start_training(self) -> Job | None:
        """Start a training run of `steps` steps as a `job` (a `ThreadJob` of
        `alignn_nb.training.short_run_job`); None (and `status` says why) while one runs or
        without a dataset."""
        if self.training:
            self.status = "a training run is already going"
            return None
        if self.dataset is None:
            self.status = "no dataset to train on"
            return None
        settings = ShortRunSettings(
            steps=self.steps,
            seed=self.seed,
            learning_rate=self.settings.learning_rate,
            weight_decay=self.settings.weight_decay,
            batch_size=self.batch_size,
            threads=self.threads,
        )
        job, run = short_run_job(self.dataset, self.config, self.graph, self.model, settings)
        self.run = run
        self.progress_bar.max, self.progress_bar.value = self.steps, 0
        self.training = True
        self.job = job
        job.start()
        return job

    def stop_training(self) -> None:
        """Ask the running training to stop; it ends before its next step."""
        if self.job is not None:
            self.job.stop()

    def wait_training(self, timeout: float | None = None) -> bool:
        """Wait for the training job; True when no run is going any more."""
        if self.job is not None:
            self.job.wait(timeout)
        return not self.training

    def show_history(self, folder: str) -> None:
        """Show the history of an alignn output folder; a bad folder keeps the current one."""
        try:
            self.history_folder = folder
        except TraitError as failure:
            self.status = f"history not loaded: {failure}"
            self.folder_input.value = self.history_folder
            return
        if self.history is None:
            self.status = "alignn history cleared: no folder given"
            return
        self.status = f"alignn history: {self.history.epochs} epochs from {folder}"

    def _adopt(self, model: torch.nn.Module) -> None:
        """Make ``model`` the current model without triggering a recomputation."""
        self._computing = True
        try:
            self.model = model
        finally:
            self._computing = False

    def _inputs_changed(self) -> None:
        if self.auto_compute and not self._computing and not self.training:
            self.compute()

    def _take_trained(self, run: ShortRun) -> str:
        """Make the run's model `model` if the config still has its shape; else say why not."""
        changes = shape_changes_since(run, self.config)
        if changes:
            return (
                "; its weights were not adopted: the model's shape changed during the run "
                f"({', '.join(changes)})"
            )
        self._adopt(run.model)
        return ""
