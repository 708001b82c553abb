"""dataset-stats against alignn: graph sizes, held-graph memory and the scan's speed.

For each case (a dataset and a graph config), in a fresh process:

1. alignn-nb's scan in this process (`alignn_nb.app.dataset_stats.dataset_stats`, no
   cluster): its counts, ``graph_memory_bytes`` and its seconds;
2. alignn's own training store, ``alignn.lmdb_dataset.get_torch_dataset`` (what
   ``train_alignn.py`` builds), timed, then every record read once; the resident growth
   (VmRSS after ``malloc_trim``) over the process before it is the measured memory, and
   the records' graphs give alignn's atom, edge and triplet totals.

3. the training step: ``dataset_stats(..., calibrate=True)`` (its own fresh process of
   real calibration steps) estimates the heaviest batch's peak step memory and seconds;
   then, in another fresh process, alignn's own builder makes that batch's graphs
   (`alignn_nb.graphs.reference.alignn_graphs`, ``dgl.batch``) and alignn's own model
   runs `STEPS` training steps on it (forward with forces, backward, AdamW), one torch
   thread as the calibration; the peak resident growth (max over the warm steps) and
   the median warm step's seconds are the measured values.

Prints one line per case: totals equal or not, estimate / measured memory (target
0.7-1.3), alignn's build time over the scan's (speed ratio: the median of `SPEED_PAIRS`
scans and alignn builds timed back to back, since one pair swings by a third on a busy
machine), and the step's peak memory and seconds, estimated / measured (target 0.5-1.5).
The memory and step figures are measured once per case (load noted); run on a quiet
machine for stable numbers.

``--quick`` runs the first case on the first `QUICK_ENTRIES` entries of its dataset, one
scan / build pair, and skips the training step: a run of seconds.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/dataset_estimates.py [--quick] [CASE ...]``
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DGLBACKEND", "pytorch")

CASES = {
    "jarvis-k8": ("jarvis_ff_sample", ["cutoff=8", "max_neighbors=12"], 16),
    "jarvis-r4": ("jarvis_ff_sample", ["neighbor_strategy=radius_graph", "cutoff=4"], 16),
    "mlearn_Si-r4": ("mlearn_Si", ["neighbor_strategy=radius_graph", "cutoff=4"], 4),
    "mlearn_Si-k8": ("mlearn_Si", ["cutoff=8", "max_neighbors=12"], 4),
    "jarvis-r5": ("jarvis_ff_sample", ["neighbor_strategy=radius_graph", "cutoff=5"], 16),
}
"""Name: (example dataset, --set assignments, batch size). jarvis-r5's heaviest batch
(about 210,000 triplets) puts the per-triplet tensors past glibc's 32 MiB mmap ceiling."""
SPEED_PAIRS = 3
"""Scan / alignn-build pairs timed back to back; the speed ratio is their median (the first
pair also gives the memory figures)."""
STEPS = 4
"""Training steps measured on the heaviest batch; the first (cold) is not counted."""
QUICK_ENTRIES = 8
"""Entries of the dataset a ``--quick`` case scans."""


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


def run_case(name: str, quick: bool = False) -> dict:
    """One case in this process (``quick``: `QUICK_ENTRIES` entries, one pair, no
    training step); returns its numbers."""
    from alignn_nb.app.dataset_stats import dataset_stats
    from alignn_nb.cli._settings import load_settings
    from alignn_nb.training.example_data import example_dataset_path

    dataset, assignments, batch_size = CASES[name]
    cfg, graph = load_settings(None, assignments)
    path = example_dataset_path(dataset)
    entries = json.loads(path.read_text())
    with tempfile.TemporaryDirectory(prefix="dataset-estimates-") as folder:
        if quick:
            entries = entries[:QUICK_ENTRIES]
            path = Path(folder) / "quick_id_prop.json"
            path.write_text(json.dumps(entries))
        _alignn_store(entries[:1], cfg, graph, os.path.join(folder, "warm"))  # imports, caches
        dataset_stats(path, cfg, graph, advise=False)  # warm: imports
        stats = dataset_stats(path, cfg, graph, advise=False)
        alignn = _alignn_store(entries, cfg, graph, os.path.join(folder, "store"))
        pairs = [(stats["seconds"], alignn["seconds"])]
        for number in range(1, 1 if quick else SPEED_PAIRS):
            scan_seconds = dataset_stats(path, cfg, graph, advise=False)["seconds"]
            store = _alignn_store(entries, cfg, graph, os.path.join(folder, f"store{number}"))
            pairs.append((scan_seconds, store["seconds"]))
    ours = {key: stats[key]["total"] for key in ("atoms", "edges", "triplets")}
    row = {**_store_row(name, stats, alignn, ours), **_speed(pairs)}
    return row if quick else {**row, **_step_row(name, path, cfg, graph, batch_size)}


def _speed(pairs: list[tuple[float, float]]) -> dict:
    """Median scan and alignn-build seconds of the pairs, and the median paired ratio."""
    median = statistics.median
    return {
        "scan_seconds": median(scan for scan, _ in pairs),
        "alignn_build_seconds": median(build for _, build in pairs),
        "speed_ratio": median(build / scan for scan, build in pairs),
        "speed_ratios": [build / scan for scan, build in pairs],
    }


