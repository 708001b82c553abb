"""Real alignn training steps on small batches, measured and fitted into a `StepCost`.

`calibrate` starts a fresh Python process (``python -m alignn_nb.training.step_calibration``)
that builds alignn's own model (`alignn_nb.model.build_model`) for the config and runs
training steps (forward with forces and stress as the config asks, L1 loss, backward,
AdamW) on four small batches of copies of bulk cells whose bond densities differ
(4 to ~43 bonds per atom), so that per-triplet, per-bond and per-atom costs separate:

1. with glibc's mmap threshold at 64 KiB every big tensor is mapped and unmapped on its
   own, so a step's peak resident growth is its peak live bytes (``live``), and its time
   is that of a step whose big tensors are mmapped (``time_mmap``);
2. with the threshold at glibc's 32 MiB ceiling (a long run's steady state) the steps'
   median time (``time_heap``) and peak growth over live (``heap_factor``).

Each is a non-negative least-squares fit on relative residuals. The process is fresh
because a grown heap spoils the live measurement and the malloc settings stay behind.
Linux with glibc only (``/proc/self/clear_refs``, ``mallopt``).
"""

from __future__ import annotations

import ctypes
import functools
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.training.step_cost import StepCost, model_widths

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
"""mallopt() parameter numbers of glibc's malloc.h."""
LIVE_THRESHOLD = 64 * 1024
MMAP_MAX = 32 * 2**20
CELLS = {
    "k12": ("Cu", "fcc", 3.61, "k-nearest", 8.0),
    "r4": ("Cu", "fcc", 3.61, "radius_graph", 4.0),
    "r5": ("Cu", "fcc", 3.61, "radius_graph", 5.0),
    "si_r3": ("Si", "diamond", 5.43, "radius_graph", 3.0),
}
"""Calibration cells, each one cubic cell: (element, lattice, a in Å, neighbour strategy,
cutoff in Å), with 12, 18, ~43 and 4 bonds per atom."""
SCALE = 0.25
"""Triplets per calibration batch, × 1e6 / the widest per-triplet width (about 3,900 at
64, 2 layers of each kind): one step takes ~0.05-0.3 s on a quiet core and every tensor
stays in glibc's heap regime."""
REPEATS = 2
"""Heap-regime steps per batch (their median time and peak)."""
TIMEOUT = 600.0


def plan(cfg: ALIGNNAtomWiseConfig, scale: float = SCALE) -> list[tuple[str, int]]:
    """``(cell, triplets)`` of each calibration batch for ``cfg``: one cell of 12 bonds
    per atom pins the per-step cost; the others fill about ``target`` triplets."""
    (widest, _), _ = model_widths(cfg)
    layers = max(1, cfg.alignn_layers + cfg.gcn_layers) / 4
    target = int(min(30_000, max(100, scale * 1e6 / widest / layers)))
    return [("k12", 0), ("r4", target), ("r5", target), ("si_r3", target)]


