"""`GraphView`: an nglview 3D view of a `CrystalGraphs`, its line graph and their counts.

Each layer of `alignn_nb.viz.scene` (cell, edges, triplets, image atoms, ...) is one
nglview buffer component sent in one ``addBuffer`` message. nglview does not record
buffer components, so this module keeps its own list of which stage component holds
which layer (the structure is component 0) and replaces a changed layer by removing its
component by index and adding a new buffer. The camera is never reset on such updates.

Messages and nglview's replay archive: layer messages are sent with ``fire_once=True``
and the archive (``_ngl_msg_archive``, replayed when the view is displayed again) is
set to the structure's messages plus the current layers only, so it never grows with
updates. Syncing it re-sends every layer (about 18 ms and 180 kB for the 64-atom Si
example, three times the update itself), so it is synced off the update path,
``ARCHIVE_DELAY_SECONDS`` after the last change of a burst. Before the frontend has
loaded, replaced layers are taken out of nglview's pending queue instead of being added
and removed.

The structure is handed to nglview without its cell (pbc off): ASE's PDB writer
rotates a periodic cell into the PDB orientation, which would misplace every buffer.
The cell is drawn as its own layer instead.

Threads: new graphs usually arrive from the live session's worker thread while focus
and options change on the kernel thread. Each change redraws under this view's own lock
(``_drawing``, held for its bookkeeping and messages only), so two redraws take turns
and the last one drawn is that of the latest traits.

Display a GraphView once: nglview 3.1.4's frontend mirrors a component removal into
every other view of the same widget, so with two views a replaced layer would be
removed twice from the second one.
"""

from __future__ import annotations

import html
import threading
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import nglview
from traitlets import Bool, Dict, Enum, Instance, Int, TraitError, Unicode, observe, validate

from alignn_nb.compute import Debounced
from alignn_nb.graphs import CrystalGraphs, fingerprint
from alignn_nb.viz import build_scene, layers, render, selection
from alignn_nb.widgets._ngl_stage import NglStage

VIEW_HEIGHT = "480px"
RESIZE_AGAIN_SECONDS = 1.0
"""After the view loads it is resized once at once and once more after this delay."""
_ALL_ATOMS = -1
_OPTION_TRAITS = (
    "focus",
    "edge_colors",
    "triplet_colors",
    "image_atoms",
    "line_graph",
    "removed",
    "angles",
    "budget",
    "allow_over_budget",
)


class _AtomIndex(Int):
    """An atom index or None; unlike `Int`, None also goes through the owner's validator."""

    def _validate(self, obj: Any, value: Any) -> Any:
        if value is None and self.allow_none:
            return self._cross_validate(obj, value) if not obj._cross_validation_lock else value
        return super()._validate(obj, value)


def _swatch(rgb: layers.Rgb, opacity: float = 1.0) -> str:
    r, g, b = (round(255 * c) for c in rgb)
    return (
        f"<span style='display:inline-block;width:12px;height:12px;margin-right:4px;"
        f"vertical-align:middle;border:1px solid #888;background:rgba({r},{g},{b},{opacity})'>"
        "</span>"
    )


def _scale_html(scale: layers.ColorScale) -> str:
    stops = ", ".join(
        f"rgb({round(255 * c[0])},{round(255 * c[1])},{round(255 * c[2])}) {100 * f:.0f}%"
        for f, c in scale.stops
    )
    return (
        f"<div>{html.escape(scale.label)}</div>"
        f"<div style='height:10px;width:160px;background:linear-gradient(to right, {stops})'>"
        f"</div><div style='width:160px;display:flex;justify-content:space-between'>"
        f"<span>{scale.vmin:.2f}</span><span>{scale.vmax:.2f}</span></div>"
    )


def legend_html(legend: layers.Legend, image_atoms: bool) -> str:
    """The legend as HTML: element swatches, colour bars and keys."""
    rows = [f"<div>{_swatch(rgb)}{html.escape(symbol)}</div>" for symbol, rgb in legend.elements]
    if image_atoms:
        rows.append(
            f"<div>{_swatch(legend.elements[0][1] if legend.elements else (0.5,) * 3, 0.35)}"
            "periodic image outside the cell</div>"
        )
    for scale in (legend.edge_scale, legend.triplet_scale):
        if scale is not None:
            rows.append(_scale_html(scale))
    rows += [f"<div>{_swatch(rgb)}{html.escape(label)}</div>" for label, rgb in legend.keys]
    return f"<div class='alignn-nb-legend' style='font-size:12px'>{''.join(rows)}</div>"


