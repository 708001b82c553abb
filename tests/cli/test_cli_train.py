"""``alignn-nb train`` in processes of its own: alignn's own history, a refusal that writes
nothing, Ctrl-C in epoch 2 of 5 then --resume, early stopping, a NaN loss, and a run
followed and stopped from another process. Every process is stopped by its PID."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import threading

import numpy as np
import pytest

from tests.support import train_runs

pytestmark = [pytest.mark.dgl, pytest.mark.slow]

ALIGNN_FILES = {
    "config.json",
    "best_model.pt",
    "last_model.pt",
    "current_model.pt",
    "current_state.pt",
    "history_train.json",
    "history_val.json",
    "ids_train_val_test.json",
    "Test_results.json",
}
HANG_GUARD = 300.0
"""Seconds a test waits for a process it started: a guard against a hang, not a limit."""


@pytest.fixture(scope="module")
def direct(tmp_path_factory):
    """alignn's own train_for_folder on the same data and config, in this process, on the
    torch threads of the test runs."""
    import torch

    from tests.support.alignn_training import train_alignn

    root = tmp_path_factory.mktemp("direct")
    data = train_runs.write_data(root / "data")
    threads = torch.get_num_threads()
    torch.set_num_threads(train_runs.THREADS)
    try:
        return train_alignn(root, train_runs.config(), data)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture
def inputs(tmp_path):
    data = train_runs.write_data(tmp_path / "data")
    config = train_runs.write_config(tmp_path / "config.json")
    return str(data), str(config)


def test_the_history_is_alignns_own_and_explore_opens_the_folder(tmp_path, inputs, direct):
    from alignn_nb.cli.explore import checked_request
    from alignn_nb.evaluation import load_run

    data, config = inputs
    out = tmp_path / "out"
    done = train_runs.run(
        "--data", data, "--config", config, "--output", str(out), "--json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    for split in ("train", "val"):
        ours, alignns = train_runs.rows(out, split), train_runs.rows(direct, split)
        assert len(ours) == 3
        np.testing.assert_allclose(ours, alignns, rtol=1e-4, atol=0)
    assert ALIGNN_FILES <= set(os.listdir(out))
    summary = json.loads(done.stdout)
    assert (summary["status"], summary["completed"], summary["epochs"]) == ("done", 3, 3)
    assert summary["history"]["val"] == train_runs.rows(out, "val")
    lines = [line for line in done.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split(" · ")[0] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert all(
        " · train energy " in line and " forces " in line and " stress " in line for line in lines
    )
    assert " · ETA " in lines[0] and "estimated" in lines[0] and "before the start" in lines[0]
    assert sorted(os.listdir(tmp_path)) == ["config.json", "data", "out"]
    assert sorted(os.listdir(out / "alignn-nb")) == [
        "checkpoint",
        "config.json",
        "data",
        "run.json",
        "train.log",
    ]
    run = load_run(out)
    assert run.history.epochs == 3
    assert run.ids == load_run(direct).ids
    opened = checked_request(
        argparse.Namespace(
            run_folder=str(out),
            weights=None,
            data=str(out / "alignn-nb" / "data" / "id_prop.json"),
            split=None,
            compare=None,
        )
    )
    assert (opened["folder"], opened["weights"]) == (str(out), str(out / "best_model.pt"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--set", "hidden_features=0"],
            "--set: hidden_features = 0 refused: hidden_features must be an integer >= 1",
        ),
        (
            ["--set", "batch_size=four"],
            "--set: batch_size = 'four' refused: batch_size must be an integer >= 1",
        ),
    ],
)
def test_a_bad_config_exits_2_with_one_line_and_writes_nothing(tmp_path, inputs, extra, message):
    data, config = inputs
    out = tmp_path / "out"
    done = train_runs.run(
        "--data", data, "--config", config, "--output", str(out), *extra, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"alignn-nb train: error: {message}")
    assert done.stderr.count("\n") == 1
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["config.json", "data"]


def _until(process: subprocess.Popen, start: str) -> list[str]:
    """stderr lines of ``process`` up to the first that starts with ``start``."""
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith(start):
            return seen
    raise AssertionError(f"no line starting {start!r}: {''.join(seen)}")


def test_ctrl_c_in_epoch_2_of_5_keeps_epoch_1_and_resume_appends_4_more(tmp_path, inputs):
    data, _ = inputs
    config = train_runs.write_config(tmp_path / "slow.json", **train_runs.SLOW, epochs=5)
    out = tmp_path / "out"
    args = ("--data", data, "--config", str(config), "--output", str(out))
    process = subprocess.Popen(
        train_runs.command(*args),
        cwd=tmp_path,
        env=train_runs.env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _until(process, "epoch 1/5")
        before = {s: (out / f"history_{s}.json").read_text() for s in ("train", "val")}
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        assert process.wait(HANG_GUARD) == 130
    finally:
        process.kill()
        process.wait()
    assert rest.splitlines()[-1] == (
        f"train: stopped after epoch 1; continue with: alignn-nb train --output {out} --resume"
    )
    assert {s: (out / f"history_{s}.json").read_text() for s in ("train", "val")} == before
    state = json.loads((out / "alignn-nb" / "run.json").read_text())
    assert (state["status"], state["completed"]) == ("stopped", 1)

    done = train_runs.run("--output", str(out), "--resume", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for split in ("train", "val"):
        after = (out / f"history_{split}.json").read_text()
        assert after.startswith(before[split][:-1] + ", ")
        assert len(json.loads(after)) == 5
    summary = json.loads(done.stdout)
    assert (summary["completed"], summary["resumed_from"]) == (5, 1)
    assert (
        "alignn's resume starts history_train.json and history_val.json empty: alignn-nb wrote "
        "the 1 earlier epochs back in front of the 4 new ones"
    ) in summary["notes"]
    epochs = [line.split(" · ")[0] for line in done.stderr.splitlines() if line.startswith("epoch")]
    assert epochs == ["epoch 2/5", "epoch 3/5", "epoch 4/5", "epoch 5/5"]
    assert "Test_results.json" in os.listdir(out)


def test_a_killed_training_is_reported_with_its_cause_and_resumed_from_its_last_epoch(
    tmp_path, inputs
):
    data, config = inputs
    out = tmp_path / "out"
    args = ("--data", data, "--config", config, "--output", str(out), "--set", "epochs=20")
    process = subprocess.Popen(
        train_runs.command(*args),
        cwd=tmp_path,
        env=train_runs.env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = _until(process, "train: 20 epochs into")[-1]
        pid = int(started.split("(pid ")[1].split()[0])
        _until(process, "epoch 2/20")
        os.kill(pid, signal.SIGKILL)
        last = process.stderr.read().splitlines()[-1]
        assert process.wait(HANG_GUARD) == 1
    finally:
        process.kill()
        process.wait()
    kept = len(train_runs.rows(out, "val"))
    assert last.startswith(f"alignn-nb train: error: the child process {pid} was killed by SIGKILL")
    assert last.endswith(f"; the last whole epoch written is {kept} of 20 ({out})")
    assert kept >= 2
    assert sorted(os.listdir(out / "alignn-nb")) == [
        "checkpoint",
        "config.json",
        "data",
        "run.json",
        "train.log",
    ]
    before = {s: (out / f"history_{s}.json").read_text() for s in ("train", "val")}

    done = train_runs.run(
        "--output", str(out), "--resume", "--set", f"epochs={kept + 1}", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    for split in ("train", "val"):
        assert (out / f"history_{split}.json").read_text().startswith(before[split][:-1] + ", ")
        assert len(train_runs.rows(out, split)) == kept + 1


def test_n_early_stopping_ends_the_run_when_validation_stops_improving(tmp_path, inputs):
    data, _ = inputs
    config = train_runs.write_config(tmp_path / "early.json", epochs=5, n_early_stopping=1)
    out = tmp_path / "out"
    args = ("--data", data, "--config", str(config), "--output", str(out), "--json")
    done = train_runs.run(*args, "--keep-caches", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    val = [row[0] for row in train_runs.rows(out, "val")]
    assert len(val) == 4 and val[3] > min(val[:3]) and val[2] == min(val[:3])
    summary = json.loads(done.stdout)
    assert (summary["status"], summary["completed"]) == ("early stopped", 4)
    assert summary["notes"][0].startswith(
        "early stopping: the validation loss has not improved for 1 epochs (n_early_stopping), "
        f"the best {val[2]:.4g} at epoch 3; stopped after epoch 4 of 5"
    )
    assert "Test_results.json" not in os.listdir(out)
    assert sorted(os.listdir(out / "alignn-nb" / "work-1")) == [
        "sampletest_data",
        "sampletrain_data",
        "sampleval_data",
    ]


def test_a_nan_loss_stops_the_run_naming_the_epoch_and_term(tmp_path, inputs):
    data, config = inputs
    out = tmp_path / "out"
    args = ("--data", data, "--config", config, "--output", str(out), "--set", "learning_rate=1e20")
    done = train_runs.run(*args, cwd=tmp_path)
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("alignn-nb train: error: the training loss of ")
    assert last.endswith(f" is nan in epoch 1; the last whole epoch written is 0 of 3 ({out})")
    state = json.loads((out / "alignn-nb" / "run.json").read_text())
    assert state["status"] == "failed" and state["error"] == last.split("error: ", 1)[1]


def test_a_run_started_elsewhere_is_followed_and_stopped_through_its_folder(tmp_path, inputs):
    from alignn_nb.training import attach

    data, _ = inputs
    config = train_runs.write_config(tmp_path / "slow.json", **train_runs.SLOW, epochs=5)
    out = tmp_path / "out"
    args = ("--data", data, "--config", str(config), "--output", str(out))
    process = subprocess.Popen(
        train_runs.command(*args),
        cwd=tmp_path,
        env=train_runs.env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _until(process, "epoch 1/5")
        job = attach(out)
        assert job is not None
        seen = []
        job.observe(lambda change: seen.append(change["new"].data["epoch"]), names="event")
        job.start()
        job.stop()
        assert job.wait(HANG_GUARD)
        assert process.wait(HANG_GUARD) == 130
    finally:
        process.kill()
        process.wait()
    assert job.state == "stopped"
    assert (job.result["status"], job.result["completed"]) == ("stopped", len(seen))
    assert seen[0] == 1
    assert attach(out) is None


def test_on_a_dask_cluster_the_history_is_alignns_own_and_a_stop_reaches_it(
    tmp_path, inputs, direct, monkeypatch
):
    from alignn_nb.training import TrainRequest, training_job
    from tests.support.dask_processes import dask_processes
    from tests.support.jobs import alive

    data, config = inputs
    monkeypatch.setenv("OMP_NUM_THREADS", str(train_runs.THREADS))
    (tmp_path / "dask").mkdir()
    with dask_processes(tmp_path / "dask", workers=1) as cluster:
        out = tmp_path / "out"
        args = ("--data", data, "--config", config, "--output", str(out), "--json")
        done = train_runs.run(*args, "--scheduler", cluster.address, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        for split in ("train", "val"):
            np.testing.assert_allclose(
                train_runs.rows(out, split), train_runs.rows(direct, split), rtol=1e-4, atol=0
            )
        assert json.loads(done.stdout)["completed"] == 3

        slow = train_runs.write_config(tmp_path / "slow.json", **train_runs.SLOW, epochs=5)
        request = TrainRequest(tmp_path / "stopped", data, str(slow))
        job = training_job(request, scheduler=cluster.address)
        first = threading.Event()
        job.observe(lambda c: c["new"].kind == "epoch" and first.set(), names="event")
        job.start()
        assert first.wait(HANG_GUARD)
        job.stop()
        assert job.wait(HANG_GUARD)
    started = next(e.data for e in job.events if e.kind == "started")
    assert (job.state, job.result["status"], job.result["completed"]) == ("stopped", "stopped", 1)
    assert started["pid"] not in cluster.worker_pids and not alive(started["pid"])
    assert train_runs.rows(tmp_path / "stopped", "val") == job.result["history"]["val"]
