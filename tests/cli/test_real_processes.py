"""A handful of real ``python -m alignn_nb.cli`` processes on alignn's example configs: the
exit status and stderr as a shell sees them (the matrix itself runs the verbs in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.real_configs import (
    EALIGNN,
    EALIGNN_REFUSAL,
    HIDDEN,
    SMALL,
    config_path,
    write_si_inputs,
)

HANG_GUARD_S = 600.0
"""Bound on a process that never ends; not a speed limit."""
MLEARN_SI_DGL = "sample_data_ff/mlearn_data/Si/config_dgl.json"


def alignn_nb(folder: Path, *argv) -> subprocess.CompletedProcess:
    """``python -m alignn_nb.cli ARGV`` in ``folder`` (Dask's scratch files stay there)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["DASK_TEMPORARY_DIRECTORY"] = str(folder)
    command = [sys.executable, "-m", "alignn_nb.cli", *map(str, argv)]
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=HANG_GUARD_S
    )


@pytest.mark.slow
def test_the_reported_mlearn_dataset_stats_command_succeeds(tmp_path):
    """The issue's command: alignn's mlearn Si config (max_neighbors null), no calibration."""
    si, _ = write_si_inputs(tmp_path)
    done = alignn_nb(
        tmp_path,
        "dataset-stats", si, "--config", config_path(MLEARN_SI_DGL),
        "--no-calibrate", "--workers", "1", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    stats = json.loads(done.stdout)
    assert stats["structures"] == SMALL
    (advice,) = [a for a in stats["advice"] if a["field"] == "max_neighbors"]
    assert advice["value"] == round(stats["degree_max"] * 2 / 3)


@pytest.mark.slow
def test_a_pure_config_s_loss_terms_succeed(tmp_path):
    si, _ = write_si_inputs(tmp_path)
    pure = config_path("sample_data_ff/mlearn_data/Si/config.json")
    done = alignn_nb(tmp_path, "loss-terms", "--data", si, "--config", pure, "--set", HIDDEN)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"dataset: si.json ({SMALL} samples, 62 atoms)\n")


def test_ealignn_is_refused_by_name_with_exit_2(tmp_path):
    done = alignn_nb(tmp_path, "graph-stats", "Si", "--config", config_path(EALIGNN))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"alignn-nb graph-stats: error: --config: {config_path(EALIGNN)}: {EALIGNN_REFUSAL}\n"
    )


def test_a_missing_file_is_one_line_and_debug_adds_the_traceback(tmp_path):
    missing = tmp_path / "missing.json"
    done = alignn_nb(tmp_path, "loss-terms", "--data", missing)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"alignn-nb loss-terms: error: no dataset file at {missing}\n"
    debug = alignn_nb(tmp_path, "loss-terms", "--data", missing, "--debug")
    assert debug.returncode == 2
    assert debug.stderr.startswith("Traceback (most recent call last):\n")
    assert debug.stderr.endswith(f"FileNotFoundError: no dataset file at {missing}\n{done.stderr}")
