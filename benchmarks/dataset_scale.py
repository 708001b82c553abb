"""dataset-stats at scale: rate and peak memory from 2,000 to 200,000 structures, and alignn.

For each size, a synthetic id_prop.json of rattled 2-16-atom cells
(`alignn_nb.datasets.synthetic`, seed 0) is scanned by the real command::

    alignn-nb dataset-stats FILE --workers 2 --no-calibrate --json --per-structure TABLE.csv
        --set cutoff=8 --set max_neighbors=12        (k-nearest, alignn-nb's default)

in a fresh process, while the resident memory of that process and its children (the local
Dask cluster's nanny and worker processes) is summed every `SAMPLE_SECONDS`; the peak of
that sum is the driver-and-workers peak. The rate is structures over the scan's seconds
(``seconds`` of the JSON: listing, cluster start-up and counting; the advice after it and
the interpreter's start are printed apart, as the command's wall time).

Then alignn's own builder (`alignn_nb.graphs.reference.alignn_graphs`, DGL) makes the
graphs of `SAMPLE` random structures of the largest set in this process (one core): its
rate, the ratio of the scan's rate to it, and whether those rows of the table equal
alignn's graphs. The machine's load average is printed with every number: the machine is
shared, so run it when the load is low.

``--quick`` scans 300 and 1,500 structures and samples 30: a run of seconds.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/dataset_scale.py [--quick] [--sizes N ...]``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("DGLBACKEND", "pytorch")

SIZES = (2_000, 20_000, 200_000)
QUICK_SIZES = (300, 1_500)
SAMPLE = 60
QUICK_SAMPLE = 30
SAMPLE_SECONDS = 0.05
SETTINGS = ("--set", "cutoff=8", "--set", "max_neighbors=12")


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it."""
    import psutil

    try:
        parent = psutil.Process(root)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_scan(data: Path, table: Path) -> dict:
    """The command on ``data``: its JSON, wall seconds, peak summed RSS and output size.
    Its temporary files (Dask's scratch space) go beside ``table``."""
    command = [
        sys.executable, "-m", "alignn_nb.cli", "dataset-stats", str(data), "--workers", "2",
        "--no-calibrate", "--json", "--per-structure", str(table), *SETTINGS,
    ]  # fmt: skip
    start = time.perf_counter()
    env = {**os.environ, "TMPDIR": str(table.parent)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(process.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(SAMPLE_SECONDS)
    reader.join()
    wall = time.perf_counter() - start
    err = process.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
    if process.returncode != 0:
        raise SystemExit(f"dataset-stats failed ({process.returncode}): {err[-2000:]}")
    return {"stats": json.loads(out[0]), "wall": wall, "peak": peak, "printed": len(out[0])}


def alignn_sample(data: Path, table: Path, count: int) -> tuple[float, int, bool]:
    """alignn's own graphs of ``count`` random structures of ``data``: structures per
    second on this core, how many were built, and whether the table's rows equal them."""
    from alignn_nb.config import GraphConfig
    from alignn_nb.graphs.reference import alignn_graphs
    from alignn_nb.sizing.rows import structure_at

    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    picked = sorted(random.Random(0).sample(range(len(rows)), min(count, len(rows))))
    structures = [structure_at(data, position, rows[position]["id"]) for position in picked]
    graph = GraphConfig(cutoff=8.0, max_neighbors=12)
    alignn_graphs(structures[0], graph)  # imports and first-call costs
    same = True
    start = time.perf_counter()
    for position, atoms in zip(picked, structures, strict=True):
        made = alignn_graphs(atoms, graph)
        found = (made.g.num_nodes(), made.g.num_edges(), made.lg.num_edges())
        row = rows[position]
        same &= found == (int(row["atoms"]), int(row["edges"]), int(row["triplets"]))
    return len(picked) / (time.perf_counter() - start), len(picked), same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes, a small sample")
    parser.add_argument("--sizes", type=int, nargs="*", default=None, help="structures per set")
    args = parser.parse_args(argv)
    from alignn_nb.datasets.synthetic import write_synthetic_id_prop

    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    print(f"dataset-stats, 2 local workers, k-nearest cutoff 8 Å, 12 neighbours ({_load()})")
    results = []
    with tempfile.TemporaryDirectory(prefix="alignn-nb-scale-") as scratch:
        for size in sizes:
            data = write_synthetic_id_prop(Path(scratch) / f"set-{size}.json", size)
            table = Path(scratch) / f"rows-{size}.csv"
            found = run_scan(data, table)
            stats = found["stats"]
            rate = size / stats["seconds"]
            results.append((size, found["peak"], rate, data, table))
            print(
                f"  {size:>7} structures: {rate:7.0f} structures/s (scan {stats['seconds']:.2f} s, "
                f"cluster start {stats['timings'].get('cluster', 0):.2f} s; advice "
                f"{stats.get('advice_seconds') or 0:.2f} s; command {found['wall']:.1f} s); "
                f"peak {found['peak'] / 1e6:.0f} MB driver + workers; JSON "
                f"{found['printed'] / 1e3:.1f} kB ({_load()})"
            )
        first = results[0]
        for size, peak, _, _, _ in results[1:]:
            print(
                f"peak memory growth {first[0]} -> {size} structures: "
                f"{(peak - first[1]) / 1e6:+.0f} MB"
            )
        size, _, rate, data, table = results[-1]
        count = QUICK_SAMPLE if args.quick else SAMPLE
        theirs, built, same = alignn_sample(data, table, count)
        print(
            f"alignn's own graphs: {theirs:.0f} structures/s on one core ({built} random "
            f"structures of the {size} set; {_load()}); ratio scan / alignn {rate / theirs:.1f}x"
        )
        print(f"{built} random rows of the table equal alignn's graphs: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
