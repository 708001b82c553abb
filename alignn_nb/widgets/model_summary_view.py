"""`ModelSummaryView`: total and per-module parameter counts of alignn's model."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from traitlets import Bool, Instance, Unicode, observe

from alignn_nb.config import ALIGNNAtomWiseConfig
from alignn_nb.model import ModelSummary, build_model, model_summary


def summary_html(summary: ModelSummary, stale: bool = False) -> str:
    """An HTML table of ``summary``: one row per module and the total."""
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td style='text-align:right'>{count:,}</td></tr>"
        for name, count in summary.rows
    )
    mark = " <i>(updating…)</i>" if stale else ""
    return (
        f"<div class='alignn-nb-summary'><b>Parameters:</b> "
        f"<span class='alignn-nb-param-total'>{summary.total:,}</span>{mark}"
        f"<table style='font-family:monospace'>{rows}</table></div>"
    )


class ModelSummaryView(widgets.VBox):
    """Shows a `ModelSummary`; with ``follow=True`` it rebuilds alignn's model on every change.

    A build that fails keeps the last good summary on screen and shows the error above it.
    """

    summary = Instance(ModelSummary, allow_none=True, help="The counts on display.")
    config = Instance(
        ALIGNNAtomWiseConfig, allow_none=True, help="The model config to follow, if any."
    )
    follow = Bool(True, help="Rebuild alignn's model whenever a field of `config` changes.")
    stale = Bool(False, help="True while the summary on display is for an older config.")
    error = Unicode("", help="The message of the last failed build, or empty.")

    def __init__(self, config: ALIGNNAtomWiseConfig | None = None, **kwargs: Any) -> None:
        self._error_html = widgets.HTML()
        self._table_html = widgets.HTML()
        super().__init__(children=[self._error_html, self._table_html], **kwargs)
        if config is not None:
            self.config = config
        self._render()

    @observe("config")
    def _on_config_changed(self, change: dict) -> None:
        if change["old"] is not None:
            change["old"].unobserve(self._on_field_changed)
        if change["new"] is not None:
            change["new"].observe(self._on_field_changed)
            self.rebuild()

    @observe("summary", "stale", "error")
    def _on_display_changed(self, change: dict) -> None:
        self._render()

    def _on_field_changed(self, change: dict) -> None:
        if self.follow:
            self.rebuild()

    def _render(self) -> None:
        self._error_html.value = (
            f"<span class='alignn-nb-error' style='color:#b00020'>{html.escape(self.error)}</span>"
            if self.error
            else ""
        )
        self._table_html.value = (
            summary_html(self.summary, self.stale) if self.summary else "<i>no model yet</i>"
        )

    def rebuild(self) -> None:
        """Build alignn's model for `config` now and show its counts."""
        if self.config is None:
            return
        try:
            counts = model_summary(build_model(self.config))
        except Exception as failure:  # alignn raised: keep the last good summary
            self.error = f"alignn could not build this model: {failure}"
            return
        with self.hold_trait_notifications():
            self.error = ""
            self.summary = counts
