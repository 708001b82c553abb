"""The benchmarks that have a ``--quick`` mode run in the suite: they must finish, and
print what they measure (their goals are for a quiet machine; no time is asserted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
@pytest.mark.dgl
def test_train_overhead_quick_runs_both_and_finds_the_same_history():
    env = {**os.environ, "DGLBACKEND": "pytorch", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "benchmarks/train_overhead.py", "--quick", "--threads", "1"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "same history as bare train_for_folder (1e-4 relative): yes" in lines
    assert re.fullmatch(
        r"run 0: bare [\d.]+ s, alignn-nb train [\d.]+ s, \+-?[\d.]+ s "
        r"\(of which the cost model's estimate [\d.]+ s\)",
        lines[1],
    )
    assert re.fullmatch(
        r"overhead: median -?[\d.]+ s on a bare [\d.]+ s \(goal <= [\d.]+ s: \w+\)", lines[2]
    )
    assert re.fullmatch(
        r"run 0: cost model vs first epoch's training steps [+-]\d+%; "
        r"ETA after the first epoch minus the time taken [+-][\d.]+ s",
        lines[4],
    )
