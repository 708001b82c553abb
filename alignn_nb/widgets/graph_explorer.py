"""`GraphExplorer`: sliders for alignn's graph options, one 3D view and a live count table.

The controls edit a model config and a graph config; a graph-only `LiveSession` (the
dashboard's engine, limited to the graph stage) rebuilds the graphs on its worker thread,
coalescing a burst of slider steps into one more build, and the view and the table show
the newest graphs. A setting alignn refuses (e.g. a three_body_cutoff beyond the cutoff)
is named in red and the last good graphs stay on screen.
"""

from __future__ import annotations

import functools
import html
import threading
from typing import Any

import ase
import ipywidgets as widgets
from traitlets import Dict, Instance, Unicode

from alignn_nb.config import NEIGHBOR_STRATEGIES, ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.live import LiveResult, LiveSession
from alignn_nb.structures import example, examples
from alignn_nb.viz import counts_html, notes_html
from alignn_nb.widgets._resync import resync_on_display
from alignn_nb.widgets.graph_view import GraphView

SLIDER_LAYOUT = {"width": "340px"}
SLIDER_STYLE = {"description_width": "130px"}
COUNT_KEYS = ("atoms", "edges", "triplets", "degree_min", "degree_max", "cutoff_used")


def _slider(kind: type, description: str, value: float, low: float, high: float, step: float):
    return kind(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        layout=SLIDER_LAYOUT,
        style=SLIDER_STYLE,
    )