class GraphView(NglStage, widgets.HBox):
    """A live 3D view of a `CrystalGraphs`: structure, cell, edges and line graph.

    Set ``graphs`` to show new graphs; only the layers that changed are re-sent and the
    camera stays where the user left it. Beside the view: the legend, the focus atom
    and the text ``showing N of M edges, K of T triplets`` (the same numbers are in
    `counts`). Bad values raise `TraitError` and leave the view as it was.

    Its children, for scripts and tests to read: ``view`` (the nglview widget),
    ``counts_html``, ``focus_control``, ``legend`` and ``notice_html``.
    """

    graphs = Instance(CrystalGraphs, allow_none=True, help="The graphs on display.")
    focus = _AtomIndex(
        None,
        allow_none=True,
        help="Atom whose bonds, neighbour images and centred triplets are shown; None: all.",
    )
    edge_colors = Enum(
        layers.EDGE_COLORINGS,
        default_value="length",
        help="Colour edges by bond length (Å) or by within/beyond inner_cutoff.",
    )
    triplet_colors = Enum(
        layers.TRIPLET_COLORINGS,
        default_value="kind",
        help="Colour triplets in one colour (kind) or by their bond-angle cosine (cos).",
    )
    image_atoms = Bool(True, help="Draw translucent spheres at neighbour images outside the cell.")
    line_graph = Bool(True, help="Draw the line graph: bond-midpoint nodes and triplets.")
    removed = Bool(False, help="Also draw, greyed out, the bond pairs left out of the line graph.")
    angles = Bool(False, help="Draw an arc at the shared atom of each triplet.")
    budget = Int(layers.DEFAULT_BUDGET, min=1, help="Most shapes (cylinders and spheres) drawn.")
    allow_over_budget = Bool(False, help="Draw everything asked for even above the budget.")
    counts = Dict(help="Shown and total edges, triplets, removed pairs, image atoms and shapes.")
    notice = Unicode("", help="Why less than everything is drawn (the budget), or empty.")
    error = Unicode("", help="The last refused change or failed update, or empty.")

    def __init__(self, graphs: CrystalGraphs | None = None, **kwargs: Any) -> None:
        options = {name: kwargs.pop(name) for name in _OPTION_TRAITS if name in kwargs}
        self.view = nglview.NGLWidget()
        self.view._view_height = VIEW_HEIGHT
        self.legend = widgets.HTML()
        self.focus_control = widgets.Dropdown(
            description="focus", options=[("all atoms", _ALL_ATOMS)], value=_ALL_ATOMS
        )
        self.counts_html = widgets.HTML()
        self.notice_html = widgets.HTML()
        side = widgets.VBox(
            [self.counts_html, self.focus_control, self.legend, self.notice_html],
            layout=widgets.Layout(width="320px", padding="0 0 0 8px"),
        )
        self.view.layout.flex = "1 1 auto"
        super().__init__(children=[self.view, side], **kwargs)
        self._drawing = threading.RLock()
        self._components: list[tuple[str, str]] = []
        self._layer_messages: dict[str, tuple[dict, float]] = {}
        self._queued: dict[str, list[Any]] = {}
        self._structure_key: str | None = None
        self._base_archive: list[dict] = []
        self._flushed = threading.Event()
        self._sentinel = self._make_sentinel()
        self._scene: layers.Scene | None = None
        self._archive: list[dict] = []
        self._archive_sync = self._archive_syncer()
        self._resize_again = Debounced(self._resize, RESIZE_AGAIN_SECONDS, "ngl-resize")
        self._archive_lock = threading.Lock()
        self._focus_symbols: list[str] = []
        self.view.observe(self._on_view_loaded, "loaded")
        self.view.observe(self._on_picked, "picked")
        self.focus_control.observe(self._on_focus_control, "value")
        self._render_side()
        with self.hold_trait_notifications():
            self.set_trait("graphs", graphs)
            for name, value in options.items():
                self.set_trait(name, value)

    @validate("focus")
    def _validate_focus(self, proposal: dict) -> int | None:
        try:
            selection.check_focus(self.graphs, self.view_options(focus=proposal["value"]))
        except ValueError as refused:
            raise TraitError(str(refused)) from refused
        return proposal["value"]

    @observe("graphs", *_OPTION_TRAITS)
    def _on_view_changed(self, change: dict) -> None:
        with self._drawing:
            if change["name"] == "graphs":
                self._update_focus_choices()
            if self.graphs is not None:
                focus = selection.resolve_focus(self.graphs, self.view_options())
                if focus != self.focus:
                    self.focus = focus  # this change redraws
                    return
            self._redraw()

    def _on_view_loaded(self, change: dict) -> None:
        if change["new"]:
            with self._drawing:
                self._queued.clear()
            self._resize()
            self._resize_again.request()

    def _on_picked(self, change: dict) -> None:
        picked = change["new"] or {}
        atom = picked.get("atom1")
        if atom is None or "bond" in picked or picked.get("component", 0) != 0:
            return
        self._set_focus_from_user(int(atom["index"]))

    def _on_focus_control(self, change: dict) -> None:
        value = change["new"]
        self._set_focus_from_user(None if value == _ALL_ATOMS else value)

    def view_options(self, **changes: Any) -> layers.ViewOptions:
        """The view options of the current traits, with ``changes`` applied."""
        values = {name: getattr(self, name) for name in _OPTION_TRAITS}
        values.update(changes)
        return layers.ViewOptions(
            focus=values["focus"],
            edge_colors=values["edge_colors"],
            triplet_colors=values["triplet_colors"],
            image_atoms=values["image_atoms"],
            line_graph=values["line_graph"],
            removed=values["removed"],
            angles=values["angles"],
            budget=values["budget"],
            allow_over_budget=values["allow_over_budget"],
        )

    def _set_focus_from_user(self, focus: int | None) -> None:
        """Focus chosen in the page; a refusal is shown and the old focus stays."""
        if focus == self.focus:
            return
        try:
            self.focus = focus
        except TraitError as refused:
            self.error = str(refused)
            self._render_side()

    def _update_focus_choices(self) -> None:
        symbols = [] if self.graphs is None else self.graphs.atoms.get_chemical_symbols()
        if symbols == self._focus_symbols:
            return
        self._focus_symbols = symbols
        choices = [("all atoms", _ALL_ATOMS)]
        choices += [(f"{i} {s}", i) for i, s in enumerate(symbols)]
        self.focus_control.unobserve(self._on_focus_control, "value")
        self.focus_control.options = choices
        self.focus_control.value = _ALL_ATOMS
        self.focus_control.observe(self._on_focus_control, "value")

    def _redraw(self) -> None:
        """Build the scene for the current traits and send the layers that changed."""
        if self.graphs is None:
            self._replace_layers(())
            self._scene = None
            with self.hold_trait_notifications():
                self.counts = {}
                self.notice = ""
            self._render_side()
            return
        try:
            scene = build_scene(self.graphs, self.view_options())
        except ValueError as failed:
            self.error = f"the view was not updated: {failed}"
            self._render_side()
            return
        loaded_new = self._show_structure(self.graphs)
        self._replace_layers(scene.layers)
        if loaded_new:
            self._call_ngl("autoView", target="Stage", args=[0])
        self._move_sentinel_last()
        self._scene = scene
        with self.hold_trait_notifications():
            self.counts = scene.counts.as_dict()
            self.notice = scene.notice
            self.error = ""
        self._render_side()

    def _render_side(self) -> None:
        scene = self._scene
        text = "" if scene is None else scene.counts.text
        self.counts_html.value = f"<span class='alignn-nb-counts'>{html.escape(text)}</span>"
        self.legend.value = "" if scene is None else legend_html(scene.legend, self.image_atoms)
        notes = [(self.notice, "#8a6d00"), (self.error, "#b00020")]
        self.notice_html.value = "".join(
            f"<div class='alignn-nb-notice' style='color:{color};font-size:12px'>"
            f"{html.escape(text)}</div>"
            for text, color in notes
            if text
        )
        self._sync_focus_control()

    def _sync_focus_control(self) -> None:
        value = _ALL_ATOMS if self.focus is None else self.focus
        if self.focus_control.value != value:
            self.focus_control.unobserve(self._on_focus_control, "value")
            self.focus_control.value = value
            self.focus_control.observe(self._on_focus_control, "value")

    def _show_structure(self, graphs: CrystalGraphs) -> bool:
        """Load the atoms into nglview unless already there; True if they were loaded."""
        key = fingerprint(graphs.atoms)
        if key == self._structure_key:
            return False
        self._replace_layers(())
        atoms = graphs.atoms.copy()
        atoms.pbc = False
        with self._archive_lock:
            if self.view._ngl_component_ids:
                self.view.remove_component(self.view._ngl_component_ids[0])
            self.view._ngl_msg_archive = []
            self.view.add_structure(nglview.ASEStructure(atoms), default_representation=False)
            self.view.add_representation(
                "spacefill", radiusType="size", radiusSize=layers.ATOM_RADIUS, colorScheme="element"
            )
            self._base_archive = list(self.view._ngl_msg_archive)
        self._structure_key = key
        return True

    def __repr__(self) -> str:
        counts = self._scene.counts.text if self._scene else "no graphs"
        focus = "all atoms" if self.focus is None else f"atom {self.focus}"
        return f"GraphView({counts}; focus {focus}; {len(self._components)} layers)"

    @property
    def scene(self) -> layers.Scene | None:
        """The scene on display (layers, counts, legend), or None without graphs."""
        return self._scene

    @property
    def layer_components(self) -> list[str]:
        """Layer names in stage-component order (after the structure, component 0)."""
        return [name for name, _ in self._components]

    def png(self, **kwargs: Any) -> bytes:
        """The same layers as a small PNG (bytes), for places no widget renders; keyword
        arguments go to `render.png_bytes` (dpi, size, elev, azim, title)."""
        if self.graphs is None:
            raise ValueError("no graphs to render: set GraphView.graphs first")
        return render.png_bytes(self.graphs, self.view_options(), **kwargs)

    def to_png(self, path: str | Path, **kwargs: Any) -> Path:
        """Render the same layers with matplotlib into a PNG at ``path``; see `render.to_png`."""
        if self.graphs is None:
            raise ValueError("no graphs to render: set GraphView.graphs first")
        return render.to_png(self.graphs, path, options=self.view_options(), **kwargs)
