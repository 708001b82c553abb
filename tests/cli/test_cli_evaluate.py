"""``alignn-nb evaluate``: alignn's own run (the session's `alignn_trained`) evaluated from
the command line, its JSON, and one-line refusals with exit status 2."""

from __future__ import annotations

import io
import json
import re
import sys

import pytest
import torch

from alignn_nb.cli import main

pytestmark = pytest.mark.dgl


def _evaluate(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["evaluate", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_json_holds_alignns_test_predictions(capsys, alignn_trained):
    out = alignn_trained.output
    argv = (out, "--weights", "last_model.pt", "--data", alignn_trained.data, "--json")
    status, printed, _ = _evaluate(capsys, *argv, "--split", "test")
    assert status == 0
    result = json.loads(printed)
    assert list(result) == [
        "structures",
        "energy_mae",
        "force_mae",
        "stress_mae",
        "per_structure",
        "skipped",
    ]
    assert result["skipped"] == []
    records = json.loads((out / "Test_results.json").read_text())
    assert result["structures"] == len(records) == 2
    for row, record in zip(result["per_structure"], records, strict=True):
        assert list(row) == [
            "id", "atoms", "energy_target", "energy_pred", "force_mae", "stress_mae",
        ]  # fmt: skip
        assert row["id"] == record["id"]
        assert row["energy_pred"] == pytest.approx(record["pred_out"], abs=1e-5)
        assert row["atoms"] == len(record["pred_grad"])
    status, printed, _ = _evaluate(capsys, *argv, "--split", "all")
    assert status == 0 and json.loads(printed)["structures"] == 8


def test_text_names_the_maes_and_the_default_split(capsys, alignn_trained):
    status, printed, _ = _evaluate(capsys, alignn_trained.output, "--data", alignn_trained.data)
    assert status == 0
    lines = printed.splitlines()
    assert lines[0].startswith("output (best_model.pt) on test: 2 structures, ")
    assert lines[1].startswith("energy MAE ") and lines[1].endswith(" eV/atom")
    assert lines[2].startswith("force MAE ") and lines[3].startswith("stress MAE ")


def test_bad_folders_files_and_data_exit_2_with_one_line(capsys, alignn_trained, tmp_path):
    out, data = alignn_trained.output, alignn_trained.data
    hostile = tmp_path / "hostile.pt"
    torch.save({"fc.weight": torch.nn.Linear(1, 1)}, hostile)
    (tmp_path / "bad.json").write_text("[{]")
    cases = {
        (tmp_path / "nowhere", "--data", data): "no alignn output folder at ",
        (out, "--weights", tmp_path / "none.pt", "--data", data): "no weights file ",
        (out, "--weights", hostile, "--data", data): "hostile.pt needs more than tensors",
        (out,): "give --data: alignn records no data folder",
        (out, "--data", tmp_path / "bad.json"): "bad.json",
        (out, "--data", tmp_path): "no dataset file at ",
    }
    for argv, message in cases.items():
        status, printed, error = _evaluate(capsys, *argv)
        assert status == 2 and printed == "", argv
        assert error.count("\n") == 1 and error.startswith("alignn-nb evaluate: error: ")
        assert message in error, error


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_evaluation_job_draws_its_bar_on_stderr(
    capsys, monkeypatch, alignn_trained
):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    argv = (alignn_trained.output, "--data", alignn_trained.data, "--split", "all", "--json")
    status, printed, _ = _evaluate(capsys, *argv)
    assert status == 0 and json.loads(printed)["structures"] == 8
    drawn = terminal.getvalue()
    assert drawn.startswith("\revaluate: ")
    final = drawn.rstrip("\n").rsplit("\r", 1)[-1]
    assert re.fullmatch(
        r"evaluate: done in \d+\.\d s · 8/8 structures \(100%\) · opened .+: .+\x1b\[K", final
    ), final
