"""Time reading and judging a large CIF against ASE's reader, and a dataset's CIF against
jarvis's, in one run.

1. **The structure guard.** A diamond Si supercell (8 × 8 × 8 cubic cells, a = 5.43 Å,
   4,096 atoms) written with ``ase.io.write`` as a P1 CIF. Ours is `load_structure` on the
   file (`read_cif`, then the structure checks) and `build_graphs` under radius_graph at
   8 Å with lighten_edges off, which the triplet budget refuses. ASE's is ``ase.io.read``
   on the same file, then the same checks and refusal. Goal: ours under 5 s.
2. **A dataset's CIF.** The supercell rattled by 0.05 Å (seeded), read as an entry of a
   folder of CIFs (`read_entry`: jarvis's parser, then spglib's primitive cell, found
   without spglib's search) against jarvis's ``Atoms.from_cif(use_cif2cell=False)``,
   which alignn trains from; the two structures are checked to be the same.

ASE's reader takes minutes on the 4,096-atom file. ``--quick`` uses 3 × 3 × 3 cells (216
atoms) instead, for a run of seconds.

Run: ``.venv/bin/python benchmarks/cif_read.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DGLBACKEND", "pytorch")

import ase
import ase.build
import ase.io
import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.budget import GraphBudgetError
from alignn_nb.graphs.build import build_graphs, clear_cache
from alignn_nb.structures import load_structure
from alignn_nb.training.entries import Entry, read_entry

CFG = ALIGNNAtomWiseConfig(lighten_edges=False)
GRAPH = GraphConfig(neighbor_strategy="radius_graph", cutoff=8.0)
GOAL_SECONDS = 5.0
RATTLE = 0.05
"""Å; standard deviation of each coordinate's seeded random displacement."""


def supercell(repeat: int, rattle: float = 0.0) -> ase.Atoms:
    """``repeat``³ cubic diamond Si cells, each coordinate moved by ``rattle`` Å (seeded)."""
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((repeat,) * 3)
    atoms.positions += np.random.default_rng(0).normal(0.0, rattle, atoms.positions.shape)
    return atoms


def judge(atoms: ase.Atoms) -> str:
    """The structure checks and the triplet budget's verdict on ``atoms``."""
    clear_cache()
    try:
        graphs = build_graphs(load_structure(atoms), CFG, GRAPH)
    except GraphBudgetError as refused:
        return f"refused, {refused.estimate['triplets']:,} triplets"
    return f"built, {len(graphs.triplets):,} triplets"


def timed(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def guard(folder: Path, repeat: int) -> None:
    path = folder / f"Si{8 * repeat**3}.cif"
    ase.io.write(path, supercell(repeat), format="cif")
    judge(supercell(1))  # imports and caches, not timed
    read, atoms = timed(lambda: load_structure(path))
    checked, verdict = timed(lambda: judge(atoms))
    ours = read + checked
    print(f"{path.name}, P1 as ase.io.write writes it; radius_graph 8 Å, lighten_edges off")
    print(f"  ours: read {read:.2f} s + judge {checked:.2f} s = {ours:.2f} s ({verdict})")
    ase_read, theirs = timed(lambda: ase.io.read(path, index=0))
    ase_checked, ase_verdict = timed(lambda: judge(theirs))
    same = np.allclose(theirs.positions, atoms.positions, atol=1e-10) and (
        theirs.get_chemical_symbols() == atoms.get_chemical_symbols()
    )
    total = ase_read + ase_checked
    print(
        f"  ASE:  read {ase_read:.2f} s + judge {ase_checked:.2f} s = {total:.2f} s ({ase_verdict})"
    )
    verdict = "met" if ours < GOAL_SECONDS else "NOT met"
    print(f"  ratio ASE / ours: {total / ours:.1f}x; same atoms: {same}")
    print(f"  goal read + judge under {GOAL_SECONDS:g} s: {ours:.2f} s ({verdict})")


def dataset_entry(folder: Path, repeat: int) -> None:
    from jarvis.core.atoms import Atoms

    path = folder / f"Si{8 * repeat**3}_rattled.cif"
    ase.io.write(path, supercell(repeat, RATTLE), format="cif")
    entry = Entry(path.name, "file", (str(path), "cif"))
    read_entry(entry)  # imports (jarvis, spglib, scipy), not timed
    ours, atoms = timed(lambda: read_entry(entry))
    theirs, jarvis = timed(lambda: Atoms.from_cif(str(path), use_cif2cell=False))
    same = (
        np.allclose(atoms.cell.array, jarvis.lattice_mat, atol=1e-10)
        and np.allclose(atoms.positions, jarvis.cart_coords, atol=1e-9)
        and atoms.get_chemical_symbols() == list(jarvis.elements)
    )
    print(f"{path.name} (rattled {RATTLE} Å) as a dataset folder entry, {len(atoms):,} atoms")
    print(f"  ours (read_entry) {ours:.2f} s, jarvis's Atoms.from_cif {theirs:.2f} s")
    print(f"  ratio jarvis / ours: {theirs / ours:.1f}x; same structure: {same}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="216 atoms instead of 4,096")
    repeat = 3 if parser.parse_args().quick else 8
    with tempfile.TemporaryDirectory(prefix="cif-read-") as folder:
        guard(Path(folder), repeat)
        dataset_entry(Path(folder), repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
