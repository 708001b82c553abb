"""The output folder of ``alignn-nb train``: alignn's files, and alignn-nb's own beside them.

alignn's ``train_dgl`` writes into the output folder itself (config.json, the weights,
current_state.pt, the history files, ids_train_val_test.json, the results files), so
Explore opens it as any alignn run. alignn-nb keeps its own files in ``alignn-nb/``:

- ``data/``: what ``train_for_folder`` reads (its ``root_dir``), with ``source.json``
  saying where it came from and how it was converted;
- ``config.json``: the training config handed to alignn;
- ``run.json``: the run's state, also its lock: status, the PID and host of the process
  training, a heartbeat, the epochs finished and their loss rows;
- ``train.log``: alignn's own output;
- ``checkpoint/epoch-K/``: a copy of alignn's checkpoint (current_model.pt,
  current_state.pt, best_model.pt) and the history rows, taken while alignn trains the
  epoch after K, so that a run stopped or killed at any moment (even while alignn writes
  its checkpoint) goes back to the last whole epoch; ``checkpoint/latest`` names it;
- ``work-N/``: the working directory of the run's N-th start (alignn writes its LMDB
  graph caches there), removed at the end unless asked to keep it.

Every file here is written whole (a temporary file renamed over it).
"""

from __future__ import annotations

import contextlib
import filecmp
import json
import math
import os
import shutil
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OWN = "alignn-nb"
"""The folder of alignn-nb's files inside the output folder."""
HISTORY_FILES = ("history_train.json", "history_val.json")
CHECKPOINT_FILES = ("current_model.pt", "current_state.pt", "best_model.pt")
"""alignn's files of one finished epoch that a resume needs."""
STALE_SECONDS = 60.0
"""A run on another host whose heartbeat is older than this is taken for dead."""
RUNNING = "running"
FINAL = ("done", "stopped", "failed")

Rows = list[list[float]]


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def copy_whole(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file renamed over it."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def rows_text(rows: Rows) -> str:
    """History rows as alignn's ``dumpjson`` writes them (``json.dumps``, no indent)."""
    return json.dumps(rows)


@dataclass(frozen=True)
class RunFolder:
    """Paths of one output folder; ``output`` is absolute."""

    output: Path

    @classmethod
    def of(cls, output: str | os.PathLike[str]) -> RunFolder:
        return cls(Path(output).expanduser().resolve())

    @property
    def own(self) -> Path:
        return self.output / OWN

    @property
    def data(self) -> Path:
        return self.own / "data"

    @property
    def config(self) -> Path:
        return self.own / "config.json"

    @property
    def state_path(self) -> Path:
        return self.own / "run.json"

    @property
    def log(self) -> Path:
        return self.own / "train.log"

    @property
    def checkpoints(self) -> Path:
        return self.own / "checkpoint"

    def work(self, start: int) -> Path:
        """The working directory of the run's ``start``-th start (from 1)."""
        return self.own / f"work-{start}"

    def read_state(self) -> dict[str, Any] | None:
        """``run.json``, or None when there is none (or it cannot be read)."""
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) else None

    def write_state(self, state: dict[str, Any]) -> None:
        write_whole(self.state_path, json.dumps(state, indent=1))

    def history(self) -> tuple[Rows | None, Rows | None]:
        """alignn's history rows in the output folder as they are (None where missing or
        unreadable, such as a file alignn is writing)."""
        return _rows(self.output / HISTORY_FILES[0]), _rows(self.output / HISTORY_FILES[1])

    def write_history(self, train: Rows, val: Rows) -> None:
        """Both history files, whole; with no epoch, neither file."""
        for name, rows in zip(HISTORY_FILES, (train, val), strict=True):
            path = self.output / name
            if rows:
                write_whole(path, rows_text(rows))
            else:
                path.unlink(missing_ok=True)

    def remove_work(self) -> list[str]:
        """Remove every ``work-N`` folder (alignn's graph caches); returns their names."""
        removed = []
        for path in sorted(self.own.glob("work-*")):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
        return removed


