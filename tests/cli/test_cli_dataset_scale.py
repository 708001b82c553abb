"""``alignn-nb dataset-stats`` in a real process: Ctrl-C keeps the rows written, ``--resume``
finishes the same table an uninterrupted scan writes, and the printed summary stays small."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alignn_nb.datasets.synthetic import write_synthetic_id_prop
from tests.support.repo import REPO

HANG_GUARD_S = 300.0
"""Bound on a process that never ends; not a speed limit."""
STRUCTURES = 4_000


def _command(data: Path, table: Path, *more: str) -> list[str]:
    return [
        sys.executable, "-m", "alignn_nb.cli", "dataset-stats", str(data), "--workers", "1",
        "--no-calibrate", "--json", "--per-structure", str(table), *more,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "DGLBACKEND": "pytorch"}


def _rows(table: Path) -> int:
    return max(0, len(table.read_text().splitlines()) - 1) if table.exists() else 0


@pytest.mark.slow
def test_ctrl_c_keeps_the_rows_and_resume_gives_the_uninterrupted_table(tmp_path) -> None:
    data = write_synthetic_id_prop(tmp_path / "id_prop.json", STRUCTURES, seed=11)
    whole, table = tmp_path / "whole.csv", tmp_path / "rows.csv"
    done = subprocess.run(_command(data, whole), env=_env(), capture_output=True, text=True,
                          timeout=HANG_GUARD_S)  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["per_structure"] is None and len(done.stdout) < 10**6
    process = subprocess.Popen(_command(data, table), env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while _rows(table) == 0 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=HANG_GUARD_S)
    finally:
        if process.poll() is None:
            process.kill()
    kept = _rows(table)
    assert process.returncode == 130, err
    assert 0 < kept < STRUCTURES, err
    assert json.loads(out)["stopped"] is True
    assert err.splitlines()[-1] == (
        f"dataset-stats: stopped; go on with: alignn-nb dataset-stats ... --per-structure "
        f"{table} --resume"
    )
    assert table.read_text() == "".join(whole.read_text().splitlines(keepends=True)[: kept + 1])
    resumed = subprocess.run(_command(data, table, "--resume"), env=_env(),
                             capture_output=True, text=True, timeout=HANG_GUARD_S)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert table.read_text() == whole.read_text()
    found = json.loads(resumed.stdout)
    for key in ("structures", "atoms", "edges", "triplets", "graph_memory_bytes", "heaviest_batch"):
        assert found[key] == summary[key], key
