"""What alignn-nb train checks before it writes anything: the folder, the config through
the mirror, the settings, the data's targets and the split; and how data is written."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.io import write

from alignn_nb.training import Refused, TrainRequest, check_training
from alignn_nb.training.train_data import needed_targets, write_data
from alignn_nb.training.train_folder import RunFolder, host
from tests.support import train_runs

pytestmark = pytest.mark.dgl


@pytest.fixture
def inputs(tmp_path):
    data = train_runs.write_data(tmp_path / "data")
    config = train_runs.write_config(tmp_path / "config.json")
    return tmp_path, str(data), str(config)


def _refused(request: TrainRequest) -> str:
    with pytest.raises(Refused) as refused:
        check_training(request)
    text = str(refused.value)
    assert "\n" not in text
    return text


def test_a_good_request_gives_alignns_whole_config_with_the_settings_and_the_output(inputs):
    tmp, data, config = inputs
    request = TrainRequest(tmp / "out", data, config, {"hidden_features": 16, "epochs": 2})
    plan = check_training(request)
    assert plan.config["model"]["hidden_features"] == 16
    assert (plan.config["epochs"], plan.config["output_dir"]) == (2, str(tmp / "out"))
    assert plan.config["resume_checkpoint"] is False
    assert (plan.data.layout, plan.data.structures, plan.resumed) == ("id_prop.json", 24, 0)
    assert not (tmp / "out").exists()


def test_the_config_given_as_a_dict_plans_as_its_file_does(inputs):
    tmp, data, config = inputs
    as_dict = json.loads(open(config).read())
    given = TrainRequest(tmp / "out", data, as_dict)
    assert given.config == as_dict and given.config is not as_dict
    assert (
        check_training(given).config
        == check_training(TrainRequest(tmp / "out", data, config)).config
    )
    (tmp / "out" / "alignn-nb").mkdir(parents=True)
    RunFolder.of(tmp / "out").write_state({"status": "stopped", "config_source": config})
    RunFolder.of(tmp / "out").config.write_text(json.dumps(as_dict))
    resumed = TrainRequest(tmp / "out", resume=True, config=as_dict)
    assert _refused(resumed) == (
        f"--config (a config dict): --resume continues the run with its own ({config}); "
        "leave --config out"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"hidden_features": 0},
            "--set: hidden_features = 0 refused: hidden_features must be an integer >= 1",
        ),
        ({"hiden": 3}, "--set hiden: no model, graph or training field 'hiden'"),
        ({"batch_size": "four"}, "--set: batch_size = 'four' refused: batch_size must be an"),
        ({"epochs": 0}, "--set: epochs = 0 refused: epochs must be an integer >= 1"),
        ({"dtype": 3}, "dtype = 3 refused by alignn's TrainingConfig: Input should be a valid"),
        (
            {"n_train": 30},
            "id_prop.json has 24 structures: alignn cannot split n_train 30, n_val 4, n_test 4",
        ),
    ],
)
def test_a_bad_setting_is_refused_in_one_line_naming_it(inputs, settings, message):
    tmp, data, config = inputs
    assert _refused(TrainRequest(tmp / "out", data, config, settings)).startswith(message)
    assert not (tmp / "out").exists()


def test_a_bad_config_value_is_refused_naming_the_field(inputs):
    tmp, data, _ = inputs
    bad = train_runs.write_config(tmp / "bad.json", learning_rate="fast")
    text = _refused(TrainRequest(tmp / "out", data, str(bad)))
    assert text == (
        f"--config: {bad}: learning_rate = 'fast' refused: learning_rate must be a finite "
        "number >= 0.0"
    )


def test_a_folder_that_holds_anything_is_refused_unless_resumed(inputs):
    tmp, data, config = inputs
    (tmp / "out").mkdir()
    (tmp / "out" / "notes.txt").write_text("mine")
    assert _refused(TrainRequest(tmp / "out", data, config)) == (
        f"--output {tmp / 'out'}: not an empty folder; give a new or empty one, or --resume "
        "to continue the run in it"
    )
    assert _refused(TrainRequest(tmp / "out", resume=True)) == (
        f"--resume: {tmp / 'out'} holds no run of alignn-nb train"
    )


def test_structures_without_a_trained_target_are_refused_naming_the_first(inputs):
    tmp, _, config = inputs
    entries = train_runs.si_entries()
    del entries[5]["forces"]
    entries[7]["forces"] = entries[7]["forces"][:-1]
    data = train_runs.write_data(tmp / "lacking", entries)
    assert _refused(TrainRequest(tmp / "out", str(data), config)) == (
        f"id_prop.json: 1 of 24 structures lack forces, which the config trains on "
        f"(gradwise_weight 1); the first: {entries[5]['jid']!r}"
    )


def test_an_id_prop_csv_cannot_train_forces_but_trains_an_energy(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    lines = []
    for index, entry in enumerate(train_runs.si_entries()):
        from jarvis.core.atoms import Atoms

        Atoms.from_dict(entry["atoms"]).write_poscar(str(folder / f"POSCAR-{index}"))
        lines.append(f"POSCAR-{index},{entry['total_energy']}")
    (folder / "id_prop.csv").write_text("\n".join(lines) + "\n")
    forces = train_runs.write_config(tmp_path / "forces.json")
    assert _refused(TrainRequest(tmp_path / "out", str(folder), str(forces))) == (
        "csv/id_prop.csv holds one row of targets per structure file, without forces "
        "(gradwise_weight 1), which the config trains on: give alignn's force-field "
        "id_prop.json or an extxyz file"
    )
    energy = train_runs.config()
    energy["model"].update(calculate_gradient=False, gradwise_weight=0.0)
    (tmp_path / "energy.json").write_text(json.dumps(energy))
    plan = check_training(
        TrainRequest(tmp_path / "out", str(folder), str(tmp_path / "energy.json"))
    )
    assert (plan.data.layout, plan.data.file_format, plan.data.structures) == (
        "id_prop.csv",
        "poscar",
        24,
    )
    assert needed_targets(plan.config) == [("total_energy", "")]


def _extxyz(path, frames=4, forces=True):
    from alignn_nb.datasets import default_dataset

    written = []
    for sample in default_dataset(size=frames):
        atoms = sample.atoms.copy()
        atoms.calc = EMT()
        atoms.get_stress()
        if not forces:
            atoms.calc.results.pop("forces")
        written.append(atoms)
    write(path, written, format="extxyz")
    return written


def test_an_extxyz_is_written_as_alignns_id_prop_json_in_the_readouts_units(tmp_path):
    frames = _extxyz(tmp_path / "set.extxyz")
    config = train_runs.write_config(tmp_path / "config.json", n_train=2, n_val=1, n_test=1)
    plan = check_training(TrainRequest(tmp_path / "out", str(tmp_path / "set.extxyz"), str(config)))
    note = write_data(plan.data, tmp_path / "written", plan.config)
    entries = json.loads((tmp_path / "written" / "id_prop.json").read_text())
    first = frames[0]
    assert entries[0]["total_energy"] == pytest.approx(first.get_potential_energy() / len(first))
    assert np.allclose(entries[0]["forces"], first.get_forces())
    assert np.allclose(entries[0]["stresses"], first.get_stress(voigt=False) * 160.21766208)
    assert note.startswith("converted from extxyz to alignn's id_prop.json: total_energy in eV per")
    source = json.loads((tmp_path / "written" / "source.json").read_text())
    assert (source["layout"], source["structures"]) == ("extxyz", 4)


def test_an_extxyz_without_forces_is_refused_for_a_force_field(tmp_path):
    _extxyz(tmp_path / "set.extxyz", forces=False)
    config = train_runs.write_config(tmp_path / "config.json", n_train=2, n_val=1, n_test=1)
    assert _refused(TrainRequest(tmp_path / "out", str(tmp_path / "set.extxyz"), str(config))) == (
        "set.extxyz: 4 of 4 structures lack forces, which the config trains on "
        "(gradwise_weight 1); the first: 'Cu-00'"
    )


def test_a_resume_is_refused_while_the_run_goes_and_for_a_model_field(tmp_path):
    folder = RunFolder.of(tmp_path / "run")
    folder.own.mkdir(parents=True)
    folder.config.write_text(json.dumps(train_runs.config()))
    process = _holder()
    try:
        folder.write_state({"status": "running", "pid": process.pid, "host": host()})
        assert _refused(TrainRequest(folder.output, resume=True)) == (
            f"--resume: a run is going in {folder.output} (pid {process.pid} on {host()})"
        )
    finally:
        process.stdin.close()
        process.stdout.close()
        process.wait()
    assert _refused(TrainRequest(folder.output, settings={"cutoff": 4.0}, resume=True)) == (
        "--set cutoff: only training keys can change on a resume"
    )
    plan = check_training(TrainRequest(folder.output, settings={"epochs": 6}, resume=True))
    assert (plan.epochs, plan.resumed, plan.config["resume_checkpoint"]) == (6, 0, False)


def _holder() -> subprocess.Popen:
    """A process whose command line names alignn_nb, as a training's does; it ends when
    its stdin closes. Returns once it runs its own program."""
    code = "import sys; print('up', flush=True); sys.stdin.read()"
    command = [sys.executable, "-c", code, "alignn_nb"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "up\n"
    return process
