"""The run folder of alignn-nb train: the checkpoint kept beside alignn's files, put back
after a stop, the history files written as alignn writes them, and who holds the folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from alignn_nb.training.train_folder import (
    RunFolder,
    alive,
    host,
    keep_checkpoint,
    latest_checkpoint,
    merged,
    restore_checkpoint,
)

ROW1 = [1.5, 1.0, 0.0, 0.5, 0.0, 0.0]
ROW2 = [1.25, 0.75, 0.0, 0.5, 0.0, 0.0]


def _folder(tmp_path):
    folder = RunFolder.of(tmp_path / "run")
    folder.own.mkdir(parents=True)
    for name, text in (
        ("current_model.pt", "m1"),
        ("current_state.pt", "s1"),
        ("best_model.pt", "b1"),
    ):
        (folder.output / name).write_text(text)
    return folder


def test_a_kept_checkpoint_holds_alignns_files_and_rows_and_becomes_the_latest(tmp_path):
    folder = _folder(tmp_path)
    assert keep_checkpoint(folder, 1, [ROW1], [ROW2], lambda: True)
    kept = latest_checkpoint(folder)
    assert (kept.epoch, kept.train, kept.val) == (1, [ROW1], [ROW2])
    assert sorted(p.name for p in kept.folder.glob("*.pt")) == [
        "best_model.pt",
        "current_model.pt",
        "current_state.pt",
    ]
    assert (kept.folder / "current_state.pt").read_text() == "s1"


def test_a_copy_made_while_alignn_wrote_is_dropped_and_the_earlier_one_stays(tmp_path):
    folder = _folder(tmp_path)
    keep_checkpoint(folder, 1, [ROW1], [ROW1], lambda: True)
    (folder.output / "current_model.pt").write_text("m2")
    assert not keep_checkpoint(folder, 2, [ROW1, ROW2], [ROW1, ROW2], lambda: False)
    assert latest_checkpoint(folder).epoch == 1
    assert sorted(p.name for p in folder.checkpoints.iterdir()) == ["epoch-1", "latest"]


def test_an_unchanged_best_model_is_linked_not_copied_and_older_copies_go(tmp_path):
    folder = _folder(tmp_path)
    keep_checkpoint(folder, 1, [ROW1], [ROW1], lambda: True)
    first = os.stat(latest_checkpoint(folder).folder / "best_model.pt").st_ino
    keep_checkpoint(folder, 2, [ROW1, ROW2], [ROW1, ROW2], lambda: True)
    kept = latest_checkpoint(folder)
    assert os.stat(kept.folder / "best_model.pt").st_ino == first
    assert sorted(p.name for p in folder.checkpoints.iterdir()) == ["epoch-2", "latest"]


def test_restoring_puts_back_the_last_whole_epoch_and_its_history(tmp_path):
    folder = _folder(tmp_path)
    keep_checkpoint(folder, 1, [ROW1], [ROW2], lambda: True)
    (folder.output / "current_state.pt").write_text("half-writ")
    (folder.output / "history_train.json").write_text(json.dumps([ROW1, ROW2]))
    kept = restore_checkpoint(folder)
    assert kept.epoch == 1
    assert (folder.output / "current_state.pt").read_text() == "s1"
    assert (folder.output / "current_model.pt").read_text() == "m1"
    assert (folder.output / "history_train.json").read_text() == json.dumps([ROW1])
    assert (folder.output / "history_val.json").read_text() == json.dumps([ROW2])


def test_restoring_before_a_first_whole_epoch_removes_the_unfinished_files(tmp_path):
    folder = _folder(tmp_path)
    (folder.output / "history_train.json").write_text(json.dumps([ROW1]))
    assert restore_checkpoint(folder) is None
    assert sorted(p.name for p in folder.output.iterdir()) == ["alignn-nb"]


def test_history_is_written_as_alignns_dumpjson_writes_it(tmp_path):
    folder = _folder(tmp_path)
    folder.write_history([ROW1, ROW2], [ROW2])
    assert (folder.output / "history_train.json").read_text() == json.dumps([ROW1, ROW2])
    assert folder.history() == ([ROW1, ROW2], [ROW2])
    assert merged([ROW1], [ROW2]) == [ROW1, ROW2]


def test_a_run_is_alive_while_its_process_lives_and_not_after(tmp_path):
    process = _holder()
    state = {"status": "running", "pid": process.pid, "host": host()}
    try:
        assert alive(state)
        assert not alive({**state, "status": "stopped"})
    finally:
        process.stdin.close()
        process.stdout.close()
        process.wait()
    assert not alive(state)


def test_a_run_on_another_host_is_alive_while_its_heartbeat_is_recent():
    import time

    state = {"status": "running", "pid": 1, "host": "elsewhere", "updated": time.time()}
    assert alive(state)
    assert not alive({**state, "updated": time.time() - 120})


def _holder() -> subprocess.Popen:
    """A process whose command line names alignn_nb, as a training's does; it ends when
    its stdin closes. Returns once it runs its own program."""
    code = "import sys; print('up', flush=True); sys.stdin.read()"
    command = [sys.executable, "-c", code, "alignn_nb"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "up\n"
    return process


def _saved(folder, epoch):
    import torch

    torch.save({"epoch": epoch, "best_loss": 1.0}, folder.output / "current_state.pt")


def test_settling_keeps_alignns_files_when_they_hold_a_whole_later_epoch(tmp_path):
    from alignn_nb.training.train_folder import settle

    folder = _folder(tmp_path)
    _saved(folder, 1)
    keep_checkpoint(folder, 1, [ROW1], [ROW1], lambda: True)
    _saved(folder, 2)
    (folder.output / "current_model.pt").write_text("m2")
    kept = settle(folder, ([], []), ([ROW1, ROW2], [ROW1, ROW2]))
    assert (kept.epoch, kept.val) == (2, [ROW1, ROW2])
    assert (folder.output / "current_model.pt").read_text() == "m2"
    assert (kept.folder / "current_model.pt").read_text() == "m2"


def test_settling_puts_the_copy_back_when_alignns_files_are_not_one_whole_epoch(tmp_path):
    from alignn_nb.training.train_folder import settle

    folder = _folder(tmp_path)
    _saved(folder, 1)
    keep_checkpoint(folder, 1, [ROW1], [ROW1], lambda: True)
    _saved(folder, 2)
    assert settle(folder, ([], []), ([ROW1, ROW2], [ROW1])).epoch == 1
    _saved(folder, 2)
    nan = [float("nan"), *ROW2[1:]]
    assert settle(folder, ([], []), ([ROW1, nan], [ROW1, ROW2])).epoch == 1
    _saved(folder, 3)
    assert settle(folder, ([ROW1], [ROW1]), ([ROW2], [ROW2])).epoch == 1
    (folder.output / "current_state.pt").write_bytes(b"PK half")
    assert settle(folder, ([ROW1], [ROW1]), ([ROW2], [ROW2])).epoch == 1
    assert (folder.output / "history_val.json").read_text() == json.dumps([ROW1])
