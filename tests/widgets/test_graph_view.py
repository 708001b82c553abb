"""GraphView: what it sends to nglview, how it keeps stage components in step, refusals.

`Stage` below applies nglview messages the way nglview's frontend does (a list of
components; ``removeComponent`` by index), so the tests can check that our record of
which component holds which layer stays true through updates.
"""

from __future__ import annotations

import json
import threading
import time
from types import SimpleNamespace

import ase.build
import numpy as np
import pytest
from traitlets import TraitError

from alignn_nb.config import ALIGNNAtomWiseConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.structures import example
from alignn_nb.viz import build_scene, layers, selection
from alignn_nb.widgets import GraphView

LAYERS = ["cell", "edges", "triplets", "backtracking", "image_atoms", "lg_nodes"]


class Stage:
    """nglview's stage as seen through its messages: one entry per component."""

    def __init__(self) -> None:
        self.components: list[dict] = []
        self.log: list[dict] = []

    def apply(self, msg: dict) -> None:
        self.log.append(msg)
        method = msg["methodName"]
        if method == "loadFile":
            self.components.append({"kind": "structure"})
        elif method == "addBuffer":
            kind = msg["args"][0]
            self.components.append({"kind": kind, "n": len(msg["kwargs"]["radius"]), "opacity": 1})
        elif method == "removeComponent":
            self.components.pop(msg["args"][0])
        elif method == "setParameters" and msg["target"] == "Representation":
            self.components[msg["component_index"]]["opacity"] = msg["kwargs"]["opacity"]

    def methods(self) -> list[str]:
        return [m["methodName"] for m in self.log]


def expected_stage(view: GraphView) -> list[dict]:
    """The components the stage should hold for the scene on display."""
    layers = {layer.name: layer for layer in view.scene.layers}
    return [{"kind": "structure"}] + [
        {"kind": layers[name].kind, "n": len(layers[name]), "opacity": layers[name].opacity}
        for name in view.layer_components
    ]


def go_live(view: GraphView) -> tuple[Stage, list]:
    """Put the view in nglview's loaded state; its messages go to a `Stage`.

    nglview replays the queued messages on a thread and waits after loadFile for the
    frontend's "finished"; the loop below plays that frontend until the replay is done.
    Later messages land in ``outbox``; `drain` delivers them.
    """
    stage = Stage()
    ngl = view.view
    ngl.send = lambda msg, buffers=None: stage.apply(msg)
    outbox: list = []
    ngl._remote_call_thread = SimpleNamespace(q=outbox)
    ngl.loaded = True
    deadline = time.monotonic() + 120  # a guard against a hang, generous for a busy machine
    while not view.flushed and time.monotonic() < deadline:
        ngl._event.set()
        time.sleep(0.01)
    assert view.flushed
    drain(view, outbox)
    return stage, outbox


def synced_archive(view: GraphView) -> list[dict]:
    """nglview's replay archive once the pending (delayed) sync has happened."""
    assert view.wait_archive(120)
    return view.view._ngl_msg_archive


def drain(view: GraphView, outbox: list) -> None:
    while outbox:
        outbox.pop(0)(view.view)


@pytest.fixture(scope="module")
def si64_graphs():
    atoms = example("Si64")
    return {ic: build_graphs(atoms, ALIGNNAtomWiseConfig(inner_cutoff=ic)) for ic in (2.4, 3.0)}


