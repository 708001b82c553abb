"""The tabs of `alignn_nb.widgets.loss_tab.LossTab`: their controls and their pictures."""

from __future__ import annotations

import html
import math
import time
from typing import TYPE_CHECKING

import ipywidgets as widgets
import numpy as np
from traitlets import (
    TraitError,
)

from alignn_nb.loss import WEIGHT_FIELDS, LossBreakdown, weight_response
from alignn_nb.training import DEFAULT_STEPS, Step
from alignn_nb.viz import plots

if TYPE_CHECKING:
    from alignn_nb.compute import Job
    from alignn_nb.config import ALIGNNAtomWiseConfig
    from alignn_nb.evaluation import AlignnHistory
    from alignn_nb.training import ShortRun

TABS = ("Contributions", "Sensitivity", "Training", "alignn history")
HISTORY_NOTE = (
    "<small>alignn's history_train.json / history_val.json: per epoch, each weighted term "
    "averaged over the epoch's batches (every batch counts the same); total is their sum. "
    "Training rows are gathered while the weights change; validation rows use the weights at "
    "the end of the epoch.</small>"
)
RESPONSE_POINTS = 41
#: Least seconds between two redraws of the live training figure.
REDRAW_SECONDS = 2.0


def _image() -> widgets.Image:
    return widgets.Image(format="png", layout=widgets.Layout(max_width="640px"))


def progress_text(step: Step, planned: int) -> str:
    """``"12/50 steps · 3.1 steps/s · 12 s left"`` for a step of a run of ``planned`` steps."""
    rate = step.index / step.seconds if step.seconds > 0 else math.inf
    left = (planned - step.index) / rate if rate > 0 else math.inf
    return f"{step.index}/{planned} steps · {rate:.2g} steps/s · {left:.0f} s left"


def breakdown_html(breakdown: LossBreakdown) -> str:
    """A small HTML table of the terms (raw, unit, weight, weighted, share) and the penalty."""
    rows = []
    for term in breakdown.terms.values():
        if term.ok:
            cells = (
                f"{term.raw:.4g}",
                html.escape(term.unit),
                f"{term.weight:g}",
                f"{term.weighted:.4g}",
                f"{term.share:.1%}" if term.share is not None else "",
            )
        else:
            cells = (html.escape(term.status), "", f"{term.weight:g}", "", "")
        cells_html = "".join(f"<td>{c}</td>" for c in cells)
        rows.append(f"<tr><td>{html.escape(term.name)}</td>{cells_html}</tr>")
    penalty = breakdown.penalty
    return (
        "<table class='alignn-nb-loss-table'><tr><th>term</th><th>raw</th><th>unit</th>"
        "<th>weight</th><th>weighted</th><th>share</th></tr>"
        + "".join(rows)
        + f"<tr><td><b>total</b></td><td colspan='3'></td><td><b>{breakdown.total:.4g}</b></td>"
        "<td></td></tr></table>"
        f"<div>penalty: {penalty.energy:.4g} eV on {penalty.bonds_below_threshold} bonds below "
        f"penalty_threshold; {breakdown.samples} structures</div>"
    )