def _graphs(cell: str, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> Any:
    """alignn's graphs (every bond pair in the line graph) of one calibration cell."""
    from ase.build import bulk

    from alignn_nb.graphs import build_graphs

    element, lattice, a, strategy, cutoff = CELLS[cell]
    atoms = bulk(element, lattice, a=a, cubic=True)
    full = cfg.copy()
    full.lighten_edges, full.backtracking = False, True
    own = GraphConfig(**{**graph.to_dict(), "neighbor_strategy": strategy, "cutoff": cutoff})
    own.max_neighbors = 12
    return build_graphs(atoms, full, own, budget=10**9)


def make_batch(cell: str, triplets: int, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> dict:
    """Copies of a cell, about ``triplets`` in all (at least one), batched as alignn's
    loader batches them, with the batch's counts."""
    import dgl
    import torch

    graphs = _graphs(cell, cfg, graph)
    copies = max(1, round(triplets / max(1, graphs.lg.num_edges())))
    g = dgl.batch([graphs.g] * copies)
    lg = dgl.batch([graphs.lg] * copies)
    lattice = torch.as_tensor(graphs.lattice, dtype=torch.float32).expand(copies, 3, 3)
    counts = {"atoms": g.num_nodes(), "edges": g.num_edges(), "triplets": lg.num_edges()}
    return {"g": g, "lg": lg, "lattice": lattice.contiguous(), "counts": counts}


def training_step(model: Any, optimizer: Any, batch: dict, cfg: ALIGNNAtomWiseConfig) -> None:
    """One step as alignn's training runs it: forward, weighted L1 losses, backward, AdamW."""
    import torch

    from alignn_nb.model import model_input

    l1 = torch.nn.functional.l1_loss
    optimizer.zero_grad()
    result = model(model_input(model, batch["g"], batch["lg"], batch["lattice"]))
    loss = cfg.graphwise_weight * l1(result["out"], torch.zeros_like(result["out"]))
    for key, weight in (("grad", cfg.gradwise_weight), ("stresses", cfg.stresswise_weight)):
        value = result.get(key)
        if weight != 0 and isinstance(value, torch.Tensor) and value.requires_grad:
            loss = loss + weight * l1(value, torch.zeros_like(value))
    loss.backward()
    optimizer.step()


@functools.cache
def _libc() -> Any:
    return ctypes.CDLL("libc.so.6")


def _status(key: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def measure(step: Any) -> tuple[int, float]:
    """``(peak resident growth in bytes, seconds)`` of ``step()`` over a trimmed heap."""
    gc.collect()
    _libc().malloc_trim(0)
    base = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset VmHWM to the current resident size
    start = time.perf_counter()
    step()
    seconds = time.perf_counter() - start
    return _status("VmHWM") - base, seconds


def fit(rows: Sequence[dict], key: str) -> tuple[float, float, float, float]:
    """Non-negative ``(per step, per atom, per bond, per triplet)`` coefficients of
    ``row[key]`` on relative residuals."""
    import numpy as np
    from scipy.optimize import nnls

    a = np.array([[1.0, r["atoms"], r["edges"], r["triplets"]] for r in rows])
    y = np.array([r[key] for r in rows], dtype=float)
    coef, _ = nnls(a / y[:, None], np.ones(len(rows)))
    per_step, per_atom, per_bond, per_triplet = (float(c) for c in coef)
    return per_step, per_atom, per_bond, per_triplet


def _mallopt(option: int, value: int) -> None:
    if _libc().mallopt(option, value) != 1:
        raise RuntimeError(f"mallopt({option}, {value}) failed")


def calibrate_here(
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    scale: float = SCALE,
    repeats: int = REPEATS,
    seed: int = 0,
) -> tuple[dict, list[dict]]:
    """Measure and fit in this (fresh) process; returns the `StepCost` fields without
    ``seconds``, and the measured rows."""
    import torch
    from alignn.utils import group_decay

    from alignn_nb.model import build_model

    model = build_model(cfg, seed=seed).train()
    optimizer = torch.optim.AdamW(group_decay(model), lr=1e-3, weight_decay=1e-5)
    batches = [make_batch(cell, triplets, cfg, graph) for cell, triplets in plan(cfg, scale)]
    rows = [dict(b["counts"]) for b in batches]
    _mallopt(M_MMAP_THRESHOLD, LIVE_THRESHOLD)
    training_step(model, optimizer, batches[2], cfg)  # first-call costs, optimizer state
    for row, batch in zip(rows, batches, strict=True):
        row["live"], row["s_mmap"] = measure(
            lambda b=batch: training_step(model, optimizer, b, cfg)
        )
    _mallopt(M_MMAP_THRESHOLD, MMAP_MAX)
    _mallopt(M_TRIM_THRESHOLD, 2 * MMAP_MAX)
    for row, batch in zip(rows, batches, strict=True):
        runs = [
            measure(lambda b=batch: training_step(model, optimizer, b, cfg)) for _ in range(repeats)
        ]
        row["peak"] = statistics.median(r[0] for r in runs)
        row["s_heap"] = statistics.median(r[1] for r in runs)
    widths, edge = model_widths(cfg)
    fields = {
        "hidden_features": cfg.hidden_features,
        "triplet_widths": widths,
        "edge_width": edge,
        "live": fit(rows, "live"),
        "heap_factor": statistics.median(r["peak"] / r["live"] for r in rows),
        "time_heap": fit(rows, "s_heap"),
        "time_mmap": fit(rows, "s_mmap"),
        "threads": torch.get_num_threads(),
        "process_bytes": _status("VmRSS"),
    }
    return fields, rows


def calibrate(
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    hidden: Sequence[int] = (),
    threads: int | None = None,
    scale: float = SCALE,
) -> list[StepCost]:
    """`StepCost` of ``cfg``, then of ``cfg`` with each of ``hidden`` as hidden_features,
    measured in one fresh process on ``threads`` torch threads (None: torch's default)
    with batches of `plan` at ``scale``.

    Raises:
        ValueError: for the pure-torch model, or when the calibrating process fails.
    """
    from alignn_nb.config import is_pure

    if is_pure(cfg):
        raise ValueError("step costs are estimated for alignn's DGL model ALIGNNAtomWise only")
    request: dict[str, Any] = {
        "cfg": cfg.to_dict(),
        "graph": graph.to_dict(),
        "hidden": list(hidden),
    }
    request |= {"threads": threads, "scale": scale}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "alignn_nb.training.step_calibration"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "DGLBACKEND": "pytorch"},
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ValueError(f"the step-cost calibration failed: {last}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return [StepCost.from_dict({**fields, "seconds": seconds}) for fields in found]


def _main() -> None:
    request = json.loads(sys.stdin.read())
    import torch

    if request.get("threads"):
        torch.set_num_threads(request["threads"])
    cfg = ALIGNNAtomWiseConfig(**request["cfg"])
    graph = GraphConfig(**request["graph"])
    found = [calibrate_here(cfg, graph, request["scale"])[0]]
    for hidden in request["hidden"]:
        other = cfg.copy()
        other.hidden_features = hidden
        found.append(calibrate_here(other, graph, request["scale"])[0])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    sys.stdout.write(json.dumps(found) + "\n")
    sys.stderr.write(f"cpu seconds {usage.ru_utime + usage.ru_stime:.2f}\n")


if __name__ == "__main__":
    _main()
