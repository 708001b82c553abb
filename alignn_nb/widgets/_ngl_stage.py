"""How `alignn_nb.widgets.graph_view.GraphView` keeps nglview's stage in step with a scene.

Each layer is one nglview buffer component sent in one ``addBuffer`` message; this
module keeps the list of which stage component holds which layer (the structure is
component 0) and replaces a changed layer by removing its component by index and adding
a new buffer. The replay archive is synced `ARCHIVE_DELAY_SECONDS` after the last change
of a burst (see the `graph_view` module docstring).
"""

from __future__ import annotations

import threading
from typing import Any

import nglview

from alignn_nb.compute import Debounced
from alignn_nb.viz import layers

ARCHIVE_DELAY_SECONDS = 0.5
"""The replay archive is synced this long after the last change (once per burst)."""
FLUSH_WAIT_SECONDS = 2.0
"""Longest wait for nglview to replay the messages queued before the view loaded."""


class _FlushMarker:
    """Queued after our messages: sets ``flushed`` once nglview has replayed them. nglview
    reads ``_method_name`` (and we ``_ngl_msg``) of every queued callback."""

    _method_name = "alignn-nb:flushed"
    _ngl_msg = None

    def __init__(self, flushed: threading.Event) -> None:
        self.flushed = flushed

    def __call__(self, view: nglview.NGLWidget) -> None:
        self.flushed.set()


