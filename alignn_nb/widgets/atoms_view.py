"""`AtomsView`: one structure in nglview, atoms in element colours inside its cell.

The cell and the atoms are two nglview buffer components kept in step by
`alignn_nb.widgets._ngl_stage.NglStage`, as in `ForceView`: another structure re-sends
only the layers that changed. The Physics view shows the relaxed structure in it.
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets as widgets
import nglview
from ase import Atoms
from traitlets import Instance, Unicode, observe

from alignn_nb.viz import structure_layers
from alignn_nb.widgets._ngl_stage import NglStage

VIEW_HEIGHT = "360px"


class AtomsView(NglStage, widgets.VBox):
    """`atoms` in 3D with its `caption` above it; None shows an empty stage."""

    atoms = Instance(Atoms, allow_none=True, help="The structure on display, or None.")
    caption = Unicode("", help="One line above the structure (plain text).")

    def __init__(self, atoms: Atoms | None = None, caption: str = "", **kwargs: Any) -> None:
        self.view = nglview.NGLWidget()
        self.view._view_height = VIEW_HEIGHT
        self._caption_html = widgets.HTML()
        super().__init__(children=[self._caption_html, self.view], **kwargs)
        self._components: list[tuple[str, str]] = []
        self._layer_messages: dict[str, tuple[dict, float]] = {}
        self._queued: dict[str, list[Any]] = {}
        self._base_archive: list[dict] = []
        self._archive: list[dict] = []
        self._archive_sync = self._archive_syncer()
        self._archive_lock = threading.Lock()
        self._flushed = threading.Event()
        self._sentinel = self._make_sentinel()
        self.view.observe(self._on_view_loaded, "loaded")
        self.caption = caption
        self.atoms = atoms
        self._caption_html.value = html.escape(caption)

    @observe("atoms")
    def _on_atoms_changed(self, change: dict) -> None:
        atoms = change["new"]
        self._replace_layers(() if atoms is None else structure_layers(atoms))
        if atoms is not None:
            self._call_ngl("autoView", target="Stage", args=[0])
            self._move_sentinel_last()

    @observe("caption")
    def _on_caption_changed(self, change: dict) -> None:
        self._caption_html.value = html.escape(change["new"])

    def _on_view_loaded(self, change: dict) -> None:
        if change["new"]:
            self._queued.clear()
            self._resize()

    def layer_components(self) -> list[str]:
        """The names of the layers on the nglview stage, in component order."""
        return [name for name, _ in self._components]