def test_counts_text_and_trait(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    assert view.counts_html.value == (
        "<span class='alignn-nb-counts'>showing 818 of 818 edges, 1024 of 1024 triplets</span>"
    )
    assert view.counts == {
        "edges_shown": 818,
        "edges": 818,
        "triplets_shown": 1024,
        "triplets": 1024,
        "removed_shown": 0,
        "removed": 9484,
        "image_atoms_shown": 131,
        "shapes": 2803,
    }
    assert repr(view) == (
        "GraphView(showing 818 of 818 edges, 1024 of 1024 triplets; focus all atoms; 6 layers)"
    )


def test_one_buffer_message_per_layer_queued_until_display(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    queued = view.view._ngl_displayed_callbacks_before_loaded
    assert [c._method_name for c in queued] == [
        "loadFile", "addRepresentation", "addBuffer", "addBuffer", "addBuffer", "addBuffer",
        "addBuffer", "setParameters", "addBuffer", "autoView", "alignn-nb:flushed",
    ]  # fmt: skip
    sizes = [len(c._ngl_msg["kwargs"]["radius"]) for c in queued if c._method_name == "addBuffer"]
    assert view.layer_components == LAYERS
    assert sizes == [len(view.scene.layer(name)) for name in LAYERS]


def test_updates_before_display_neither_grow_the_queue_nor_the_archive(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    queued = view.view._ngl_displayed_callbacks_before_loaded
    before = (len(queued), len(synced_archive(view)))
    for step in range(6):
        view.graphs = si64_graphs[2.4 if step % 2 == 0 else 3.0]
    assert view.counts["triplets"] == 1024
    assert (len(queued), len(synced_archive(view))) == before == (11, 9)
    replayed = Stage()
    for callback in queued:
        if callback._ngl_msg is not None:
            replayed.apply(callback._ngl_msg)
    assert replayed.components == expected_stage(view)


def test_live_update_replaces_only_the_changed_layers_in_place(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    stage, outbox = go_live(view)
    assert stage.components == expected_stage(view)
    stage.log.clear()
    view.graphs = si64_graphs[2.4]
    drain(view, outbox)
    assert [(m["methodName"], m["args"]) for m in stage.log] == [
        ("removeComponent", [4]),
        ("removeComponent", [3]),
        ("addBuffer", ["cylinder"]),
        ("addBuffer", ["sphere"]),
    ]
    assert view.counts["triplets"] == len(si64_graphs[2.4].triplets) == 592
    assert stage.components == expected_stage(view)


def test_camera_is_never_reset_by_updates(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    stage, outbox = go_live(view)
    stage.log.clear()
    for change in ({"focus": 7}, {"edge_colors": "inner_cutoff"}, {"removed": True}):
        view.set_trait(*next(iter(change.items())))
        view.graphs = si64_graphs[2.4]
        view.graphs = si64_graphs[3.0]
        drain(view, outbox)
        assert stage.components == expected_stage(view)
    assert "autoView" not in stage.methods() and "loadFile" not in stage.methods()


def test_archive_replays_to_the_live_stage(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    stage, outbox = go_live(view)
    archive = synced_archive(view)
    view.graphs = si64_graphs[2.4]
    view.focus = 3
    drain(view, outbox)
    assert view.view._ngl_msg_archive is archive  # synced later, once for the burst
    replay = Stage()
    for msg in synced_archive(view):
        replay.apply(msg)
    assert replay.components == stage.components == expected_stage(view)
    assert all(m.get("fire_embed") for m in view.view._ngl_msg_archive[2:])


def test_new_structure_is_reloaded_and_recentred(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    stage, outbox = go_live(view)
    stage.log.clear()
    view.graphs = build_graphs(example("NaCl"))
    drain(view, outbox)
    methods = stage.methods()
    assert methods[:7] == ["removeComponent"] * 7
    assert [m["args"][0] for m in stage.log[:7]] == [6, 5, 4, 3, 2, 1, 0]
    assert methods.count("loadFile") == 1 and methods[-1] == "autoView"
    assert stage.log[-1]["target"] == "Stage" and stage.log[-1]["args"] == [
        0
    ]  # NGL needs a duration
    assert stage.components == expected_stage(view)
    assert view.focus_control.options[1:] == (("0 Na", 0), ("1 Cl", 1))


def test_a_focus_that_is_not_an_atom_is_refused_and_nothing_changes(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    view.focus = 2
    counts = dict(view.counts)
    with pytest.raises(
        TraitError, match=r"^focus = 99 is not an atom: the structure has atoms 0\.\.63$"
    ):
        view.focus = 99
    assert view.focus == 2 and view.counts == counts
    for name, bad in (("edge_colors", "rainbow"), ("budget", 0), ("removed", "yes")):
        with pytest.raises(TraitError):
            setattr(view, name, bad)
    assert view.counts == counts


@pytest.fixture(scope="module")
def si512_graphs():
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((4, 4, 4))
    atoms.rattle(stdev=0.05, seed=0)
    return build_graphs(atoms)


def test_512_atoms_open_in_focus_mode_with_small_messages(si512_graphs):
    view = GraphView(si512_graphs)
    assert view.focus == 0
    assert view.counts["shapes"] <= view.budget
    assert view.counts["edges"] == 6508 and view.counts["edges_shown"] == 12
    queued = view.view._ngl_displayed_callbacks_before_loaded
    payload = [c._ngl_msg for c in queued if c._ngl_msg is not None]
    assert sum(m["methodName"] == "addBuffer" for m in payload) == len(LAYERS)
    assert len(json.dumps(payload)) < 120_000  # the structure's PDB text is most of it
    assert view.notice.startswith("drawing all 512 atoms needs 21,670 shapes")


def test_choosing_all_atoms_over_budget_is_refused_in_the_page(si512_graphs):
    view = GraphView(si512_graphs)
    view.focus_control.value = -1
    assert view.focus == 0 and view.focus_control.value == 0
    assert "over the budget of 20,000" in view.error
    assert "alignn-nb-notice" in view.notice_html.value
    with pytest.raises(TraitError, match="pick an atom to focus on"):
        view.focus = None
    view.allow_over_budget = True
    view.focus = None
    assert (
        view.counts["shapes"] == selection.cost(si512_graphs, layers.ViewOptions(), None) > 20_000
    )


def test_clicking_an_atom_focuses_it(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    view.view.picked = {"atom1": {"index": 7, "element": "Si"}, "component": 0}
    assert view.focus == 7 and view.counts["edges_shown"] == 12
    assert view.focus_control.value == 7
    view.view.picked = {"atom1": {"index": 9}, "component": 4}
    assert view.focus == 7


def test_no_graphs_clears_the_view(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    view.graphs = None
    assert view.layer_components == [] and view.counts == {}
    assert "showing" not in view.counts_html.value
    assert [m["methodName"] for m in synced_archive(view)] == [
        "loadFile",
        "addRepresentation",
    ]


def test_to_png_renders_the_same_counts(si64_graphs, tmp_path):
    view = GraphView(si64_graphs[3.0])
    view.focus = 1
    path = view.to_png(tmp_path / "view.png", dpi=40)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no graphs to render"):
        GraphView().to_png(tmp_path / "none.png")


def test_edge_layer_geometry_is_sent_unchanged(si64_graphs):
    view = GraphView(si64_graphs[3.0])
    queued = view.view._ngl_displayed_callbacks_before_loaded
    buffers = [c._ngl_msg for c in queued if c._method_name == "addBuffer"]
    edges = buffers[LAYERS.index("edges")]["kwargs"]
    graphs = si64_graphs[3.0]
    start = np.array(edges["position1"]).reshape(-1, 3)
    end = np.array(edges["position2"]).reshape(-1, 3)
    np.testing.assert_allclose(end - start, graphs.edges.r, atol=2e-3)


class _Watched:
    """The view's drawing lock, noting when the thread named ``who`` asks for it."""

    def __init__(self, lock, who: str, asked: threading.Event) -> None:
        self.lock, self.who, self.asked = lock, who, asked

    def __enter__(self):
        if threading.current_thread().name == self.who:
            self.asked.set()
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)


def test_a_focus_change_racing_a_new_graph_keeps_the_layers_in_step(si64_graphs, monkeypatch):
    view = GraphView(si64_graphs[3.0])
    stage, outbox = go_live(view)
    held, release, focus_moved = threading.Event(), threading.Event(), threading.Event()
    add_layer = view._add_layer

    def add_then_hold(layer) -> None:
        add_layer(layer)
        if threading.current_thread().name == "publisher" and not held.is_set():
            held.set()
            release.wait(60)

    def change_focus() -> None:
        view.focus = 3
        focus_moved.set()

    monkeypatch.setattr(view, "_add_layer", add_then_hold)
    lock = getattr(view, "_drawing", None)
    monkeypatch.setattr(view, "_drawing", _Watched(lock, "focus", focus_moved), raising=False)
    publisher = threading.Thread(
        target=setattr, args=(view, "graphs", si64_graphs[2.4]), name="publisher"
    )
    focus = threading.Thread(target=change_focus, name="focus")
    publisher.start()
    try:
        assert held.wait(60)
        focus.start()
        assert focus_moved.wait(60)  # done, or waiting for the publisher's redraw to end
    finally:
        release.set()
    publisher.join(60)
    focus.join(60)
    drain(view, outbox)
    expected = build_scene(si64_graphs[2.4], view.view_options())
    assert view.focus == 3 and view.scene.counts == expected.counts
    assert view.layer_components == [layer.name for layer in expected.layers if len(layer)]
    assert stage.components == expected_stage(view)
    replay = Stage()
    for msg in synced_archive(view):
        replay.apply(msg)
    assert replay.components == stage.components


def test_a_synced_trait_of_the_view_reaches_the_page_like_any_widgets():
    view = GraphView()
    view.add_class("alignn-nb-test")
    view.send_state()
    assert view.get_state()["_dom_classes"] == ("alignn-nb-test",)