class GraphExplorer(widgets.VBox):
    """Move cutoff, max_neighbors, inner_cutoff and the strategy; watch the graph follow.

    Args:
        structure: an example name (``"Si"``, ``"Si64"``, ...) or an ``ase.Atoms``.
        config: the model config whose line-graph fields (inner_cutoff, lighten_edges,
            backtracking) shape the line graph; default alignn's own graph
            (``lighten_edges=False``).
        graph: the graph options; default `GraphConfig()`.
        focus: the atom whose bonds and triplets the view shows; None for all.

    Its children, for scripts and tests to read: ``view`` (the `GraphView`),
    ``table_html`` (the counts) and ``status_html``.
    """

    config = Instance(ALIGNNAtomWiseConfig, help="The model config (edited in place).")
    graph = Instance(GraphConfig, help="The graph options (edited in place).")
    session = Instance(LiveSession, help="The graph-only live engine behind the view.")
    counts = Dict(help="atoms, edges, triplets, degree_min/max, cutoff_used (Å) and notes shown.")
    status = Unicode("", help="The last build's time, or what alignn refused.")

    def __init__(
        self,
        structure: str | ase.Atoms = "Si64",
        config: ALIGNNAtomWiseConfig | None = None,
        graph: GraphConfig | None = None,
        focus: int | None = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = config or ALIGNNAtomWiseConfig(lighten_edges=False)
        self.graph = graph or GraphConfig()
        atoms, label = self._structure(structure)
        self.view = GraphView()
        self._first_focus = focus
        self.table_html = widgets.HTML()
        self.table_html.add_class("alignn-nb-explorer-counts")
        self.status_html = widgets.HTML()
        self.controls = self._make_controls(label)
        self.children = [self._layout_controls(), self.status_html, self.view, self.table_html]
        self.session = LiveSession(self.config, self.graph, atoms, label, stages=("graph",))
        self.session.observe(self._on_result, "result")
        self._views_lock = threading.RLock()
        resync_on_display(self, self._views_lock)
        self.session.request()

    def _on_control(self, owner: Any, name: str, change: dict) -> None:
        value = change["new"]
        if name == "max_neighbors" and value == 0:
            value = None
        try:
            setattr(owner, name, value)
        except Exception as refused:  # a TraitError, shown beside the view
            self._show_status(f"{name} refused: {refused}", failed=True)
            return
        self._sync_enabled()
        self.session.request()

    def _on_structure(self, change: dict) -> None:
        atoms, label = self._structure(change["new"])
        self.session.atoms, self.session.label = atoms, label
        self.session.request()

    def _on_result(self, change: dict) -> None:
        with self._views_lock:
            self._show_round(change["new"])

    def _show_round(self, result: LiveResult) -> None:
        if result.error is not None:
            self._show_status(f"{result.error.stage} failed: {result.error.message}", True)
            return
        graphs = result.graphs
        if self.view.graphs is not graphs:
            self._show_graphs(graphs)
        seconds = result.seconds.get("graph")
        self._show_status("up to date" if seconds is None else f"graph {seconds * 1e3:.0f} ms")

    def _structure(self, structure: str | ase.Atoms) -> tuple[ase.Atoms, str]:
        if isinstance(structure, str):
            return example(structure), structure
        return structure, structure.get_chemical_formula()

    def _make_controls(self, label: str) -> dict[str, widgets.ValueWidget]:
        g, c = self.graph, self.config
        names = list(examples())
        controls = {
            "structure": widgets.Dropdown(
                options=names if label in names else [label, *names],
                value=label,
                description="structure",
            ),
            "neighbor_strategy": widgets.Dropdown(
                options=list(NEIGHBOR_STRATEGIES),
                value=g.neighbor_strategy,
                description="neighbor_strategy",
                style=SLIDER_STYLE,
            ),
            "cutoff": _slider(widgets.FloatSlider, "cutoff (Å)", g.cutoff, 1.0, 10.0, 0.1),
            "max_neighbors": _slider(
                widgets.IntSlider, "max_neighbors", g.max_neighbors or 0, 0, 24, 1
            ),
            "three_body_cutoff": _slider(
                widgets.FloatSlider,
                "three_body_cutoff (Å)",
                g.triplet_cutoff(),
                1.0,
                10.0,
                0.1,
            ),
            "lighten_edges": widgets.Checkbox(value=c.lighten_edges, description="lighten_edges"),
            "inner_cutoff": _slider(
                widgets.FloatSlider, "inner_cutoff (Å)", c.inner_cutoff, 1.0, 8.0, 0.1
            ),
        }
        owners = {"lighten_edges": c, "inner_cutoff": c}
        for name, control in controls.items():
            control.add_class(f"alignn-nb-explorer-{name.replace('_', '-')}")
            if name == "structure":
                control.observe(self._on_structure, "value")
                continue
            owner = owners.get(name, g)
            control.observe(functools.partial(self._on_control, owner, name), "value")
        controls["max_neighbors"].tooltip = "0 means None (no limit)"
        self._sync_enabled(controls)
        return controls

    def _layout_controls(self) -> widgets.Widget:
        k = self.controls
        note = widgets.HTML(
            "<span style='font-size:12px;color:#555'>lighten_edges and inner_cutoff are "
            "alignn-nb display options: alignn's k-nearest and radius_graph builders keep "
            "every bond pair. three_body_cutoff is pure_torch's.</span>"
        )
        return widgets.VBox(
            [
                widgets.HBox([k["structure"], k["neighbor_strategy"]]),
                widgets.HBox([k["cutoff"], k["max_neighbors"]]),
                widgets.HBox([k["three_body_cutoff"], k["lighten_edges"], k["inner_cutoff"]]),
                note,
            ]
        )

    def _sync_enabled(self, controls: dict | None = None) -> None:
        """Grey out what the current strategy or switch ignores."""
        k = controls or self.controls
        k["three_body_cutoff"].disabled = self.graph.neighbor_strategy != "pure_torch"
        k["max_neighbors"].disabled = self.graph.neighbor_strategy == "radius_graph"
        k["inner_cutoff"].disabled = not self.config.lighten_edges

    def _show_graphs(self, graphs: Any) -> None:
        stats = graphs.stats
        if self.view.graphs is None:  # the first graphs: focus chosen with them
            with self.view.hold_trait_notifications():
                self.view.graphs = graphs
                self.view.focus = self._first_focus
        else:
            self.view.graphs = graphs
        self.counts = {**{k: stats[k] for k in COUNT_KEYS}, "notes": list(stats["notes"])}
        self.table_html.value = counts_html({self.session.label: stats}) + notes_html(
            stats["notes"], "notes"
        )

    def _show_status(self, text: str, failed: bool = False) -> None:
        colour = "#b00020" if failed else "#444"
        self.status = text
        self.status_html.value = (
            f"<div class='alignn-nb-status' style='color:{colour};font-size:12px'>"
            f"{html.escape(text)}</div>"
        )

    def wait(self, timeout: float | None = 300.0) -> LiveResult | None:
        """Block until the view and the table show the latest change."""
        return self.session.wait(timeout)

    def png(self, **kwargs: Any) -> bytes:
        """The view as a small PNG once the latest graphs are shown (see `GraphView.png`)."""
        self.wait()
        return self.view.png(**kwargs)

    def __repr__(self) -> str:
        c = self.counts
        if not c:
            return "GraphExplorer(no graphs yet)"
        return (
            f"GraphExplorer({self.session.label}, {self.graph.neighbor_strategy}: "
            f"{c['edges']:,} edges, {c['triplets']:,} triplets)"
        )
