"""`ForceView`: one evaluated structure in nglview, atoms coloured by force error, with
predicted and target force arrows (`alignn_nb.viz.force_scene`).

Every layer (cell, atoms, the two arrow sets) is one nglview buffer component, kept in
step by `alignn_nb.widgets._ngl_stage.NglStage` as in `GraphView`: picking another
structure re-sends only the layers that changed. The atoms are spheres of their own
layer (not an nglview structure), so each atom can have its own colour.
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets as widgets
import nglview
from traitlets import Instance, TraitError, Unicode, observe, validate

from alignn_nb.evaluation import Evaluation, StructureErrors
from alignn_nb.viz import ARROW_LENGTH, ForceScene, build_force_scene
from alignn_nb.widgets._ngl_stage import NglStage
from alignn_nb.widgets.graph_view import _scale_html, _swatch

VIEW_HEIGHT = "420px"


def structure_numbers(row: StructureErrors) -> list[tuple[str, float | None]]:
    """What the view states about one structure: (label with unit, value or None)."""
    unit = row.energy_unit
    return [
        ("atoms", row.natoms),
        (f"energy target ({unit})", row.energy_target),
        (f"energy predicted ({unit})", row.energy_pred),
        ("energy error (eV/atom)", row.energy_error),
        ("force MAE (eV/Å)", row.force_mae),
        ("stress MAE (GPa)", row.stress_mae),
    ]


def numbers_html(row: StructureErrors) -> str:
    """`structure_numbers` as an escaped HTML table, values to 6 significant digits."""
    cells = "".join(
        f"<tr><td>{html.escape(label)}</td>"
        f"<td style='text-align:right'>{'-' if value is None else f'{value:.6g}'}</td></tr>"
        for label, value in structure_numbers(row)
    )
    return f"<table class='alignn-nb-structure-numbers'>{cells}</table>"


def legend_html(scene: ForceScene, row: StructureErrors) -> str:
    """The structure's numbers, the colour bar of the force error (eV/Å), the arrow colours
    and the arrow scale."""
    rows = [f"<div><b>{html.escape(scene.id)}</b></div>", numbers_html(row)]
    if scene.error_scale is None:
        rows.append("<div>no forces in this structure: atoms in element colours</div>")
    else:
        rows.append(_scale_html(scene.error_scale))
    rows += [f"<div>{_swatch(rgb)}{html.escape(label)}</div>" for label, rgb in scene.keys]
    if scene.arrow_scale > 0:
        rows.append(
            f"<div>arrows: {scene.arrow_scale:.3g} Å per eV/Å "
            f"(the largest force is {ARROW_LENGTH:g} Å long)</div>"
        )
    return f"<div class='alignn-nb-legend' style='font-size:12px'>{''.join(rows)}</div>"


def known_id(evaluation: Evaluation | None, value: str) -> str:
    """``value`` if it is empty or the id of a structure of ``evaluation``; else TraitError."""
    ids = {s.id for s in evaluation.structures} if evaluation else set()
    if value and value not in ids:
        raise TraitError(f"no structure {value!r} in this evaluation")
    return value


class ForceView(NglStage, widgets.HBox):
    """The structure `selected` of `evaluation` in 3D, with its legend beside it.

    An id not in the evaluation raises `TraitError` and the view stays as it was.
    """

    evaluation = Instance(Evaluation, allow_none=True, help="The evaluation to draw from.")
    selected = Unicode("", help="The id of the structure on display, or empty for none.")

    def __init__(self, evaluation: Evaluation | None = None, **kwargs: Any) -> None:
        self.view = nglview.NGLWidget()
        self.view._view_height = VIEW_HEIGHT
        self.view.layout.flex = "1 1 auto"
        self._legend = widgets.HTML("<i>pick a structure</i>")
        side = widgets.VBox([self._legend], layout=widgets.Layout(width="260px"))
        super().__init__(children=[self.view, side], **kwargs)
        self._components: list[tuple[str, str]] = []
        self._layer_messages: dict[str, tuple[dict, float]] = {}
        self._queued: dict[str, list[Any]] = {}
        self._base_archive: list[dict] = []
        self._archive: list[dict] = []
        self._archive_sync = self._archive_syncer()
        self._archive_lock = threading.Lock()
        self._flushed = threading.Event()
        self._sentinel = self._make_sentinel()
        self._scene: ForceScene | None = None
        self.view.observe(self._on_view_loaded, "loaded")
        self.evaluation = evaluation

    @validate("selected")
    def _validate_selected(self, proposal: dict) -> str:
        return known_id(self.evaluation, proposal["value"])

    @observe("evaluation")
    def _on_evaluation_changed(self, change: dict) -> None:
        if self.selected:
            self.selected = ""
        else:
            self._draw()

    @observe("selected")
    def _on_selected_changed(self, change: dict) -> None:
        self._draw()

    def _on_view_loaded(self, change: dict) -> None:
        if change["new"]:
            self._queued.clear()
            self._resize()

    def _draw(self) -> None:
        row = (
            next((s for s in self.evaluation.structures if s.id == self.selected), None)
            if (self.evaluation and self.selected)
            else None
        )
        shown = self._scene.id if self._scene else None
        self._scene = None if row is None else build_force_scene(row)
        self._replace_layers(() if self._scene is None else self._scene.layers)
        if self._scene is not None and self._scene.id != shown:
            self._call_ngl("autoView", target="Stage", args=[0])
            self._move_sentinel_last()
        self._legend.value = (
            "<i>pick a structure</i>"
            if row is None or self._scene is None
            else legend_html(self._scene, row)
        )

    @property
    def scene(self) -> ForceScene | None:
        """The scene on display, or None."""
        return self._scene

    def layer_components(self) -> list[str]:
        """The names of the layers on the nglview stage, in component order."""
        return [name for name, _ in self._components]
