"""Time alignn-nb's pure_torch graphs against alignn's own ``build_pure_torch_graph``.

Diamond Si cells of 2, 64 and 512 atoms, perfect and rattled (every position moved by
a normal 0.05 Å step from a seeded generator), cutoff 5 Å, three_body_cutoff 3.5 Å.
Ours is a cold ``build_graphs`` (caches cleared) plus its ``torch_g`` / ``torch_lg``;
alignn's is ``build_pure_torch_graph`` on ``ase_to_atoms``. The two run alternately in
one loop, so machine load hits both alike; each line prints the median times and the
median of the paired ratios alignn / ours, and the load average (``os.getloadavg``).

Run: ``DGLBACKEND=pytorch .venv/bin/python benchmarks/pure_graph_build.py [--repeats N]
[--quick]`` (``--quick``: the 2- and 64-atom cells, 2 paired runs each, a run of seconds).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import ase
import ase.build
import numpy as np
from jarvis.core.atoms import ase_to_atoms

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.build import build_graphs, clear_cache

GRAPH = GraphConfig(neighbor_strategy="pure_torch", cutoff=5.0, three_body_cutoff=3.5)
CFG = ALIGNNAtomWiseConfig(lighten_edges=False)
REPEATS = 10
RATTLE = 0.05
"""Å; standard deviation of the random displacement of each coordinate."""
GOAL_RATIO = 2.0


def cells(seed: int = 0, largest: int = 512) -> dict[str, ase.Atoms]:
    """Perfect and rattled Si cells of 2, 64 and 512 atoms, up to ``largest`` atoms."""
    rng = np.random.default_rng(seed)
    perfect = {
        2: ase.build.bulk("Si"),
        64: ase.build.bulk("Si", cubic=True).repeat(2),
        512: ase.build.bulk("Si", cubic=True).repeat(4),
    }
    perfect = {n: atoms for n, atoms in perfect.items() if n <= largest}
    out = {}
    for n, atoms in perfect.items():
        rattled = atoms.copy()
        rattled.positions += rng.normal(0.0, RATTLE, rattled.positions.shape)
        out[f"Si {n} perfect"] = atoms
        out[f"Si {n} rattled"] = rattled
    return out


def ours(atoms: ase.Atoms) -> None:
    """A cold build with alignn's TorchGraph pair made."""
    clear_cache()
    graphs = build_graphs(atoms, CFG, GRAPH)
    graphs.torch_g, graphs.torch_lg  # noqa: B018 - making them is what is timed


def alignns(atoms: ase.Atoms) -> None:
    from alignn.torch_graph_builder import build_pure_torch_graph

    build_pure_torch_graph(
        atoms=ase_to_atoms(atoms), two_body_cutoff=GRAPH.cutoff,
        three_body_cutoff=GRAPH.three_body_cutoff, max_neighbors=GRAPH.max_neighbors,
        atom_features="atomic_number",
    )  # fmt: skip


def _seconds(run, atoms: ase.Atoms) -> float:
    start = time.perf_counter()
    run(atoms)
    return time.perf_counter() - start


def paired(atoms: ase.Atoms, repeats: int) -> tuple[float, float, float]:
    """Median ms of ours, of alignn's, and the median of the paired ratios alignn / ours."""
    mine, theirs = [], []
    for _ in range(repeats):
        mine.append(_seconds(ours, atoms))
        theirs.append(_seconds(alignns, atoms))
    ratios = [t / m for m, t in zip(mine, theirs, strict=True)]
    return statistics.median(mine) * 1e3, statistics.median(theirs) * 1e3, statistics.median(ratios)


def main(repeats: int, largest: int = 512) -> int:
    structures = cells(largest=largest)
    for atoms in structures.values():  # warm imports and jarvis feature tables
        ours(atoms)
        alignns(atoms)
    print(f"pure_torch, cutoff {GRAPH.cutoff:g} Å, three_body_cutoff {GRAPH.three_body_cutoff:g} Å")
    print(f"median of {repeats} paired runs; load average {os.getloadavg()[0]:.2f} at start")
    worst = float("inf")
    for name, atoms in structures.items():
        mine, theirs, ratio = paired(atoms, repeats)
        worst = min(worst, ratio)
        print(
            f"{name:>16}: ours {mine:8.2f} ms, alignn {theirs:8.2f} ms, ratio {ratio:6.2f}x "
            f"(load {os.getloadavg()[0]:.2f})"
        )
    verdict = "met" if worst >= GOAL_RATIO else "NOT met"
    print(f"goal >= {GOAL_RATIO:g}x at every size: lowest {worst:.2f}x ({verdict})")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--quick" in args:
        sys.exit(main(2, largest=64))
    sys.exit(main(int(args[args.index("--repeats") + 1]) if "--repeats" in args else REPEATS))
