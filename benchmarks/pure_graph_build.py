"""Time alignn-nb's pure_torch graphs against alignn's own build_pure_torch_graph.

Run: DGLBACKEND=pytorch .venv/bin/python benchmarks/pure_graph_build.py
Prints the median of several builds (ms) for each structure and the ratio alignn / ours.
"""

from __future__ import annotations

import statistics
import time

import ase.build
from jarvis.core.atoms import ase_to_atoms

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.build import build_graphs, clear_cache

GRAPH = GraphConfig(neighbor_strategy="pure_torch", cutoff=5.0, three_body_cutoff=3.5)
CFG = ALIGNNAtomWiseConfig(lighten_edges=False)
REPEATS = 5


def _median_ms(run) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _ours(atoms) -> None:
    clear_cache()
    build_graphs(atoms, CFG, GRAPH)


def _alignns(atoms) -> None:
    from alignn.torch_graph_builder import build_pure_torch_graph

    build_pure_torch_graph(
        atoms=ase_to_atoms(atoms), two_body_cutoff=GRAPH.cutoff,
        three_body_cutoff=GRAPH.three_body_cutoff, max_neighbors=GRAPH.max_neighbors,
        atom_features="atomic_number",
    )  # fmt: skip


def main() -> None:
    for name, atoms in {
        "Si 2 atoms": ase.build.bulk("Si"),
        "Si 64 atoms": ase.build.bulk("Si", cubic=True).repeat(2),
        "Si 512 atoms": ase.build.bulk("Si", cubic=True).repeat(4),
    }.items():
        ours, theirs = _median_ms(lambda a=atoms: _ours(a)), _median_ms(lambda a=atoms: _alignns(a))
        ratio = theirs / ours
        print(f"{name:>13}: ours {ours:8.1f} ms, alignn {theirs:8.1f} ms, ratio {ratio:5.2f}")


if __name__ == "__main__":
    main()
