"""Time a `GraphView` update after inner_cutoff changes, next to alignn's graph rebuild.

The 64-atom Si example at default settings, every atom drawn. Each step sets a new
inner_cutoff (alternately near 2.4 and 3.0 Å, so the triplet layers really change, and
each value new, so the line-graph cache never answers), builds the graphs (the neighbour
search is cached, only the line graph is rebuilt) and assigns them to the view.

The view is put in nglview's "loaded" state with a comm that JSON-packs every message as
the kernel does, and nglview's sending thread is replaced by a queue drained inside the
timed section: the time covers everything Python does until the messages are packed for
the wire (build_graphs, the scene, nglview's messages). nglview's replay archive is
synced once, half a second after a burst of changes; that sync is timed separately.

alignn has no view; the comparison is what alignn needs for the same change, a full
``Graph.atom_dgl_multigraph`` rebuild with its line graph.

Then a 512-atom Si supercell is opened at default settings: it must come up in focus
mode within the drawing budget; its shape count and message bytes are printed.

Run: ``.venv/bin/python benchmarks/view_update.py [--quick]`` (``--quick``: `QUICK_STEPS`
changes and one alignn rebuild, a run of seconds; it exits 0 whatever the time, where a
full run exits 1 when the goal is missed).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from types import SimpleNamespace

os.environ.setdefault("DGLBACKEND", "pytorch")

import ase.build
import numpy as np
from comm.base_comm import BaseComm
from jupyter_client.session import json_packer

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import alignn_graphs, build_graphs
from alignn_nb.structures import example
from alignn_nb.widgets import GraphView

STEPS = 60
WARMUP = 5
GOAL_MS = 50.0
ALIGNN_REPEATS = 5
QUICK_STEPS = 6


class PackingComm(BaseComm):
    """A comm that JSON-packs every message like the kernel's session, and counts bytes."""

    def __init__(self, **kwargs: object) -> None:
        self.sent_bytes = 0
        super().__init__(**kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys) -> None:
        self.sent_bytes += len(json_packer(data or {})) + sum(len(b) for b in buffers or ())


def live_view(graphs) -> tuple[GraphView, PackingComm, list]:
    """A GraphView in nglview's loaded state whose messages are packed when drained."""
    view = GraphView(graphs)
    ngl = view.view
    packing = PackingComm(target_name="jupyter.widget")
    ngl.comm = packing
    outbox: list = []
    ngl._remote_call_thread = SimpleNamespace(q=outbox)
    ngl.loaded = True
    deadline = time.monotonic() + 10
    while not view._flushed.is_set() and time.monotonic() < deadline:
        ngl._event.set()  # what the frontend sends when loadFile has finished
        time.sleep(0.02)
    return view, packing, outbox


def drain(outbox: list, ngl) -> int:
    """Send every queued nglview message; return how many."""
    count = 0
    while outbox:
        outbox.pop(0)(ngl)
        count += 1
    return count


def update_times(atoms: ase.Atoms, steps: int, warmup: int) -> dict[str, list[float]]:
    """Per step: total, build_graphs and messages+sync seconds, and bytes sent."""
    view, packing, outbox = live_view(build_graphs(atoms))
    drain(outbox, view.view)
    out: dict[str, list[float]] = {"total": [], "build": [], "view": [], "bytes": [], "msgs": []}
    for step in range(warmup + steps):
        inner = (2.4 if step % 2 else 3.0) + 1e-5 * step
        cfg = ALIGNNAtomWiseConfig(inner_cutoff=inner)
        before = packing.sent_bytes
        start = time.perf_counter()
        graphs = build_graphs(atoms, cfg)
        built = time.perf_counter()
        view.graphs = graphs
        messages = drain(outbox, view.view)
        end = time.perf_counter()
        if step < warmup:
            continue
        assert view.counts["triplets"] == len(graphs.triplets)
        out["total"].append(end - start)
        out["build"].append(built - start)
        out["view"].append(end - built)
        out["bytes"].append(packing.sent_bytes - before)
        out["msgs"].append(messages)
    view._archive_sync.cancel()
    before = packing.sent_bytes
    start = time.perf_counter()
    view._sync_archive()
    out["archive"] = [time.perf_counter() - start]
    out["archive_bytes"] = [packing.sent_bytes - before]
    return out


def alignn_rebuild_seconds(atoms: ase.Atoms, repeats: int) -> float:
    """Median seconds of alignn's graph + line-graph build for ``atoms``, after one
    untimed build (imports, jarvis's feature tables)."""
    alignn_graphs(atoms, GraphConfig())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        alignn_graphs(atoms, GraphConfig())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _ms(values: list[float]) -> str:
    q10, q50, q90 = np.percentile(np.array(values) * 1e3, [10, 50, 90])
    return f"median {q50:6.2f} ms  (p10 {q10:.2f}, p90 {q90:.2f}, max {max(values) * 1e3:.2f})"


def open_large() -> None:
    """Open a 512-atom Si supercell at default settings and report what is sent."""
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((4, 4, 4))
    atoms.rattle(stdev=0.05, seed=0)
    graphs = build_graphs(atoms)
    start = time.perf_counter()
    view, packing, outbox = live_view(graphs)
    drain(outbox, view.view)
    seconds = time.perf_counter() - start
    print(
        f"512-atom Si at default settings: focus = {view.focus}, "
        f"{view.counts['shapes']:,} shapes (budget {view.budget:,}), "
        f"{packing.sent_bytes / 1e3:.0f} kB sent, opened in {seconds * 1e3:.0f} ms"
    )
    print(f"  {view.scene.counts.text}; {view.notice}")


def main(quick: bool) -> int:
    atoms = example("Si64")
    steps = QUICK_STEPS if quick else STEPS
    alignn_s = alignn_rebuild_seconds(atoms, 1 if quick else ALIGNN_REPEATS)
    times = update_times(atoms, steps, 1 if quick else WARMUP)
    median = statistics.median(times["total"])
    print(f"Si64, default settings, {steps} inner_cutoff changes (GraphView showing all atoms)")
    print(f"  change -> messages packed: {_ms(times['total'])}")
    print(f"    build_graphs:            {_ms(times['build'])}")
    print(f"    view + nglview messages: {_ms(times['view'])}")
    print(
        f"  per update: {statistics.median(times['msgs']):.0f} messages, "
        f"{statistics.median(times['bytes']) / 1e3:.0f} kB"
    )
    print(
        f"  replay archive sync, once after a burst: {times['archive'][0] * 1e3:.1f} ms, "
        f"{times['archive_bytes'][0] / 1e3:.0f} kB"
    )
    print(
        f"  alignn graph rebuild for the same change: {alignn_s * 1e3:.1f} ms; "
        f"ratio alignn / ours = {alignn_s / median:.1f}x"
    )
    verdict = "met" if median * 1e3 <= GOAL_MS else "NOT met"
    print(f"  goal <= {GOAL_MS:g} ms median: {verdict}")
    open_large()
    return 0 if quick or median * 1e3 <= GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
