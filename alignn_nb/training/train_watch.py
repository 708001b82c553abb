"""Watching alignn's training from beside it: epochs, timings, checkpoints, early stop, NaN.

alignn's ``train_dgl`` offers no callback; it rewrites ``history_train.json`` after each
epoch's training steps and ``history_val.json`` once the epoch is whole (after its
checkpoint files). A `Watcher` thread in the training's process reads them every
`poll_seconds` (a share of an epoch) and, for each whole epoch:

- emits an ``epoch`` event (losses per term, seconds, ETA, the line to print), reports
  progress and says the line;
- copies alignn's checkpoint into ``alignn-nb/checkpoint/`` while alignn trains on
  (`alignn_nb.training.train_folder.keep_checkpoint`) and records the epoch in run.json;
- stops the run, by raising `KeyboardInterrupt` in the training thread, when a loss is
  NaN or infinite (``failure`` names the epoch and term) or when the validation loss has
  not improved for ``n_early_stopping`` epochs (``note`` says so), which alignn's loop
  never checks itself.

Timings come from the files' modification times: an epoch lasts from one history_val
write to the next (the first from alignn's writing config.json as ``train_dgl`` starts),
its training steps up to the history_train write.
"""

from __future__ import annotations

import _thread
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignn_nb.compute import JobContext, format_duration
from alignn_nb.training.train_estimate import EpochEstimate
from alignn_nb.training.train_folder import HISTORY_FILES, Rows, RunFolder, keep_checkpoint

POLL_SECONDS = (0.1, 1.0)
"""The shortest and the longest wait between two reads of the history files."""
POLL_SHARE = 0.05
"""The wait as a share of an epoch's seconds: an epoch is seen at most this late, and the
training thread, which yields the interpreter lock to every read, is not held up by
frequent ones (reads every 0.1 s slowed alignn's steps by 5 to 10 % on two cores)."""
HEARTBEAT_SECONDS = 5.0
"""How often run.json's heartbeat is renewed between epochs."""
COLUMNS = ("total", "energy", "atomwise", "forces", "stress", "additional")
"""The columns of alignn's history rows, as alignn-nb names them."""
SHOWN = ("energy", "forces", "stress")
"""Terms every epoch line shows; atomwise and additional only when they are not zero."""


def named(row: Sequence[float]) -> dict[str, float]:
    """A history row as ``{column: value}``."""
    return dict(zip(COLUMNS, map(float, row), strict=True))


def shown_terms(rows: Sequence[Sequence[float]]) -> tuple[str, ...]:
    extra = [
        c for i, c in enumerate(COLUMNS) if c not in (*SHOWN, "total") and any(r[i] for r in rows)
    ]
    return (*SHOWN, *extra)


def estimate_remark(estimated: float, measured: float) -> str:
    """How far the cost model's seconds of an epoch's training steps were from alignn's."""
    if measured <= 0:
        return f"training steps estimated {estimated:.3g} s"
    error = (estimated - measured) / measured
    side = "high" if error > 0 else "low"
    return (
        f"training steps {measured:.3g} s, estimated {estimated:.3g} s before the start "
        f"({abs(error):.0%} {side})"
    )


def epoch_line(data: dict[str, Any]) -> str:
    """The line of an ``epoch`` event's data."""
    terms = data["terms"]

    def losses(split: str) -> str:
        values = data[split]
        return " ".join(f"{t} {values[t]:.4g}" for t in terms)

    parts = [f"epoch {data['epoch']}/{data['epochs']}", f"train {losses('train')}"]
    parts.append(f"val {losses('val')}")
    if data.get("seconds") is not None:
        parts.append(f"{format_duration(data['seconds'])}")
    parts.append(f"elapsed {format_duration(data['elapsed'])}")
    if data["epoch"] < data["epochs"] and data.get("eta") is not None:
        parts.append(f"ETA {format_duration(data['eta'])}")
    first = data.get("first")
    if first is not None:
        parts.append(estimate_remark(first["estimated"], first["measured"]))
    return " · ".join(parts)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