class NglStage:
    """How `GraphView` keeps nglview's stage in step with a scene: one component per layer,
    re-sent only when it changed, with the widget's message archive kept to what is shown.

    The widget that mixes it in sets these attributes in its ``__init__``.
    """

    view: nglview.NGLWidget
    _components: list[tuple[str, str]]
    """(layer name, layer digest) of each stage component after the structure."""
    _layer_messages: dict[str, tuple[dict, float]]
    """Each shown layer's ``addBuffer`` message and opacity, to rebuild the archive."""
    _queued: dict[str, list[Any]]
    """nglview callbacks queued per layer while the view is not loaded."""
    _base_archive: list[dict]
    _archive: list[dict]
    _archive_sync: Debounced
    """Syncs the replay archive once, `ARCHIVE_DELAY_SECONDS` after the last change."""
    _archive_lock: threading.Lock
    _flushed: threading.Event
    _sentinel: _FlushMarker

    def _replace_layers(self, layers: tuple[layers.Layer, ...]) -> None:
        """Make the stage hold exactly ``layers``, re-sending only those that changed."""
        wanted = {layer.name: layer for layer in layers if len(layer)}
        keep = [(n, d) for n, d in self._components if n in wanted and wanted[n].digest == d]
        stale = [i for i, item in enumerate(self._components) if item not in keep]
        for index in reversed(stale):
            self._remove_component(index)
        present = {name for name, _ in self._components}
        for layer in layers:
            if layer.name in wanted and layer.name not in present:
                self._add_layer(layer)
        self._schedule_archive()

    def _schedule_archive(self) -> None:
        """Sync the replay archive `ARCHIVE_DELAY_SECONDS` from now, replacing any sync
        still pending: a burst of updates costs one sync."""
        self._archive = self._base_archive + self._layer_archive()
        self._archive_sync.request()

    def _sync_archive(self) -> None:
        with self._archive_lock:
            self.view._ngl_msg_archive = self._archive

    def _archive_syncer(self) -> Debounced:
        return Debounced(self._sync_archive, ARCHIVE_DELAY_SECONDS, "ngl-archive")

    @property
    def flushed(self) -> bool:
        """True once nglview has replayed the messages queued before the view loaded."""
        return self._flushed.is_set()

    def wait_archive(self, timeout: float | None = None) -> bool:
        """Block until nglview's replay archive holds the layers on display (its sync
        comes `ARCHIVE_DELAY_SECONDS` after the last change); False on timeout."""
        return self._archive_sync.wait(timeout)

    def _stage_index(self, position: int) -> int:
        """Stage component index of our ``position``-th layer (the structure is 0)."""
        return position + len(self.view._ngl_component_ids)

    def _opacity_message(self, position: int, opacity: float) -> dict:
        """nglview's message setting the opacity of our ``position``-th layer."""
        kwargs = {"opacity": opacity, "component_index": self._stage_index(position)}
        return self.view._get_remote_call_msg(
            "setParameters",
            target="Representation",
            kwargs={**kwargs, "repr_index": 0},
            fire_embed=True,
        )

    def _layer_archive(self) -> list[dict]:
        """The messages that rebuild the current layers, in component order."""
        archive = []
        for position, (name, _) in enumerate(self._components):
            add, opacity = self._layer_messages[name]
            archive.append(add)
            if opacity < 1:
                archive.append(self._opacity_message(position, opacity))
        return archive

    def _remove_component(self, position: int) -> None:
        name, _ = self._components.pop(position)
        self._layer_messages.pop(name, None)
        queued = self._queued.pop(name, None)
        if queued is not None and not self.view.loaded:
            pending = self.view._ngl_displayed_callbacks_before_loaded
            pending[:] = [callback for callback in pending if callback not in queued]
            self._reindex_queued()
            return
        self._call_ngl("removeComponent", target="Stage", args=[self._stage_index(position)])

    def _reindex_queued(self) -> None:
        """Point queued opacity messages at their layer's component after a queued
        layer before it was taken out of the queue."""
        for position, (name, _) in enumerate(self._components):
            for callback in self._queued.get(name, ()):
                if callback._method_name == "setParameters":
                    callback._ngl_msg["component_index"] = self._stage_index(position)

    def _add_layer(self, layer: layers.Layer) -> None:
        position = len(self._components)
        pending = self.view._ngl_displayed_callbacks_before_loaded
        before = len(pending)
        kwargs = layer.buffer_kwargs()
        self._call_ngl("addBuffer", target="Widget", args=[layer.kind], kwargs=kwargs)
        if layer.opacity < 1:
            message = self._opacity_message(position, layer.opacity)
            self._call_ngl(
                "setParameters",
                target="Representation",
                kwargs={
                    **message["kwargs"],
                    "component_index": message["component_index"],
                    "repr_index": 0,
                },
            )
        if not self.view.loaded:
            self._queued[layer.name] = pending[before:]
        self._components.append((layer.name, layer.digest))
        add = self.view._get_remote_call_msg(
            "addBuffer", target="Widget", args=[layer.kind], kwargs=kwargs, fire_embed=True
        )
        self._layer_messages[layer.name] = (add, layer.opacity)

    def _call_ngl(self, method: str, **message: Any) -> None:
        """One nglview call, not archived by nglview (the archive is kept by us)."""
        self._wait_for_flush()
        self.view._remote_call(method, fire_once=True, fire_embed=True, **message)

    def _make_sentinel(self) -> _FlushMarker:
        sentinel = _FlushMarker(self._flushed)
        self.view._ngl_displayed_callbacks_before_loaded.append(sentinel)
        return sentinel

    def _move_sentinel_last(self) -> None:
        """Keep the flush marker after our queued messages while the view is not loaded."""
        if self.view.loaded:
            return
        pending = self.view._ngl_displayed_callbacks_before_loaded
        if self._sentinel in pending:
            pending.remove(self._sentinel)
        pending.append(self._sentinel)

    def _wait_for_flush(self) -> None:
        """After loading, nglview replays queued messages on a thread; let it finish first,
        so that component indices in later messages refer to the components we expect."""
        if self.view.loaded and not self._flushed.is_set():
            self._flushed.wait(FLUSH_WAIT_SECONDS)
            self._flushed.set()

    def _resize(self) -> None:
        self.view._remote_call("handleResize", fire_once=True)
