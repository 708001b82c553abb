"""`ExploreView`: a trained run's evaluation as a parity plot and a worst-first table.

It shows an `alignn_nb.evaluation.evaluation.Evaluation` made elsewhere (``alignn-nb
evaluate`` or `alignn_nb.evaluation.evaluate`); it runs no model itself.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from traitlets import Enum, Instance, Int, Unicode, observe, validate

from alignn_nb.evaluation import Evaluation, StructureErrors
from alignn_nb.viz import (
    QUANTITIES,
    MapPoints,
    error_map_figure,
    figure_png,
    map_points,
    parity_plot,
)
from alignn_nb.widgets._picture import Picture
from alignn_nb.widgets.force_view import ForceView, known_id

SORT_KEYS = ("force_mae", "energy_error", "stress_mae")
"""What the table is sorted by, worst first: eV/Å, eV/atom, GPa."""


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def row_label(row: StructureErrors) -> str:
    """One table row: id, atoms, energy error (eV/atom), force MAE (eV/Å), stress MAE (GPa)."""
    return (
        f"{row.id:<16} {row.natoms:>4} atoms  ΔE {_number(row.energy_error):>9}  "
        f"F {_number(row.force_mae):>9}  S {_number(row.stress_mae):>9}"
    )


def summary_html(evaluation: Evaluation) -> str:
    """The run, split and MAEs as escaped HTML."""
    return (
        f"<b>{html.escape(evaluation.run)}</b> ({html.escape(evaluation.weights)}) on "
        f"{html.escape(evaluation.split)}: {len(evaluation.structures)} structures; "
        f"energy MAE {_number(evaluation.energy_mae)} eV/atom, "
        f"force MAE {_number(evaluation.force_mae)} eV/Å, "
        f"stress MAE {_number(evaluation.stress_mae)} GPa"
    )


class ExploreView(widgets.VBox):
    """A parity plot of one quantity, a map of the structures coloured by the `sort_by`
    error and the structures sorted worst-first; picking a row sets `selected` to that
    structure's id, rings it on the map and shows it in 3D (`ForceView`)."""

    evaluation = Instance(Evaluation, allow_none=True, help="The evaluation on display.")
    quantity = Enum(QUANTITIES, default_value="energy", help="What the parity plot shows.")
    sort_by = Enum(SORT_KEYS, default_value="force_mae", help="The table's order, worst first.")
    rows = Int(20, min=1, help="How many of the worst structures the table lists.")
    selected = Unicode("", help="The id of the structure picked in the table, or empty.")

    def __init__(self, evaluation: Evaluation | None = None, **kwargs: Any) -> None:
        self._summary_html = widgets.HTML()
        self._quantity_toggle = widgets.ToggleButtons(options=QUANTITIES, value="energy")
        self._sort_dropdown = widgets.Dropdown(options=SORT_KEYS, description="worst by")
        self._parity_image = Picture(max_width="420px")
        self._table = widgets.Select(options=[], rows=10, layout=widgets.Layout(width="640px"))
        self._map_image = Picture(max_width="460px")
        self.force_view = ForceView()
        self._map: MapPoints | None = None
        super().__init__(
            children=[
                self._summary_html,
                widgets.HBox([self._quantity_toggle, self._sort_dropdown]),
                self._parity_image,
                self._table,
                self._map_image,
                self.force_view,
            ],
            **kwargs,
        )
        widgets.link((self._quantity_toggle, "value"), (self, "quantity"))
        widgets.link((self._sort_dropdown, "value"), (self, "sort_by"))
        self._table.observe(self._on_row_picked, "value")
        self.evaluation = evaluation
        if evaluation is None:
            self._render()

    @validate("selected")
    def _validate_selected(self, proposal: dict) -> str:
        return known_id(self.evaluation, proposal["value"])

    @observe("evaluation")
    def _on_evaluation_changed(self, change: dict) -> None:
        self.selected = ""
        self.force_view.evaluation = change["new"]
        self._render()

    @observe("quantity")
    def _on_quantity_changed(self, change: dict) -> None:
        self._render_plot()

    @observe("sort_by", "rows")
    def _on_order_changed(self, change: dict) -> None:
        self._render_table()
        if change["name"] == "sort_by":
            self._render_map()

    @observe("selected")
    def _on_selected_changed(self, change: dict) -> None:
        self._table.value = change["new"] or None
        self.force_view.selected = change["new"]
        self._render_map()

    def _on_row_picked(self, change: dict) -> None:
        self.selected = change["new"] or ""

    def _render(self) -> None:
        self._summary_html.value = (
            summary_html(self.evaluation) if self.evaluation else "<i>no evaluation yet</i>"
        )
        self._render_plot()
        self._render_table()
        self._render_map()

    def _render_plot(self) -> None:
        if self.evaluation is None:
            self._parity_image.value = b""
            return
        self._parity_image.value = figure_png(parity_plot(self.evaluation, self.quantity))

    def _render_table(self) -> None:
        shown = self.worst()
        self._table.options = [(row_label(row), row.id) for row in shown]
        self._table.value = self.selected if self.selected in {r.id for r in shown} else None

    def _render_map(self) -> None:
        if self.evaluation is None:
            self._map, self._map_image.value = None, b""
            return
        self._map = map_points(self.evaluation, self.sort_by, self.selected)
        self._map_image.value = figure_png(error_map_figure(self._map))

    @property
    def map(self) -> MapPoints | None:
        """The points of the map on display (None without an evaluation)."""
        return self._map

    def worst(self) -> list[StructureErrors]:
        """The structures the table lists, worst first by `sort_by`."""
        if self.evaluation is None:
            return []
        return self.evaluation.worst_first(self.sort_by)[: self.rows]
