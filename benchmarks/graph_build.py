"""Time alignn-nb's graph build against alignn's ``Graph.atom_dgl_multigraph``.

Diamond Si supercells (8 to 4,096 atoms), k-nearest, cutoff 8 Å, 12 neighbours, line
graph on. Our time is a cold build (caches cleared) including the DGL ``g`` and ``lg``;
alignn's is ``atom_dgl_multigraph(compute_line_graph=True)`` on ``ase_to_atoms``. Each is
the best of a few runs. Where alignn runs, the two graphs are checked to be equal.

Run: ``.venv/bin/python benchmarks/graph_build.py`` (add ``--quick`` to stop at 512 atoms).
"""

from __future__ import annotations

import os
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
REPEATS = {8: 10, 64: 10, 216: 10, 512: 10, 1728: 5, 4096: 3}
"""Runs of our build per size (best kept); alignn gets at most `ALIGNN_REPEATS`."""
ALIGNN_REPEATS = 3
ALIGNN_UP_TO = 512
"""alignn's builder is timed up to this many atoms (it takes ~10 s at 1,728)."""
GOAL_ATOMS, GOAL_RATIO = 216, 20.0


def supercell(repeat: int) -> ase.Atoms:
    """A cubic diamond Si cell (a = 5.43 Å) repeated ``repeat`` times along each axis."""
    return ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((repeat,) * 3)


def best_time(run: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Shortest wall time in seconds over ``repeats`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


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


def main(quick: bool) -> int:
    ours(supercell(1))
    alignn_graphs(supercell(1), GRAPH)
    header = (
        f"{'atoms':>6} {'edges':>8} {'triplets':>10} {'alignn s':>9} {'ours ms':>9} "
        f"{'ratio':>7} {'ours µs/atom':>13} {'equal':>6}"
    )
    print(f"k-nearest, cutoff {GRAPH.cutoff:g} Å, max_neighbors {GRAPH.max_neighbors}")
    print(header)
    ratios, all_equal = {}, True
    for repeat in (1, 2, 3, 4, 6, 8):
        atoms = supercell(repeat)
        n = len(atoms)
        if quick and n > ALIGNN_UP_TO:
            break
        mine_s, mine = best_time(lambda atoms=atoms: ours(atoms), REPEATS[n])
        alignn_s, equal = float("nan"), None
        if n <= ALIGNN_UP_TO:
            alignn_s, theirs = best_time(
                lambda atoms=atoms: alignn_graphs(atoms, GRAPH), min(REPEATS[n], ALIGNN_REPEATS)
            )
            equal = same_graphs(mine, theirs)
            all_equal &= equal
            ratios[n] = alignn_s / mine_s
        ratio = f"{ratios[n]:6.1f}x" if n in ratios else f"{'-':>7}"
        print(
            f"{n:>6} {mine.stats['edges']:>8,} {mine.stats['triplets']:>10,} "
            f"{alignn_s:>9.3f} {mine_s * 1e3:>9.2f} {ratio} {mine_s / n * 1e6:>13.1f} "
            f"{'-' if equal is None else str(equal):>6}"
        )
    goal = ratios.get(GOAL_ATOMS, float("nan"))
    verdict = "met" if goal >= GOAL_RATIO else "NOT met"
    print(f"goal >= {GOAL_RATIO:g}x at {GOAL_ATOMS} atoms: {goal:.1f}x ({verdict})")
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
