"""The watcher beside alignn's training: alignn's writes are played by the test, file by
file with set modification times; the watcher's events, checkpoints, NaN and early stops."""

from __future__ import annotations

import json
import math
import os
import threading

from alignn_nb.compute import JobContext
from alignn_nb.training.train_estimate import EpochEstimate
from alignn_nb.training.train_folder import RunFolder, latest_checkpoint
from alignn_nb.training.train_watch import Watcher, epoch_line, estimate_remark

T0 = 1_700_000_000


class Recorder(JobContext):
    """A context that keeps what the watcher sends."""

    def __init__(self) -> None:
        self.events, self.reports, self.messages = [], [], []
        self._stop = threading.Event()

    def report(self, done, total=None, *, unit=None, eta=None):
        self.reports.append((done, total, unit, eta))

    def message(self, text):
        self.messages.append(text)

    def emit(self, kind, data=None):
        self.events.append((kind, data))

    @property
    def stop_event(self):
        return self._stop


def _write(folder: RunFolder, name: str, value, at: float) -> None:
    path = folder.output / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    ns = int(at * 1e9)
    os.utime(path, ns=(ns, ns))


def _epoch(folder, train, val, start: float) -> None:
    """alignn's writes of one epoch: history_train, the checkpoint, then history_val."""
    _write(folder, "history_train.json", train, start + 4)
    for name in ("current_model.pt", "current_state.pt", "best_model.pt"):
        _write(folder, name, f"{name} {len(val)}", start + 4.5)
    _write(folder, "history_val.json", val, start + 5)


def _watcher(tmp_path, **options):
    folder = RunFolder.of(tmp_path / "run")
    folder.own.mkdir(parents=True)
    halts = []
    ctx = Recorder()
    state = {"status": "running"}
    watcher = Watcher(ctx, folder, state, interrupt=lambda: halts.append(1), **options)
    return folder, ctx, watcher, halts, state


ROWS = [[3.0, 2.0, 0.0, 1.0, 0.0, 0.0], [2.0, 1.0, 0.0, 1.0, 0.0, 0.0]]
ESTIMATE = EpochEstimate(5.0, 1.0, 0.5, 16, 4)


def test_each_whole_epoch_is_an_event_with_its_losses_seconds_and_the_estimates_error(tmp_path):
    folder, ctx, watcher, halts, state = _watcher(tmp_path, epochs=3, estimate=ESTIMATE, started=T0)
    _write(folder, "config.json", "{}", T0 + 10)
    watcher.poll()
    _epoch(folder, ROWS[:1], ROWS[1:], T0 + 10)
    watcher.poll()
    _epoch(folder, ROWS, ROWS, T0 + 15)
    watcher.poll()
    (_, first), (_, second) = ctx.events
    assert first["epoch"] == 1 and first["epochs"] == 3
    assert first["train"] == {
        "total": 3.0,
        "energy": 2.0,
        "atomwise": 0.0,
        "forces": 1.0,
        "stress": 0.0,
        "additional": 0.0,
    }
    assert first["val"]["energy"] == 1.0
    assert (first["seconds"], first["eta"]) == (5.0, 10.0)
    assert first["first"] == {"estimated": 5.0, "measured": 4.0}
    assert first["line"].endswith("training steps 4 s, estimated 5 s before the start (25% high)")
    assert first["line"].startswith(
        "epoch 1/3 · train energy 2 forces 1 stress 0 · val energy 1 forces 1 stress 0 · 5.0 s"
    )
    assert (second["epoch"], second["seconds"], second["eta"], second["first"]) == (
        2,
        5.0,
        5.0,
        None,
    )
    assert ctx.reports == [(1, 3, "epochs", 10.0), (2, 3, "epochs", 5.0)]
    assert ctx.messages[-1] == second["line"]
    assert (latest_checkpoint(folder).epoch, state["completed"], state["val"]) == (2, 2, ROWS)
    assert halts == []


def test_a_nan_training_loss_stops_the_run_at_once_naming_the_epoch_and_term(tmp_path):
    folder, _ctx, watcher, halts, _ = _watcher(tmp_path, epochs=5)
    _epoch(folder, ROWS[:1], ROWS[:1], T0)
    watcher.poll()
    _write(
        folder, "history_train.json", [ROWS[0], [math.nan, 1.0, 0.0, math.inf, 0.0, 0.0]], T0 + 9
    )
    watcher.poll()
    watcher.poll()
    assert watcher.failure == "the training loss of forces is inf in epoch 2"
    assert halts == [1]
    assert latest_checkpoint(folder).epoch == 1


def test_no_improvement_for_n_early_stopping_epochs_stops_the_run_and_says_so(tmp_path):
    folder, _ctx, watcher, halts, _ = _watcher(tmp_path, epochs=5, patience=2)
    val = [[total, *ROWS[0][1:]] for total in (3.0, 2.0, 2.5, 2.0)]
    for n in range(1, 5):
        _epoch(folder, val[:n], val[:n], T0 + 10 * n)
        watcher.poll()
        assert halts == ([1] if n == 4 else [])
    assert watcher.note == (
        "early stopping: the validation loss has not improved for 2 epochs (n_early_stopping), "
        "the best 2 at epoch 2; stopped after epoch 4 of 5"
    )
    assert latest_checkpoint(folder).epoch == 4


def test_a_resumed_run_numbers_on_from_the_earlier_epochs_and_ignores_the_old_files(tmp_path):
    folder, ctx, _watcher_of_the_first_start, _, _ = _watcher(tmp_path, epochs=5)
    _epoch(folder, ROWS, ROWS, T0)
    resumed = Watcher(ctx, folder, {}, epochs=5, earlier=(ROWS, ROWS), interrupt=lambda: None)
    resumed.poll()
    assert ctx.events == []
    _epoch(folder, ROWS[1:], ROWS[1:], T0 + 20)
    resumed.poll()
    assert [data["epoch"] for _, data in ctx.events] == [3]
    assert resumed.rows() == (ROWS + ROWS[1:], ROWS + ROWS[1:])
    assert latest_checkpoint(folder).val == ROWS + ROWS[1:]


def test_the_estimate_remark_says_how_far_off_and_which_way():
    assert estimate_remark(3.0, 4.0) == (
        "training steps 4 s, estimated 3 s before the start (25% low)"
    )
    data = {
        "epoch": 3,
        "epochs": 3,
        "train": {"energy": 0.5, "forces": 0.25, "stress": 0.125},
        "val": {"energy": 0.5, "forces": 0.25, "stress": 0.0},
        "terms": ("energy", "forces", "stress"),
        "seconds": 2.0,
        "elapsed": 65.0,
        "eta": 0.0,
    }
    assert epoch_line(data) == (
        "epoch 3/3 · train energy 0.5 forces 0.25 stress 0.125 · val energy 0.5 forces 0.25 "
        "stress 0 · 2.0 s · elapsed 1:05"
    )


def test_the_wait_between_reads_is_a_share_of_the_epoch_within_its_bounds(tmp_path):
    _, _, plain, _, _ = _watcher(tmp_path / "plain", epochs=3)
    assert plain.poll_seconds() == 0.1
    _, _, watcher, _, _ = _watcher(tmp_path / "estimated", epochs=3, estimate=ESTIMATE)
    assert watcher.poll_seconds() == 0.05 * 6.0
    watcher.durations.append(40.0)
    assert watcher.poll_seconds() == 1.0
    watcher.durations[:] = [0.5, 1.5]
    assert watcher.poll_seconds() == 0.1