def _store_row(name: str, stats: dict, alignn: dict, ours: dict) -> dict:
    return {
        "case": name,
        "structures": stats["structures"],
        "totals_equal": ours == {key: alignn[key] for key in ours},
        "ours": ours,
        "graph_memory_bytes": stats["graph_memory_bytes"],
        "measured_bytes": alignn["resident_bytes"],
        "memory_ratio": stats["graph_memory_bytes"] / alignn["resident_bytes"],
        "load": os.getloadavg()[0],
    }


def _step_row(name: str, path, cfg, graph, batch_size: int) -> dict:
    """The calibrated estimate of the heaviest batch's step, and alignn's measured step."""
    from alignn_nb.app.dataset_stats import dataset_stats

    stats = dataset_stats(path, cfg, graph, batch_size=batch_size, calibrate=True, advise=False)
    rows = stats["per_structure"]
    order = sorted(range(len(rows)), key=lambda i: (-rows[i]["triplets"], i))[:batch_size]
    done = subprocess.run(
        [sys.executable, __file__, "--step", name, ",".join(map(str, order))],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    heaviest = stats["heaviest_batch"]
    if measured["triplets"] != heaviest["triplets"]:
        raise RuntimeError(f"{name}: alignn's batch has {measured['triplets']} triplets")
    return {
        "batch_size": batch_size,
        "batch_triplets": heaviest["triplets"],
        "calibration_seconds": stats["calibration_seconds"],
        "peak_estimate": heaviest["peak_memory_bytes"],
        "peak_measured": measured["peak_bytes"],
        "peak_ratio": heaviest["peak_memory_bytes"] / measured["peak_bytes"],
        "step_estimate": heaviest["step_seconds"],
        "step_measured": measured["seconds"],
        "step_ratio": heaviest["step_seconds"] / measured["seconds"],
        "step_load": measured["load"],
    }


def measure_step(name: str, indices: list[int]) -> dict:
    """alignn's own graphs of ``indices`` batched, and `STEPS` steps of alignn's model on
    them in this fresh process (glibc's default malloc settings), one torch thread."""
    import dgl
    import torch
    from alignn.utils import group_decay

    from alignn_nb.cli._settings import load_settings
    from alignn_nb.graphs.reference import alignn_graphs
    from alignn_nb.model.build import build_model
    from alignn_nb.training.entries import Entry, read_entry
    from alignn_nb.training.example_data import example_dataset_path
    from alignn_nb.training.step_calibration import measure, training_step

    torch.set_num_threads(1)
    dataset, assignments, _ = CASES[name]
    cfg, graph = load_settings(None, assignments)
    entries = json.loads(example_dataset_path(dataset).read_text())
    made = [
        alignn_graphs(read_entry(Entry(str(i), "jarvis", entries[i]["atoms"])), graph)
        for i in indices
    ]
    batch = {
        "g": dgl.batch([m.g for m in made]),
        "lg": dgl.batch([m.lg for m in made]),
        "lattice": torch.stack([m.lattice for m in made]).float(),
    }
    model = build_model(cfg, seed=0).train()
    optimizer = torch.optim.AdamW(group_decay(model), lr=1e-3, weight_decay=1e-5)
    steps = [measure(lambda: training_step(model, optimizer, batch, cfg)) for _ in range(STEPS)]
    warm = steps[1:]
    return {
        "triplets": batch["lg"].num_edges(),
        "peak_bytes": max(peak for peak, _ in warm),
        "seconds": statistics.median(seconds for _, seconds in warm),
        "load": os.getloadavg()[0],
    }


def main() -> int:
    """Run the cases; 1 when a case failed."""
    args = sys.argv[1:]
    quick = "--quick" in args
    args = [arg for arg in args if arg != "--quick"]
    if len(args) == 2 and args[0] == "--case":
        print(json.dumps(run_case(args[1], quick)))
        return 0
    if len(args) == 3 and args[0] == "--step":
        indices = [int(i) for i in args[2].split(",")]
        print(json.dumps(measure_step(args[1], indices)))
        return 0
    names, failed = args or list(CASES)[: 1 if quick else None], 0
    for name in names:
        done = subprocess.run(
            [sys.executable, __file__, "--case", name, *(["--quick"] if quick else [])],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"{name}: failed: {done.stderr.strip().splitlines()[-1]}")
            failed += 1
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{name:<14} {row['structures']:>4} structures  totals equal: {row['totals_equal']}  "
            f"memory est/measured {row['graph_memory_bytes'] / 1e6:.2f}/"
            f"{row['measured_bytes'] / 1e6:.2f} MB = {row['memory_ratio']:.2f}  "
            f"scan {row['scan_seconds']:.2f} s, alignn build {row['alignn_build_seconds']:.1f} s "
            f"= {row['speed_ratio']:.1f}x (median of "
            f"{', '.join(f'{r:.1f}' for r in row['speed_ratios'])})  (load {row['load']:.1f})"
        )
        if quick:
            print(f"{'':<14} step: not measured in a quick run", flush=True)
            continue
        print(
            f"{'':<14} step, heaviest batch of {row['batch_size']} ({row['batch_triplets']:,} "
            f"triplets): peak est/measured {row['peak_estimate'] / 1e9:.3f}/"
            f"{row['peak_measured'] / 1e9:.3f} GB = {row['peak_ratio']:.2f}  seconds "
            f"{row['step_estimate']:.2f}/{row['step_measured']:.2f} = {row['step_ratio']:.2f}  "
            f"(calibration {row['calibration_seconds']:.1f} s, load {row['step_load']:.1f})",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
