"""Sweep throughput: trials per minute on a local Dask cluster of 1 and of 2 workers.

Run: ``DGLBACKEND=pytorch .venv/bin/python benchmarks/sweep.py [--trials 8] [--repeats 3]
[--quick]`` (``--quick``: one run of 2 trials of 2 steps on 4 cells per cluster size).

Each cluster (single-threaded worker processes, as `alignn-nb sweep` starts them) is warmed
first with one trial per worker, so that the workers' imports are not timed. Then a fresh
study runs ``--trials`` trials of 10 AdamW steps each on 10 cells of alignn's JARVIS sample
(hidden_features 32, tuned over learning_rate and hidden_features, no pruning). The 1- and
2-worker runs alternate; the script prints each run, the median trials per minute of each,
and their ratio (the target is 2 workers >= 1.7x one on a machine with 2 free cores).
Dask's scratch and the study's journal stay in a temporary folder, and each cluster is
closed before the next starts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("DGLBACKEND", "pytorch")

from alignn_nb.app.cluster import Cluster, connect
from alignn_nb.app.tuning import run_study
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.training.datasets import load_dataset
from alignn_nb.training.example_data import example_dataset_path
from alignn_nb.training.search_space import SearchSpace, TrialOptions, TrialSettings
from alignn_nb.training.study import TuningPlan, open_study

SPACE = ["learning_rate=1e-4:1e-2:log", "hidden_features=16:32"]
CFG = {"alignn_layers": 1, "gcn_layers": 1, "hidden_features": 32, "embedding_features": 32}


STEPS, CELLS = 10, 10
"""AdamW steps per trial and JARVIS sample cells trained on (``--quick``: `QUICK`)."""
QUICK = {"trials": 2, "repeats": 1, "steps": 2, "cells": 4}


def plan(steps: int) -> TuningPlan:
    base = TrialSettings(ALIGNNAtomWiseConfig(**CFG), GraphConfig(), TrialOptions(steps=steps))
    return TuningPlan(SearchSpace.parse(SPACE), base, device="cpu")


def sweep(address: str, folder: str, name: str, trials: int, size: tuple[int, int]) -> float:
    """Seconds for a fresh study ``name`` to finish ``trials`` trials on the cluster, of
    ``size`` (steps, cells)."""
    steps, cells = size
    dataset = load_dataset(example_dataset_path("jarvis_ff_sample"))[:cells]
    study = open_study(
        os.path.join(folder, "bench.journal"), name, plan(steps).key(dataset), pruner="none"
    )
    start = time.perf_counter()
    run_study(study, plan(steps), dataset, trials, Cluster(scheduler=address))
    return time.perf_counter() - start


def per_minute(workers: int, trials: int, run: int, folder: str, size: tuple[int, int]) -> float:
    """Trials per minute of one timed sweep on a fresh, warmed cluster of ``workers``."""
    with connect(Cluster(workers=workers), local_directory=folder) as client:
        address = client.scheduler.address
        sweep(address, folder, f"warm-{workers}-{run}", workers, size)
        seconds = sweep(address, folder, f"timed-{workers}-{run}", trials, size)
    rate = 60.0 * trials / seconds
    print(
        f"run {run}: {workers} worker(s): {trials} trials in {seconds:.1f} s, {rate:.1f} trials/min"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one short run per cluster size")
    args = parser.parse_args()
    size = (STEPS, CELLS)
    if args.quick:
        args.trials, args.repeats = QUICK["trials"], QUICK["repeats"]
        size = (QUICK["steps"], QUICK["cells"])
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rates: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.repeats):
            for workers in (1, 2):
                rates[workers].append(per_minute(workers, args.trials, run, folder, size))
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(
        f"median trials/min: 1 worker {one:.1f}, 2 workers {two:.1f}; "
        f"ratio {two / one:.2f}x (target >= 1.7x); cores {len(os.sched_getaffinity(0))}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
