"""dataset-stats against alignn: graph sizes, held-graph memory and the scan's speed.

For each case (a dataset and a graph config), in a fresh process:

1. alignn-nb's scan in this process (`alignn_nb.app.dataset_stats.dataset_stats`, no
   cluster): its counts, ``graph_memory_bytes`` and its seconds;
2. alignn's own training store, ``alignn.lmdb_dataset.get_torch_dataset`` (what
   ``train_alignn.py`` builds), timed, then every record read once; the resident growth
   (VmRSS after ``malloc_trim``) over the process before it is the measured memory, and
   the records' graphs give alignn's atom, edge and triplet totals.

Prints one line per case: totals equal or not, estimate / measured memory (target
0.7-1.3), and alignn's build time over the scan's (speed ratio). Memory is measured once
per case (load noted); run on a quiet machine for stable numbers.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/dataset_estimates.py``
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("DGLBACKEND", "pytorch")

CASES = {
    "jarvis-k8": ("jarvis_ff_sample", ["cutoff=8", "max_neighbors=12"]),
    "jarvis-r4": ("jarvis_ff_sample", ["neighbor_strategy=radius_graph", "cutoff=4"]),
    "mlearn_Si-r4": ("mlearn_Si", ["neighbor_strategy=radius_graph", "cutoff=4"]),
    "mlearn_Si-k8": ("mlearn_Si", ["cutoff=8", "max_neighbors=12"]),
}
"""Name: (example dataset, --set assignments)."""


def _rss() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _trim() -> None:
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def _alignn_store(entries: list[dict], cfg, graph, folder: str) -> dict:
    """alignn's LMDB training store of ``entries``: build time, resident growth, totals."""
    from alignn.lmdb_dataset import get_torch_dataset

    os.makedirs(folder)
    quiet = io.StringIO()
    _trim()
    before = _rss()
    start = time.perf_counter()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        store = get_torch_dataset(
            dataset=entries, id_tag="jid", target="total_energy",
            target_grad="forces" if cfg.calculate_gradient else "",
            target_stress="stresses" if cfg.stresswise_weight != 0 else "",
            neighbor_strategy=graph.neighbor_strategy, atom_features=graph.atom_features,
            use_canonize=graph.use_canonize, line_graph=True, cutoff=graph.cutoff,
            cutoff_extra=graph.cutoff_extra, max_neighbors=graph.max_neighbors,
            three_body_cutoff=graph.three_body_cutoff, output_dir=folder,
            tmp_name=os.path.join(folder, "train_data"),
        )  # fmt: skip
    seconds = time.perf_counter() - start
    totals = {"atoms": 0, "edges": 0, "triplets": 0}
    for index in range(len(store)):
        g, lg = store[index][0], store[index][1]
        totals["atoms"] += g.num_nodes()
        totals["edges"] += g.num_edges()
        totals["triplets"] += lg.num_edges()
        del g, lg
    _trim()
    return {"seconds": seconds, "resident_bytes": _rss() - before, **totals}


def run_case(name: str) -> dict:
    """One case in this process; returns its numbers."""
    from alignn_nb.app.dataset_stats import dataset_stats
    from alignn_nb.cli._settings import load_settings
    from alignn_nb.training.example_data import example_dataset_path

    dataset, assignments = CASES[name]
    cfg, graph = load_settings(None, assignments)
    path = example_dataset_path(dataset)
    entries = json.loads(path.read_text())
    with tempfile.TemporaryDirectory(prefix="dataset-estimates-") as folder:
        _alignn_store(entries[:1], cfg, graph, os.path.join(folder, "warm"))  # imports, caches
        dataset_stats(path, cfg, graph)  # warm: imports
        stats = dataset_stats(path, cfg, graph)
        alignn = _alignn_store(entries, cfg, graph, os.path.join(folder, "store"))
    ours = {key: stats[key]["total"] for key in ("atoms", "edges", "triplets")}
    return {
        "case": name,
        "structures": stats["structures"],
        "totals_equal": ours == {key: alignn[key] for key in ours},
        "ours": ours,
        "graph_memory_bytes": stats["graph_memory_bytes"],
        "measured_bytes": alignn["resident_bytes"],
        "memory_ratio": stats["graph_memory_bytes"] / alignn["resident_bytes"],
        "scan_seconds": stats["seconds"],
        "alignn_build_seconds": alignn["seconds"],
        "speed_ratio": alignn["seconds"] / stats["seconds"],
        "load": os.getloadavg()[0],
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2])))
        return
    names = sys.argv[1:] or list(CASES)
    for name in names:
        done = subprocess.run(
            [sys.executable, __file__, "--case", name], capture_output=True, text=True
        )
        if done.returncode != 0:
            print(f"{name}: failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{name:<14} {row['structures']:>4} structures  totals equal: {row['totals_equal']}  "
            f"memory est/measured {row['graph_memory_bytes'] / 1e6:.2f}/"
            f"{row['measured_bytes'] / 1e6:.2f} MB = {row['memory_ratio']:.2f}  "
            f"scan {row['scan_seconds']:.2f} s, alignn build {row['alignn_build_seconds']:.1f} s "
            f"= {row['speed_ratio']:.0f}x  (load {row['load']:.1f})"
        )


if __name__ == "__main__":
    main()
