"""Every script in benchmarks/ runs in its --quick mode and prints its result line.

The benchmarks are not timed here: each must exit 0 and print the line that compares
it with alignn (or ASE, or jarvis), with the comparison's own check where it has one
(equal graphs, equal totals, the same structure). Each runs in a fresh interpreter in
an empty working folder, with its temporary folder in this test's, and must leave both
empty.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.repo import REPO

BENCHMARKS = REPO / "benchmarks"
HANG_GUARD_S = 900.0
"""Bound on a benchmark that never ends; not a speed limit."""
RESULT_LINES = {
    "cif_read.py": [
        r"^  ratio ASE / ours: [\d.]+x; same atoms: True$",
        r"^  ratio jarvis / ours: [\d.]+x; same structure: True$",
    ],
    "dataset_estimates.py": [r"^jarvis-k8 +8 structures  totals equal: True .* = [\d.]+x \("],
    "dataset_scale.py": [
        r"^ +\d+ structures: +\d+ structures/s \(scan [\d.]+ s, .* peak \d+ MB driver \+ workers",
        r"^peak memory growth \d+ -> \d+ structures: [+-]\d+ MB$",
        r"^alignn's own graphs: \d+ structures/s on one core .* ratio scan / alignn [\d.]+x$",
        r"^\d+ random rows of the table equal alignn's graphs: True$",
    ],
    "explorer_update.py": [r"^explorer / alignn build \(median of paired ratios\): [\d.]+$"],
    "graph_build.py": [r"^ +rattled +64 .* [\d.]+x +[\d.]+ +True "],
    "live_update.py": [
        r"^alignn's full line graph +inner_cutoff .* [+-]\d+%",
        r"^an edit while the graph view redraw is held: median [\d.]+ ms",
    ],
    "loss_terms.py": [
        r"^decomposition: ours [\d.]+ ms, alignn by hand [\d.]+ ms, ratio [\d.]+",
        r"^training step: ours [\d.]+ ms, alignn by hand [\d.]+ ms, ratio [\d.]+",
    ],
    "pure_graph_build.py": [
        r"^ +Si 64 rattled: ours +[\d.]+ ms, alignn +[\d.]+ ms, ratio +[\d.]+x"
    ],
    "sweep.py": [r"^median trials/min: 1 worker [\d.]+, 2 workers [\d.]+; ratio [\d.]+x"],
    "train_overhead.py": [
        r"^same history as bare train_for_folder \(1e-4 relative\): yes$",
        r"^overhead: median -?[\d.]+ s on a bare [\d.]+ s \(goal <= [\d.]+ s: \w+\)$",
        r"^run 0: cost model vs first epoch's training steps [+-]\d+%; "
        r"ETA after the first epoch minus the time taken [+-][\d.]+ s$",
    ],
    "view_update.py": [
        r"^  alignn graph rebuild for the same change: .* ratio alignn / ours = [\d.]+x$"
    ],
}
"""Each script's result lines (regular expressions, one line each)."""
WITHOUT_DGL = {"cif_read.py", "pure_graph_build.py"}
"""The benchmarks that run without DGL; the others time alignn's DGL model or graphs."""


def test_every_benchmark_is_run_here():
    assert sorted(path.name for path in BENCHMARKS.glob("*.py")) == sorted(RESULT_LINES)


def _script(name: str) -> object:
    marks = [] if name in WITHOUT_DGL else [pytest.mark.dgl]
    return pytest.param(name, marks=marks, id=name.removesuffix(".py"))


@pytest.mark.slow
@pytest.mark.parametrize("name", [_script(name) for name in sorted(RESULT_LINES)])
def test_quick_mode_prints_its_result(name: str, tmp_path: Path) -> None:
    work, scratch = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "DGLBACKEND": "pytorch", "TMPDIR": str(scratch)}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), "--quick"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    for pattern in RESULT_LINES[name]:
        assert re.search(pattern, done.stdout, re.MULTILINE), (pattern, done.stdout)
    assert list(work.iterdir()) == []
    assert list(scratch.iterdir()) == []
