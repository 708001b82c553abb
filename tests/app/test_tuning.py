"""Sweeps on a real Dask cluster: a killed worker, a raising trial, resume, and the CLI."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from alignn_nb.app import tuning
from alignn_nb.app.cluster import Cluster
from alignn_nb.cli import main
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.training.search_space import SearchSpace, TrialOptions, TrialSettings
from alignn_nb.training.study import TuningPlan, finished_count, open_study, records
from tests.conftest import EXAMPLE_DATA, TINY_PURE_MODEL
from tests.dask_processes import START_SECONDS, hold_trial_until_released

pytestmark = [pytest.mark.dgl, pytest.mark.slow]

SPACE = ["hidden_features=5,6"]
REFUSED = (
    "ValueError: hidden_features 5 is not a multiple of num_heads 2: "
    "alignn's n_alignn layers split the features evenly across heads"
)


@pytest.fixture
def six_cells(tmp_path):
    """The first six cells of alignn's JARVIS sample as an id_prop.json file."""
    rows = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[:6]
    path = tmp_path / "six.json"
    path.write_text(json.dumps(rows))
    return path


def _wait_for_files(folder, pattern, count):
    deadline = time.monotonic() + START_SECONDS
    while len(list(folder.glob(pattern))) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return sorted(folder.glob(pattern))


def _check(told):
    """Each trial ended as its hidden_features says: 6 trains, 5 is refused by alignn."""
    for record in told:
        if record.params["hidden_features"] == 5:
            assert (record.state, record.error) == ("FAIL", REFUSED)
        else:
            assert record.state in ("COMPLETE", "PRUNED") and record.error is None


def test_a_sweep_survives_a_killed_worker_resumes_and_runs_from_the_cli(
    dask_cluster, tmp_path, six_cells, monkeypatch, capsys
):
    from alignn.config import TrainingConfig

    from alignn_nb.training.datasets import load_dataset

    dataset = load_dataset(six_cells)
    base = TrialSettings(
        ALIGNNAtomWiseConfig(**TINY_PURE_MODEL), GraphConfig(), TrialOptions(steps=2)
    )
    plan = TuningPlan(SearchSpace.parse(SPACE), base, device="cpu")
    storage = str(tmp_path / "study.journal")
    study = open_study(storage, "s", plan.key(dataset))
    cluster = Cluster(scheduler=dask_cluster.address)
    scratch = tmp_path / "dask"
    monkeypatch.setattr(tuning, "trial_task", hold_trial_until_released)
    told = []
    runner = threading.Thread(
        target=lambda: told.extend(tuning.run_study(study, plan, dataset, 4, cluster))
    )
    runner.start()
    held = _wait_for_files(scratch, "pid-*", 2)
    victim = int(next(p for p in held if p.name.startswith("pid-0-")).name.rsplit("-", 1)[1])
    assert victim in dask_cluster.worker_pids and len(held) == 2
    os.kill(victim, signal.SIGKILL)
    (scratch / "release").touch()
    runner.join(START_SECONDS)
    assert not runner.is_alive()
    survivor = f"worker-{1 - dask_cluster.worker_pids.index(victim)}"
    assert sorted(r.number for r in told) == [0, 1, 2, 3]
    assert not any(r.stopped for r in told)
    _check(told)
    assert {r.worker for r in told if r.number == 0 or r.number > 1} == {survivor}
    assert {r.params["hidden_features"] for r in told} == {5, 6}
    assert finished_count(study) == 4
    for trial in study.get_trials(deepcopy=False):
        if trial.state.name == "COMPLETE":
            assert sorted(trial.intermediate_values) == [1, 2]
            assert trial.intermediate_values[2] == trial.value

    monkeypatch.undo()
    best = tmp_path / "best.json"
    argv = [
        "sweep",
        "--data",
        str(six_cells),
        "--param",
        *SPACE,
        "--trials",
        "5",
        "--steps",
        "2",
        "--scheduler",
        dask_cluster.address,
        "--storage",
        storage,
        "--study",
        "s",
        "--device",
        "cpu",
        "--save-best",
        str(best),
        "--json",
    ]
    argv += [f"--set={k}={v}" for k, v in TINY_PURE_MODEL.items()]
    assert main(argv) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown) == {"study", "storage", "objective", "trials", "best", "skipped"}
    assert shown["skipped"] == []
    assert [t["number"] for t in shown["trials"]] == [0, 1, 2, 3, 4]
    assert [t["state"] for t in shown["trials"][:4]] == [r.state for r in records(study)][:4]
    assert shown["trials"][4]["worker"] == survivor
    complete = [t for t in shown["trials"] if t["state"] == "COMPLETE"]
    top = min(complete, key=lambda t: t["value"])
    assert shown["best"] == {
        "number": top["number"],
        "params": top["params"],
        "value": top["value"],
    }
    accepted = TrainingConfig(**json.loads(best.read_text()))
    assert (accepted.model.hidden_features, accepted.model.num_heads) == (6, 2)
