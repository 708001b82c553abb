"""Time alignn-nb's graph build against alignn's ``Graph.atom_dgl_multigraph``.

Diamond Si supercells (8 to 4,096 atoms), perfect and rattled (every coordinate moved
by a normal 0.05 Å step from a seeded generator), k-nearest, cutoff 8 Å, 12 neighbours,
line graph on. Our time is a cold build (caches cleared) including the DGL ``g`` and
``lg``; alignn's is ``atom_dgl_multigraph(compute_line_graph=True)`` on ``ase_to_atoms``.
Where alignn runs, ours and alignn's alternate in one loop so machine load hits both
alike, and each row prints the median times and the median of the paired ratios alignn
/ ours, with the load average; the two graphs are checked to be equal. Past
`ALIGNN_UP_TO` atoms only ours is timed (median).

Run: ``.venv/bin/python benchmarks/graph_build.py`` (add ``--quick`` to stop at 64 atoms
with `QUICK_REPEATS` paired runs per size, a run of seconds).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("DGLBACKEND", "pytorch")

import ase
import ase.build
import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.build import build_graphs, clear_cache
from alignn_nb.graphs.container import CrystalGraphs
from alignn_nb.graphs.reference import AlignnGraphs, alignn_graphs

CFG = ALIGNNAtomWiseConfig(lighten_edges=False, backtracking=True)
GRAPH = GraphConfig(neighbor_strategy="k-nearest", cutoff=8.0, max_neighbors=12)
REPEATS = {8: 10, 64: 10, 216: 10, 512: 5, 1728: 5, 4096: 3}
"""Paired runs (or runs of ours alone, past `ALIGNN_UP_TO`) per size."""
ALIGNN_UP_TO = 512
QUICK_UP_TO, QUICK_REPEATS = 64, 2
"""``--quick``: the largest cell and the paired runs per size."""
"""alignn's builder is timed up to this many atoms (it takes ~10 s at 1,728)."""
RATTLE = 0.05
"""Å; standard deviation of the random displacement of each coordinate."""
GOAL_ATOMS, GOAL_RATIO = 216, 30.0
"""The goal is on the rattled cell."""


def supercell(repeat: int, rng: np.random.Generator | None = None) -> ase.Atoms:
    """A cubic diamond Si cell (a = 5.43 Å) repeated ``repeat`` times along each axis,
    rattled by `RATTLE` Å when ``rng`` is given."""
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((repeat,) * 3)
    if rng is not None:
        atoms.positions += rng.normal(0.0, RATTLE, atoms.positions.shape)
    return atoms


def timed(run: Callable[[], object]) -> tuple[float, object]:
    """Wall time in seconds of one run, and its result."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def paired(atoms: ase.Atoms, repeats: int) -> tuple[float, float, float, object, object]:
    """Median seconds of ours and alignn's, alternating, the median paired ratio, results."""
    mine, theirs, ratios = [], [], []
    for _ in range(repeats):
        m, graphs = timed(lambda: ours(atoms))
        t, reference = timed(lambda: alignn_graphs(atoms, GRAPH))
        mine.append(m)
        theirs.append(t)
        ratios.append(t / m)
    median = statistics.median
    return median(mine), median(theirs), median(ratios), graphs, reference


def ours(atoms: ase.Atoms) -> CrystalGraphs:
    """A cold build with both DGL graphs made."""
    clear_cache()
    graphs = build_graphs(atoms, CFG, GRAPH, budget=10**8)
    graphs.g, graphs.lg  # noqa: B018 - building them is what is timed
    return graphs


def _rows(src, dst, r) -> np.ndarray:
    table = np.column_stack([src, dst, np.asarray(r, dtype=np.float64)])
    return table[np.lexsort(table.T[::-1])]


def same_graphs(mine: CrystalGraphs, theirs: AlignnGraphs) -> bool:
    """Equal edge multisets (src, dst, float32 r), line-graph sizes and cosines."""
    u, v = theirs.g.edges()
    edges_equal = np.array_equal(
        _rows(mine.edges.src, mine.edges.dst, mine.edges.r),
        _rows(u.numpy(), v.numpy(), theirs.g.edata["r"].numpy()),
    )
    cosines_equal = np.array_equal(
        np.sort(mine.triplets.cos), np.sort(theirs.lg.edata["h"].numpy())
    )
    return edges_equal and cosines_equal and mine.lg.num_edges() == theirs.lg.num_edges()


def _row(kind: str, atoms: ase.Atoms, ratios: dict, repeats: int | None) -> bool | None:
    """Time one cell (`REPEATS` runs unless ``repeats`` is given), print its row; returns
    whether the graphs are equal (None: untimed)."""
    n = len(atoms)
    runs = REPEATS[n] if repeats is None else repeats
    if n > ALIGNN_UP_TO:
        mine_s = statistics.median(timed(lambda: ours(atoms))[0] for _ in range(runs))
        alignn_s, equal, mine = float("nan"), None, ours(atoms)
    else:
        mine_s, alignn_s, ratios[kind, n], mine, theirs = paired(atoms, runs)
        equal = same_graphs(mine, theirs)
    ratio = f"{ratios[kind, n]:6.1f}x" if (kind, n) in ratios else f"{'-':>7}"
    print(
        f"{kind:>8} {n:>6} {mine.stats['edges']:>8,} {mine.stats['triplets']:>10,} "
        f"{alignn_s * 1e3:>10.1f} {mine_s * 1e3:>9.2f} {ratio} {mine_s / n * 1e6:>13.1f} "
        f"{'-' if equal is None else str(equal):>6} {os.getloadavg()[0]:>5.2f}"
    )
    return equal


def main(quick: bool) -> int:
    ours(supercell(1))
    alignn_graphs(supercell(1), GRAPH)
    header = (
        f"{'cell':>8} {'atoms':>6} {'edges':>8} {'triplets':>10} {'alignn ms':>10} "
        f"{'ours ms':>9} {'ratio':>7} {'ours µs/atom':>13} {'equal':>6} {'load':>5}"
    )
    print(f"k-nearest, cutoff {GRAPH.cutoff:g} Å, max_neighbors {GRAPH.max_neighbors}")
    print("median times and median of paired ratios alignn / ours; load = 1-min load average")
    print(header)
    ratios, all_equal, rng = {}, True, np.random.default_rng(0)
    for repeat in (1, 2, 3, 4, 6, 8):
        if quick and 8 * repeat**3 > QUICK_UP_TO:
            break
        for kind, atoms in (("perfect", supercell(repeat)), ("rattled", supercell(repeat, rng))):
            runs = QUICK_REPEATS if quick else None
            all_equal &= _row(kind, atoms, ratios, runs) is not False
    goal = ratios.get(("rattled", GOAL_ATOMS))
    found = "not measured in a quick run" if goal is None else f"{goal:.1f}x"
    if goal is not None:
        found += " (met)" if goal >= GOAL_RATIO else " (NOT met)"
    print(f"goal >= {GOAL_RATIO:g}x at {GOAL_ATOMS} rattled atoms: {found}")
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
