"""``alignn-nb check``: alignn's own trained run checked on a local Dask cluster, its JSON,
and bad input as one line with exit status 2."""

from __future__ import annotations

import json
import shutil

import pytest

from alignn_nb.cli import main
from alignn_nb.training import example_run_path

pytestmark = pytest.mark.dgl


def _check(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["check", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_json_has_all_four_checks_and_the_foreign_structure_is_one_line(capsys, alignn_trained):
    argv = (alignn_trained.output, "--data", alignn_trained.data, "--md-steps", "20")
    status, printed, errors = _check(capsys, *argv, "--structure", "Si", "--workers", "1", "--json")
    assert status == 2
    report = json.loads(printed)
    assert [s["id"] for s in report["structures"]] == ["Cu-02", "Al-01", "Si"]
    for structure in report["structures"][:2]:
        checks = structure["checks"]
        assert list(checks) == ["ev", "relax", "md", "forces"]
        assert {c["verdict"] for c in checks.values()} <= {"pass", "warn"}
        assert list(checks["ev"])[:7] == ["volumes", "energies", "v0", "e0", "bulk_modulus_gpa",
                                          "eos", "min_second_difference"]  # fmt: skip
        assert list(checks["relax"])[:5] == [
            "steps", "fmax", "energy_change", "min_distance", "volume_change",
        ]  # fmt: skip
        assert list(checks["md"])[:4] == [
            "steps",
            "timestep_fs",
            "drift_mev_per_atom_ps",
            "max_force",
        ]
        assert (checks["md"]["steps"], checks["md"]["timestep_fs"]) == (20, 1.0)
        assert list(checks["forces"])[:2] == ["max_force_error", "max_stress_error"]
    assert {c["verdict"] for c in report["structures"][2]["checks"].values()} == {"error"}
    assert report["settings"]["md_steps"] == 20
    lines = errors.splitlines()
    assert lines[-1] == (
        "alignn-nb check: error: element Si is absent from the run's training data (the train "
        "split of id_prop.json) (Si: ev, relax, md, forces)"
    )
    assert lines[-2].startswith("alignn-nb check: done in ")


def test_a_run_folder_without_weights_is_one_line(capsys, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(example_run_path(), folder)
    (folder / "best_model.pt").unlink()
    status, printed, errors = _check(capsys, folder)
    assert (status, printed) == (2, "")
    assert errors == f"alignn-nb check: error: no weights file {folder / 'best_model.pt'}\n"


BAD_SETTINGS = {
    "--checks=ev,phonons": "checks ev,phonons refused: choose from ev,relax,md,forces",
    "--md-steps=1": "setting refused: md steps 1: at least 5 (the drift is a linear fit)",
    "--scheduler=localhost": "scheduler 'localhost' refused: an address looks like tcp://HOST:PORT",
}


@pytest.mark.parametrize("option", BAD_SETTINGS)
def test_bad_settings_are_one_line(capsys, option):
    status, printed, errors = _check(capsys, example_run_path(), option)
    assert (status, printed) == (2, "")
    assert errors == f"alignn-nb check: error: {BAD_SETTINGS[option]}\n"
