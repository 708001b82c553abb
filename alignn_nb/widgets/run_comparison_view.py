"""`RunComparisonView`: two trained runs side by side (`alignn_nb.evaluation.comparison`):
both runs' MAEs, their config diff and their loss curves overlaid."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from traitlets import Instance, observe

from alignn_nb.evaluation import MAES, RunComparison
from alignn_nb.widgets._picture import Picture


def _cell(value: Any, tag: str = "td") -> str:
    text = "-" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)
    return f"<{tag}>{html.escape(text)}</{tag}>"


def maes_html(comparison: RunComparison) -> str:
    """The MAEs of both runs as an escaped HTML table, values to 6 significant digits."""
    first, second = comparison.names
    rows = [f"<tr><th></th>{_cell(f'1: {first}', 'th')}{_cell(f'2: {second}', 'th')}</tr>"]
    for quantity, unit in MAES:
        a, b = comparison.maes[quantity]
        rows.append(f"<tr>{_cell(f'{quantity} MAE ({unit})')}{_cell(a)}{_cell(b)}</tr>")
    caption = f"<caption>on {html.escape(comparison.split)}</caption>"
    return f"<table class='alignn-nb-compare-maes'>{caption}{''.join(rows)}</table>"


def diff_html(comparison: RunComparison) -> str:
    """The config fields the second run changes, as an escaped HTML table."""
    if not comparison.diff:
        return "<div class='alignn-nb-compare-diff'>the two configs are the same</div>"
    rows = ["<tr><th>section</th><th>field</th><th>1</th><th>2</th></tr>"]
    rows += [
        f"<tr>{_cell(r.section)}{_cell(r.field)}{_cell(r.reference)}{_cell(r.current)}</tr>"
        for r in comparison.diff
    ]
    return f"<table class='alignn-nb-compare-diff'>{''.join(rows)}</table>"


class RunComparisonView(widgets.VBox):
    """The MAEs, config diff and overlaid curves of `comparison`; empty without one."""

    comparison = Instance(RunComparison, allow_none=True, help="The two runs on display, or None.")

    def __init__(self, comparison: RunComparison | None = None, **kwargs: Any) -> None:
        self._tables = widgets.HTML()
        self._curves = Picture(max_width="720px")
        super().__init__(children=[self._tables, self._curves], **kwargs)
        self.comparison = comparison

    @observe("comparison")
    def _on_comparison_changed(self, change: dict) -> None:
        from alignn_nb.viz import figure_png, histories_plot

        comparison = change["new"]
        if comparison is None:
            self._tables.value, self._curves.value = "", b""
            return
        self._tables.value = maes_html(comparison) + diff_html(comparison)
        histories = dict(zip(_labels(comparison), comparison.histories, strict=True))
        present = {name: h for name, h in histories.items() if h is not None}
        self._curves.value = figure_png(histories_plot(present)) if present else b""


def _labels(comparison: RunComparison) -> tuple[str, str]:
    """Legend names of the two runs: "1: name" and "2: name" (folders are often both
    called output)."""
    return (f"1: {comparison.names[0]}", f"2: {comparison.names[1]}")
