"""``alignn-nb loss-terms``: text and JSON output, seed stability and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write

from alignn_nb.cli import main
from alignn_nb.training.example_data import default_dataset
from tests.conftest import EXAMPLE_DATA


@pytest.fixture(scope="module")
def small_xyz(tmp_path_factory):
    """Six EMT-labelled frames of the default dataset as an extxyz file."""
    frames = []
    for sample in default_dataset()[:6]:
        atoms = sample.atoms.copy()
        atoms.calc = EMT()
        atoms.get_stress()
        frames.append(atoms)
    path = tmp_path_factory.mktemp("data") / "six.extxyz"
    write(path, frames, format="extxyz")
    return path


def _json(capsys, *argv: str) -> dict:
    assert main(["loss-terms", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.dgl
def test_json_shape_and_absent_terms(capsys, small_xyz):
    result = _json(capsys, "--data", str(small_xyz), "--set", "stresswise_weight=0.25")
    assert set(result) == {"terms", "total", "penalty", "samples", "skipped"}
    assert result["skipped"] == []
    assert list(result["terms"]) == ["graphwise", "gradwise", "stresswise"]
    assert set(result["terms"]["stresswise"]) == {"raw", "weight", "weighted", "share"}
    assert result["terms"]["stresswise"]["weight"] == 0.25
    assert result["samples"] == 6
    assert result["penalty"] == {"energy": 0.0, "bonds_below_threshold": 0}
    assert result["total"] == pytest.approx(sum(t["weighted"] for t in result["terms"].values()))


def test_the_pure_model_needs_no_dgl(capsys, small_xyz):
    result = _json(
        capsys, "--data", str(small_xyz), "--set", "name=alignn_atomwise_pure",
        "--set", "neighbor_strategy=pure_torch", "--set", "stresswise_weight=0.25",
    )  # fmt: skip
    assert list(result["terms"]) == ["graphwise", "gradwise", "stresswise"]
    assert result["samples"] == 6
    assert all(term["raw"] > 0 for term in result["terms"].values())


@pytest.mark.dgl
def test_same_seed_same_numbers(capsys, small_xyz):
    first = _json(capsys, "--data", str(small_xyz), "--seed", "7")
    again = _json(capsys, "--data", str(small_xyz), "--seed", "7")
    other = _json(capsys, "--data", str(small_xyz), "--seed", "8")
    assert again == first
    assert other["terms"]["graphwise"]["raw"] != first["terms"]["graphwise"]["raw"]


@pytest.mark.dgl
def test_terms_that_do_not_apply_are_left_out(capsys, small_xyz):
    result = _json(capsys, "--data", str(small_xyz), "--set", "gradwise_weight=0")
    assert list(result["terms"]) == ["graphwise"]
    assert result["terms"]["graphwise"]["share"] == 1.0


@pytest.mark.dgl
def test_text_output_has_rows_total_penalty_and_conventions(capsys, small_xyz):
    assert main(["loss-terms", "--data", str(small_xyz), "--set", "penalty_threshold=2.6"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dataset: six.extxyz (6 samples, 32 atoms)\n")
    assert "positive under tension" in out
    assert "\ngraphwise " in out and "\ngradwise " in out and "stresswise" not in out
    assert "\ntotal " in out
    penalty = next(line for line in out.splitlines() if line.startswith("penalty: "))
    assert "bonds below penalty_threshold" in penalty and not penalty.endswith(" 0 bonds below")


@pytest.mark.dgl
def test_missing_target_reported_in_json(capsys, tmp_path):
    frames = []
    for sample in default_dataset()[:2]:
        atoms = sample.atoms.copy()
        atoms.calc = SinglePointCalculator(
            atoms, energy=sample.targets.energy, forces=sample.targets.forces
        )
        frames.append(atoms)
    write(tmp_path / "no_stress.extxyz", frames, format="extxyz")
    result = _json(
        capsys, "--data", str(tmp_path / "no_stress.extxyz"), "--set", "stresswise_weight=0.1"
    )
    assert result["terms"]["stresswise"]["status"] == "no target"
    assert result["terms"]["stresswise"]["raw"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "/nowhere/id_prop.json"], "no dataset file at /nowhere/id_prop.json"),
        (["--data", "default", "--set", "hidden=3"], "--set hidden=3: no field 'hidden'"),
        (
            ["--data", "default", "--set", "atom_input_features=92"],
            "atom_input_features is 92 but 'atomic_number' vectors have length 1",
        ),
    ],
)
def test_refusals_exit_2_with_one_line(capsys, argv, message):
    assert main(["loss-terms", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"alignn-nb loss-terms: error: {message}")
    assert err.count("\n") == 1


@pytest.mark.dgl
def test_jarvis_sample(capsys):
    path = EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json"
    result = _json(capsys, "--data", str(path), "--set", "stresswise_weight=0.05")
    assert result["samples"] == 50
    assert list(result["terms"]) == ["graphwise", "gradwise", "stresswise"]


@pytest.mark.slow
@pytest.mark.dgl
def test_a_new_process_prints_the_same_numbers(capsys):
    in_process = _json(capsys, "--data", "default", "--seed", "3")
    env = {**os.environ, "DGLBACKEND": "pytorch"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "alignn_nb.cli",
            "loss-terms",
            "--data",
            "default",
            "--seed",
            "3",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    assert json.loads(completed.stdout) == in_process
