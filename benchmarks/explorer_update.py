"""Time a GraphExplorer slider step against alignn building the same graph, in one run.

The teaching notebook's explorer rebuilds the graph on a graph-only `LiveSession` and
redraws one `GraphView` and the count table. One step of the max_neighbors slider
(12 → 11, then back) on the 64-atom Si example ("Si64") is timed from the slider's new
value to the moment the view and the table show the new graphs (headless: the view's
messages are made, no browser draws them). The reference is alignn's own builder on the
same cell and options, timed right after each step, so load hits both alike.

Run: ``.venv/bin/python benchmarks/explorer_update.py [--repeats N] [--structure Si64]
[--quick]`` (``--quick``: 2 pairs of steps, a run of seconds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DGLBACKEND", "pytorch")

from alignn_nb.graphs.reference import alignn_graphs
from alignn_nb.widgets.graph_explorer import GraphExplorer


def step(explorer: GraphExplorer, value: int) -> float:
    """Seconds from a max_neighbors slider step to the explorer showing its graphs."""
    start = time.perf_counter()
    explorer.controls["max_neighbors"].value = value
    explorer.wait()
    return time.perf_counter() - start


def alignn_build(explorer: GraphExplorer) -> float:
    """Seconds alignn's own builder takes for the explorer's current cell and options."""
    start = time.perf_counter()
    alignn_graphs(explorer.session.atoms, explorer.graph)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--structure", default="Si64")
    parser.add_argument("--quick", action="store_true", help="2 pairs of steps")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 2
    explorer = GraphExplorer(args.structure)
    explorer.wait()
    ours, theirs = [], []
    for index in range(2 * args.repeats):
        ours.append(step(explorer, 11 if index % 2 == 0 else 12))
        theirs.append(alignn_build(explorer))
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    shown = explorer.counts
    print(
        f"{args.structure}: {shown['atoms']} atoms, {shown['edges']} edges, "
        f"{shown['triplets']} triplets after the last step"
    )
    print(f"explorer step (median of {len(ours)}): {statistics.median(ours) * 1e3:.1f} ms")
    print(f"alignn's build of the same graph:   {statistics.median(theirs) * 1e3:.1f} ms")
    print(f"explorer / alignn build (median of paired ratios): {statistics.median(ratios):.2f}")
    explorer.session.close()


if __name__ == "__main__":
    main()