def _rows(path: Path) -> Rows | None:
    try:
        rows = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return rows if isinstance(rows, list) else None


@dataclass(frozen=True)
class Checkpoint:
    """The last whole epoch kept in ``checkpoint/``: its number (from 1), and the history
    rows of every epoch up to it."""

    epoch: int
    train: Rows
    val: Rows
    folder: Path


def latest_checkpoint(folder: RunFolder) -> Checkpoint | None:
    """The checkpoint ``checkpoint/latest`` names, or None."""
    try:
        name = (folder.checkpoints / "latest").read_text().strip()
        kept = json.loads((folder.checkpoints / name / "epoch.json").read_text())
    except (OSError, ValueError):
        return None
    return Checkpoint(int(kept["epoch"]), kept["train"], kept["val"], folder.checkpoints / name)


def keep_checkpoint(folder: RunFolder, epoch: int, train: Rows, val: Rows, unchanged: Any) -> bool:
    """Copy alignn's checkpoint files of whole epoch ``epoch`` into ``checkpoint/``.

    ``unchanged()`` is asked after copying: False means alignn may have begun writing the
    next epoch's files meanwhile, and the copy is dropped. A best_model.pt that alignn has
    not rewritten since the last copy is linked to it rather than copied.
    Returns whether the copy was kept.
    """
    previous = latest_checkpoint(folder)
    target = folder.checkpoints / f"epoch-{epoch}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in CHECKPOINT_FILES:
        source = folder.output / name
        if source.exists():
            _copy_or_link(source, target / name, previous)
    if not unchanged():
        shutil.rmtree(target, ignore_errors=True)
        return False
    (target / "epoch.json").write_text(json.dumps({"epoch": epoch, "train": train, "val": val}))
    write_whole(folder.checkpoints / "latest", target.name)
    for old in folder.checkpoints.glob("epoch-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return True


def _copy_or_link(source: Path, target: Path, previous: Checkpoint | None) -> None:
    if previous is not None and source.name == "best_model.pt":
        kept = previous.folder / source.name
        stamp = previous.folder / "best_model.stat"
        if kept.exists() and stamp.exists() and stamp.read_text() == _stat(source):
            os.link(kept, target)
            (target.parent / stamp.name).write_text(_stat(source))
            return
    shutil.copyfile(source, target)
    if source.name == "best_model.pt":
        (target.parent / "best_model.stat").write_text(_stat(source))


def _stat(path: Path) -> str:
    found = path.stat()
    return f"{found.st_mtime_ns} {found.st_size} {found.st_ino}"


def restore_checkpoint(folder: RunFolder) -> Checkpoint | None:
    """Put the last whole epoch back: alignn's checkpoint files as copied, the history
    files with its rows. Files of an epoch that did not finish are removed, so that a
    resume starts from the copy. Returns the checkpoint (None before a first epoch)."""
    kept = latest_checkpoint(folder)
    for name in CHECKPOINT_FILES:
        current = folder.output / name
        copy = None if kept is None else kept.folder / name
        if copy is None or not copy.exists():
            current.unlink(missing_ok=True)
        elif not (current.exists() and filecmp.cmp(copy, current, shallow=False)):
            copy_whole(copy, current)
    if kept is None:
        folder.write_history([], [])
    else:
        folder.write_history(kept.train, kept.val)
    return kept


def saved_epoch(folder: RunFolder) -> int | None:
    """The epoch after which alignn saved current_state.pt (read weights-only), or None
    when it is missing or cannot be read (a file alignn was writing)."""
    try:
        import torch

        path = folder.output / "current_state.pt"
        state = torch.load(path, map_location="cpu", weights_only=True)
        return int(state["epoch"])
    except Exception:  # missing, half written, not alignn's: not a whole epoch
        return None


def settle(
    folder: RunFolder, earlier: tuple[Rows, Rows], rows: tuple[Rows | None, Rows | None]
) -> Checkpoint | None:
    """Leave the output folder at its last whole epoch after a run ended early.

    ``earlier`` are the rows of the epochs before this start, ``rows`` those alignn wrote
    since it (None where a file was not rewritten). alignn's own files are whole when both
    histories hold the same epochs, every value finite, and current_state.pt was saved
    after the last of them (alignn saves it, then best_model.pt, then history_val.json):
    then they stay and are kept as the checkpoint. Otherwise the kept copy is put back.
    The history files are written with the earlier epochs in front. Returns the epoch kept.
    """
    train, val = rows
    whole = (
        train is not None
        and val is not None
        and 0 < len(train) == len(val)
        and all(math.isfinite(v) for row in [*train, *val] for v in row)
        and saved_epoch(folder) == len(earlier[1]) + len(val)
    )
    if not whole or train is None or val is None:
        return restore_checkpoint(folder)
    every_train, every_val = merged(earlier[0], train), merged(earlier[1], val)
    kept = latest_checkpoint(folder)
    if kept is None or kept.epoch < len(every_val):
        keep_checkpoint(folder, len(every_val), every_train, every_val, lambda: True)
    folder.write_history(every_train, every_val)
    return latest_checkpoint(folder)


def host() -> str:
    return socket.gethostname()


def alive(state: dict[str, Any]) -> bool:
    """Whether the run ``state`` describes is still training: its process lives (this
    host), or its heartbeat is recent (another host)."""
    if state.get("status") != RUNNING:
        return False
    if state.get("host") != host():
        return time.time() - float(state.get("updated", 0)) < STALE_SECONDS
    pid = int(state.get("pid", 0))
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return status != "Z" and b"alignn_nb" in command


def describe(state: dict[str, Any]) -> str:
    """``pid N on HOST`` of a run's state."""
    return f"pid {state.get('pid')} on {state.get('host')}"


def merged(earlier: Sequence[list[float]], rows: Rows | None) -> Rows:
    """The earlier epochs' rows followed by those alignn wrote since its start."""
    return [*map(list, earlier), *(rows or [])]


def clean(folder: RunFolder, keep_caches: bool) -> list[str]:
    """Remove the working folders unless ``keep_caches``; returns what was removed."""
    if keep_caches:
        return []
    with contextlib.suppress(OSError):
        return folder.remove_work()
    return []


def recover_run(output: str | os.PathLike[str]) -> dict[str, Any] | None:
    """After a training process died (killed, out of memory, a lost worker): leave the
    folder at its last whole epoch, remove the graph caches unless they were to be kept,
    and mark run.json failed. Returns run.json's state (unchanged when the run ended on
    its own), or None when there is no run or it is still going."""
    folder = RunFolder.of(output)
    state = folder.read_state()
    if state is None or state.get("status") != RUNNING:
        return state
    if alive(state):
        return None
    before = int(state.get("earlier", 0))
    earlier = (state.get("train", [])[:before], state.get("val", [])[:before])
    written = tuple(
        rows if _since(folder, name, state) else None
        for name, rows in zip(HISTORY_FILES, folder.history(), strict=True)
    )
    kept = settle(folder, earlier, (written[0], written[1]))
    done = 0 if kept is None else kept.epoch
    clean(folder, bool(state.get("keep_caches")))
    state.update(
        status="failed",
        completed=done,
        train=[] if kept is None else kept.train,
        val=[] if kept is None else kept.val,
        error=f"the training process ({describe(state)}) died; the last whole epoch "
        f"written is {done} of {state.get('epochs')} ({folder.output})",
    )
    folder.write_state(state)
    return state


def _since(folder: RunFolder, name: str, state: dict[str, Any]) -> bool:
    """Whether alignn wrote the file ``name`` since the run's last start."""
    try:
        return (folder.output / name).stat().st_mtime >= float(state.get("started", 0))
    except OSError:
        return False