class LossTabPages:
    """The four tabs of `LossTab` (contributions, sensitivity, training, alignn history):
    their controls, bound to the plot's traits, and how each one is drawn.

    The traits and actions below are `LossTab`'s; declared here for the type checker.
    """

    config: ALIGNNAtomWiseConfig
    breakdown: LossBreakdown | None
    view: str
    response_field: str
    response_max: float
    steps: int
    run: ShortRun | None
    history: AlignnHistory | None
    status: str
    _last_draw: float

    if TYPE_CHECKING:

        def compute(self) -> LossBreakdown | None: ...

        def start_training(self) -> Job | None: ...

        def stop_training(self) -> None: ...

        def show_history(self, folder: str) -> None: ...

    def _make_children(self) -> None:
        self.status_html = widgets.HTML()
        self.tabs = widgets.Tab(
            children=[
                self._contributions_tab(),
                self._sensitivity_tab(),
                self._training_tab(),
                self._history_tab(),
            ],
            titles=TABS,
        )

    def _contributions_tab(self) -> widgets.VBox:
        self.bars_image = _image()
        self.table_html = widgets.HTML()
        self.view_toggle = widgets.ToggleButtons(options=plots.VIEWS, value="absolute")
        self._bind(self.view_toggle, "view")
        self.recompute_button = widgets.Button(description="Recompute", icon="refresh")
        self.recompute_button.on_click(lambda _: self.compute())
        controls = widgets.HBox([self.view_toggle, self.recompute_button])
        return widgets.VBox([controls, self.bars_image, self.table_html])

    def _sensitivity_tab(self) -> widgets.VBox:
        self.response_image = _image()
        self.response_dropdown = widgets.Dropdown(options=WEIGHT_FIELDS, description="weight")
        self._bind(self.response_dropdown, "response_field")
        self.response_max_input = widgets.FloatText(value=2.0, description="up to")
        self._bind(self.response_max_input, "response_max")
        controls = widgets.HBox([self.response_dropdown, self.response_max_input])
        return widgets.VBox([controls, self.response_image])

    def _training_tab(self) -> widgets.VBox:
        self.train_image = _image()
        self.steps_input = widgets.BoundedIntText(
            value=DEFAULT_STEPS, min=1, max=100_000, description="steps"
        )
        self._bind(self.steps_input, "steps")
        self.train_button = widgets.Button(description="Train", icon="play", button_style="success")
        self.train_button.on_click(lambda _: self.start_training())
        self.stop_button = widgets.Button(
            description="Stop", icon="stop", button_style="danger", disabled=True
        )
        self.stop_button.on_click(lambda _: self.stop_training())
        self.progress_bar = widgets.IntProgress(value=0, min=0, max=DEFAULT_STEPS)
        self.progress_label = widgets.Label("not started")
        controls = widgets.HBox([self.steps_input, self.train_button, self.stop_button])
        progress = widgets.HBox([self.progress_bar, self.progress_label])
        return widgets.VBox([controls, progress, self.train_image])

    def _history_tab(self) -> widgets.VBox:
        self.history_image = _image()
        self.folder_input = widgets.Text(placeholder="alignn output folder", description="folder")
        self.load_button = widgets.Button(description="Load", icon="folder-open")
        self.load_button.on_click(lambda _: self.show_history(self.folder_input.value))
        controls = widgets.HBox([self.folder_input, self.load_button])
        return widgets.VBox([controls, widgets.HTML(HISTORY_NOTE), self.history_image])

    def _bind(self, control: widgets.ValueWidget, name: str) -> None:
        """Apply ``control``'s values to trait ``name``; a refusal goes to `status` and the
        control shows the trait's value again."""

        def apply(change: dict) -> None:
            try:
                setattr(self, name, change["new"])
            except TraitError as failure:
                self.status = str(failure)
                control.value = getattr(self, name)

        control.observe(apply, "value")

    def _render_all(self) -> None:
        self._render_bars()
        self._render_response()
        self._render_training(force=True)
        self._render_history()

    def _render_bars(self) -> None:
        if self.breakdown is None:
            self.bars_image.value, self.table_html.value = b"", "<i>no loss terms yet</i>"
            return
        self.bars_image.value = plots.figure_png(plots.contribution_bars(self.breakdown, self.view))
        self.table_html.value = breakdown_html(self.breakdown)

    def _render_response(self) -> None:
        if self.breakdown is None:
            self.response_image.value = b""
            return
        current = getattr(self.config, self.response_field)
        values = np.linspace(0.0, max(self.response_max, 1.25 * current), RESPONSE_POINTS)
        try:
            result = weight_response(self.breakdown, self.config, self.response_field, values)
        except ValueError as failure:
            self.status = f"sensitivity not updated: {failure}"
            return
        self.response_image.value = plots.figure_png(plots.weight_response_plot(result))

    def _render_training(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_draw < REDRAW_SECONDS:
            return
        self._last_draw = now
        steps = list(self.run.steps) if self.run is not None else []
        planned = self.run.planned if self.run is not None else self.steps
        self.train_image.value = plots.figure_png(plots.training_plot(steps, planned))

    def _render_history(self) -> None:
        self.history_image.value = (
            plots.figure_png(plots.history_plot(self.history)) if self.history else b""
        )