@dataclass
class _Files:
    """What the watcher last read of alignn's history files."""

    train: Rows = field(default_factory=list)
    val: Rows = field(default_factory=list)
    stamps: dict[str, tuple[int, int] | None] = field(default_factory=dict)
    train_end: dict[int, float] = field(default_factory=dict)
    val_end: dict[int, float] = field(default_factory=dict)


class Watcher:
    """Watches one start of a run (see the module docstring); `start`, then `close`.

    ``state`` is the run's run.json, renewed at each whole epoch and heartbeat;
    ``earlier`` the rows of the epochs before this start; ``patience`` alignn's
    n_early_stopping; ``started`` the run's start (``time.time()``); ``interrupt`` how the
    training thread is stopped (a `KeyboardInterrupt` in the main thread).
    """

    def __init__(
        self,
        ctx: JobContext,
        folder: RunFolder,
        state: dict[str, Any],
        *,
        epochs: int,
        earlier: tuple[Rows, Rows] = ([], []),
        patience: int | None = None,
        estimate: EpochEstimate | None = None,
        started: float | None = None,
        interrupt: Callable[[], None] = _thread.interrupt_main,
    ) -> None:
        self.ctx, self.folder, self.state = ctx, folder, state
        self._interrupt = interrupt
        self.epochs, self.patience, self.estimate = epochs, patience, estimate
        self.earlier = ([list(r) for r in earlier[0]], [list(r) for r in earlier[1]])
        self.started = time.time() if started is None else started
        self.failure: str | None = None
        self.note: str | None = None
        self.first: dict[str, float] | None = None
        """The first epoch's training steps: estimated by the cost model and measured (s)."""
        self.began: float | None = None
        self.durations: list[float] = []
        self.timings: list[dict[str, Any]] = []
        self._files = _Files()
        for name in HISTORY_FILES:  # a resume starts beside the earlier run's files
            self._files.stamps[name] = _stamp(folder.output / name)
        self._config_stamp = _stamp(folder.output / "config.json")
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._halted = False
        self._beat = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="alignn-nb-watch", daemon=True)

    @property
    def epoch(self) -> int:
        """Whole epochs seen so far, the earlier ones included."""
        return len(self.earlier[1]) + len(self._files.val)

    def rows(self) -> tuple[Rows, Rows]:
        """Every epoch's (train, val) rows seen so far, the earlier ones first."""
        return self.earlier[0] + self._files.train, self.earlier[1] + self._files.val

    def written(self) -> tuple[Rows | None, Rows | None]:
        """The rows alignn wrote since this start (None for a file it has not rewritten)."""
        return self._files.train or None, self._files.val or None

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop watching after one last look; no interrupt is sent after this returns."""
        with self._lock:
            self._halted = True
        self._closed.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        self.poll(final=True)

    def mean_epoch(self) -> float | None:
        """The mean seconds of the epochs timed so far, or None before the first."""
        return sum(self.durations) / len(self.durations) if self.durations else None

    def poll_seconds(self) -> float:
        """The wait before the next read: `POLL_SHARE` of the mean epoch so far, or of the
        cost model's epoch before the first, within `POLL_SECONDS`."""
        epoch = self.mean_epoch()
        if epoch is None and self.estimate is not None:
            epoch = self.estimate.epoch_seconds
        if epoch is None:
            return POLL_SECONDS[0]
        return min(max(POLL_SHARE * epoch, POLL_SECONDS[0]), POLL_SECONDS[1])

    def _loop(self) -> None:
        while not self._closed.wait(self.poll_seconds()):
            self.poll()

    def _halt(self) -> None:
        with self._lock:
            if self._halted:
                return
            self._halted = True
        self._interrupt()

    def poll(self, final: bool = False) -> None:
        """Read the files once: new epochs, checkpoints, NaN, early stopping, heartbeat."""
        output = self.folder.output
        if self.began is None and _stamp(output / "config.json") != self._config_stamp:
            self.began = (output / "config.json").stat().st_mtime
        new_train = self._read(HISTORY_FILES[0], self._files.train_end)
        if new_train is not None:
            self._files.train = new_train
            self._check_finite(len(self.earlier[0]), self._files.train, "training")
        new_val = self._read(HISTORY_FILES[1], self._files.val_end)
        if new_val is not None:
            seen = len(self._files.val)
            self._files.val = new_val
            self._check_finite(len(self.earlier[1]), new_val, "validation")
            if len(new_val) > seen and not final and self.failure is None:
                self._keep()
            for index in range(seen, len(new_val)):
                self._epoch_done(index)
            if len(new_val) > seen and not final and self.failure is None:
                self._check_patience()
        if time.monotonic() - self._beat > HEARTBEAT_SECONDS and not final:
            self._heartbeat()

    def _read(self, name: str, ends: dict[int, float]) -> Rows | None:
        """The file's rows when it changed since the last read and parses; notes when
        it reached its row count."""
        path = self.folder.output / name
        stamp = _stamp(path)
        if stamp is None or stamp == self._files.stamps.get(name):
            return None
        rows = self.folder.history()[HISTORY_FILES.index(name)]
        if rows is None:
            return None
        self._files.stamps[name] = stamp
        ends.setdefault(len(rows), stamp[0] / 1e9)
        return rows

    def _check_finite(self, before: int, rows: Rows, split: str) -> None:
        if self.failure is not None:
            return
        for index, row in enumerate(rows):
            bad = [c for c, v in zip(COLUMNS, row, strict=True) if not math.isfinite(v)]
            if bad:
                term = next((c for c in bad if c != "total"), "total")
                value = named(row)[term]
                self.failure = (
                    f"the {split} loss of {term} is {value} in epoch {before + index + 1}"
                )
                self._halt()
                return

    def _epoch_done(self, index: int) -> None:
        files, number = self._files, len(self.earlier[1]) + index + 1
        end = files.val_end.get(index + 1)
        previous = files.val_end.get(index) if index else self.began
        seconds = None if end is None or previous is None else max(0.0, end - previous)
        if seconds is not None:
            self.durations.append(seconds)
        if index == 0 and self.began is not None and 1 in files.train_end:
            measured = files.train_end[1] - self.began
            if self.estimate is not None:
                self.first = {"estimated": self.estimate.train_seconds, "measured": measured}
        mean = self.mean_epoch()
        eta = None if mean is None else mean * (self.epochs - number)
        train, val = self.rows()
        data: dict[str, Any] = {
            "epoch": number,
            "epochs": self.epochs,
            "train": named(train[number - 1]),
            "val": named(val[number - 1]),
            "terms": shown_terms([*train, *val]),
            "seconds": seconds,
            "elapsed": time.time() - self.started,
            "eta": eta,
            "first": self.first if index == 0 else None,
        }
        line = data["line"] = epoch_line(data)
        self.timings.append({k: data[k] for k in ("epoch", "seconds", "elapsed", "eta")})
        self.ctx.emit("epoch", data)
        self.ctx.message(line)
        self.ctx.report(number, self.epochs, unit="epochs", eta=eta)

    def _keep(self) -> None:
        """Copy the checkpoint of the last whole epoch while alignn trains the next."""
        files = self._files
        if len(files.train) != len(files.val):
            return
        names = {name: files.stamps.get(name) for name in HISTORY_FILES}

        def unchanged() -> bool:
            return all(_stamp(self.folder.output / n) == s for n, s in names.items())

        train, val = self.rows()
        if keep_checkpoint(self.folder, self.epoch, train, val, unchanged):
            self.state.update(completed=self.epoch, train=train, val=val)
            self._heartbeat()

    def _check_patience(self) -> None:
        if not self.patience or self.epoch >= self.epochs:
            return
        totals = [row[0] for row in self.rows()[1]]
        best = min(range(len(totals)), key=lambda i: (totals[i], i))
        if self.epoch - (best + 1) >= self.patience:
            self.note = (
                f"early stopping: the validation loss has not improved for {self.patience} "
                f"epochs (n_early_stopping), the best {totals[best]:.4g} at epoch {best + 1}; "
                f"stopped after epoch {self.epoch} of {self.epochs}"
            )
            self._halt()

    def _heartbeat(self) -> None:
        self._beat = time.monotonic()
        self.state["updated"] = time.time()
        self.folder.write_state(self.state)
