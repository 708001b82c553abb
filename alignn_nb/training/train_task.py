"""The training itself: `train_task`, run in a process of its own by `alignn_nb.training.train_job`.

In order:

1. `alignn_nb.training.train_plan.check_training`: nothing is written before it passes;
2. the output folder is taken (``alignn-nb/`` made, or run.json rewritten on a resume
   after putting back the last whole epoch), the data and config written, alignn's output
   sent to ``alignn-nb/train.log`` and the process moved into a working folder of its own;
3. the cost model's estimate of an epoch (`alignn_nb.training.train_estimate`);
4. alignn's own ``train_for_folder``, watched by a `Watcher`;
5. the end, however it came: on a stop or a failure the folder is left at its last whole
   epoch (`alignn_nb.training.train_folder.settle`); on a resume the earlier epochs are
   written back in front of the new ones in the history files (alignn's resume starts them
   empty); the graph caches are removed; run.json says how it ended, and a summary is
   returned.

Inside ``train_for_folder`` (`alignn_boundary`) every ``torch.load`` is weights-only
(alignn's resume loads current_model.pt and current_state.pt without it), and torch
2.2.1's OneCycleLR leaves out of its state dict the bound method it would pickle there,
which would make current_state.pt carry the whole optimizer and refuse a weights-only
load; loading sets the same method again. Both changes stay in this process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from alignn_nb.compute import JobContext
from alignn_nb.training.train_folder import (
    RUNNING,
    Rows,
    RunFolder,
    clean,
    host,
    keep_checkpoint,
    latest_checkpoint,
    merged,
    recover_run,
    restore_checkpoint,
    settle,
)
from alignn_nb.training.train_plan import TrainPlan, check_training, split_indices
from alignn_nb.training.train_request import Refused, TrainingFailed, TrainRequest
from alignn_nb.training.train_watch import Watcher, named

BEST_NOTE = (
    "alignn's current_state.pt keeps the best validation loss of the epochs before its own "
    "({}); alignn-nb set it to the best of all {} ({:.6g}, epoch {}), so that a resumed "
    "run replaces best_model.pt only with a better epoch, as an unbroken run does"
)
RESUME_NOTE = (
    "alignn's resume starts history_train.json and history_val.json empty: alignn-nb wrote "
    "the {} earlier epochs back in front of the {} new ones"
)


@contextlib.contextmanager
def alignn_boundary() -> Iterator[None]:
    """Weights-only loads, and a OneCycleLR state dict without its bound method."""
    from torch.optim.lr_scheduler import OneCycleLR

    original = OneCycleLR.state_dict

    def state_dict(self: Any) -> dict[str, Any]:
        state = original(self)
        state.pop("anneal_func", None)
        return state

    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    OneCycleLR.state_dict = state_dict  # type: ignore[method-assign]
    try:
        yield
    finally:
        OneCycleLR.state_dict = original  # type: ignore[method-assign]


def _recovered(plan: TrainPlan) -> TrainPlan:
    """``plan`` resumed from the checkpoint kept now (a run that died may have left a
    whole epoch after the one kept while it trained)."""
    checkpoint = latest_checkpoint(plan.folder)
    done = 0 if checkpoint is None else checkpoint.epoch
    config = {**plan.config, "resume_checkpoint": done > 0}
    return dataclasses.replace(plan, checkpoint=checkpoint, config=config)


def _take_folder(plan: TrainPlan, started: float) -> tuple[TrainPlan, dict[str, Any]]:
    """Write the run's inputs and run.json; returns the plan as it stands after a dead
    run's folder was settled, and the run's state."""
    from alignn_nb.training.train_data import write_data

    folder, request = plan.folder, plan.request
    if plan.data is not None:
        folder.output.mkdir(parents=True, exist_ok=True)
        try:
            folder.own.mkdir()
        except FileExistsError:
            raise Refused(f"--output {folder.output}: another run took the folder") from None
        note = write_data(plan.data, folder.data, plan.config)
        state: dict[str, Any] = {
            "config_source": request.config if isinstance(request.config, str) else "a dict",
            "data_source": request.data,
            "data_note": note,
            "file_format": plan.data.file_format,
            "starts": 0,
            "notes": [],
        }
    else:
        state = dict(recover_run(folder.output) or plan.state or {})
        restore_checkpoint(folder)
        plan = _recovered(plan)
        state["start_notes"] = _mend_best_loss(plan)
    folder.config.write_text(json.dumps(plan.config, indent=2))
    checkpoint = plan.checkpoint
    state.update(
        status=RUNNING,
        pid=os.getpid(),
        host=host(),
        started=started,
        updated=time.time(),
        epochs=plan.epochs,
        completed=plan.resumed,
        train=[] if checkpoint is None else checkpoint.train,
        val=[] if checkpoint is None else checkpoint.val,
        starts=int(state.get("starts", 0)) + 1,
        earlier=plan.resumed,
        keep_caches=request.keep_caches,
        finished=False,
        error=None,
        summary=None,
    )
    folder.write_state(state)
    return plan, state


def _mend_best_loss(plan: TrainPlan) -> list[str]:
    """Set current_state.pt's best_loss to the best validation loss of every whole epoch.

    alignn saves current_state.pt before it compares the epoch with the best so far, so
    the best_loss it resumes with leaves out the last epoch before the stop."""
    import torch

    checkpoint = plan.checkpoint
    path = plan.folder.output / "current_state.pt"
    if checkpoint is None or not checkpoint.val or not path.exists():
        return []
    saved = torch.load(path, map_location="cpu", weights_only=True)
    totals = [row[0] for row in checkpoint.val]
    best = min(range(len(totals)), key=lambda i: (totals[i], i))
    if saved.get("best_loss") == totals[best]:
        return []
    before = saved.get("best_loss")
    temporary = path.with_name(f".{path.name}.tmp")
    torch.save({**saved, "best_loss": totals[best]}, temporary)
    os.replace(temporary, path)
    return [BEST_NOTE.format(before, len(totals), totals[best], best + 1)]


def _into_log(folder: RunFolder) -> None:
    """Send this process's stdout and stderr (alignn's prints) to train.log."""
    sys.stdout.flush()
    sys.stderr.flush()
    log = os.open(folder.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def _estimate(ctx: JobContext, plan: TrainPlan) -> Any:
    """The cost model's estimate of an epoch, reported as the ETA; None when it fails."""
    from alignn_nb.datasets import open_dataset
    from alignn_nb.training.train_estimate import estimate_epoch

    try:
        entries = open_dataset(plan.folder.data).entries
        train, val, _ = split_indices(plan.config, len(entries))
        estimate = estimate_epoch(entries, (train, val), plan.cfg, plan.graph, plan.config)
    except Exception as failure:  # the estimate is a courtesy: the training goes on
        ctx.message(f"no estimate of the epoch's seconds: {failure}")
        return None
    left = plan.epochs - plan.resumed
    ctx.report(plan.resumed, plan.epochs, unit="epochs", eta=left * estimate.epoch_seconds)
    ctx.emit("estimate", estimate.to_dict())
    ctx.message(
        f"{left} epochs of {estimate.train_structures} structures: the cost model "
        f"estimates {estimate.epoch_seconds:.3g} s an epoch, after alignn builds its graphs"
    )
    return estimate


def _train(plan: TrainPlan, state: dict[str, Any]) -> None:
    from alignn.train_alignn import train_for_folder

    restart = str(plan.folder.output / "current_model.pt") if plan.resumed else None
    with alignn_boundary():
        train_for_folder(
            root_dir=str(plan.folder.data),
            config_name=str(plan.folder.config),
            file_format=state.get("file_format") or "poscar",
            restart_model_path=restart,
            output_dir=None,
        )


def _best(val: Rows) -> dict[str, Any] | None:
    if not val:
        return None
    best = min(range(len(val)), key=lambda i: (val[i][0], i))
    return {"epoch": best + 1, **named(val[best])}


def _finish(
    plan: TrainPlan, state: dict[str, Any], watcher: Watcher, outcome: str
) -> tuple[Rows, Rows, list[str]]:
    """Settle the files after alignn's end; returns the rows kept and the notes."""
    folder, notes = plan.folder, list(state.pop("start_notes", []))
    if outcome == "done":
        train, val = (merged(e, r) for e, r in zip(watcher.earlier, folder.history(), strict=True))
        if plan.resumed:
            folder.write_history(train, val)
            notes.append(RESUME_NOTE.format(plan.resumed, len(val) - plan.resumed))
        keep_checkpoint(folder, len(val), train, val, lambda: True)
    else:
        kept = settle(folder, watcher.earlier, watcher.written())
        train, val = ([], []) if kept is None else (kept.train, kept.val)
    if watcher.note is not None:
        notes.append(watcher.note + "; alignn's test pass did not run (no Test_results.json)")
    os.chdir(folder.own)
    removed = clean(folder, plan.request.keep_caches)
    if removed:
        notes.append(f"removed alignn's graph caches ({', '.join(removed)})")
    return train, val, notes


def train_task(ctx: JobContext, request: TrainRequest) -> dict[str, Any]:
    """Check ``request``, then run alignn's training in this process (see the module
    docstring); returns the summary that run.json also keeps.

    Raises:
        Refused: before anything was written.
        TrainingFailed: for a NaN loss or an error inside alignn, naming the last whole
            epoch written.
    """
    started = time.time()
    plan = check_training(request)
    plan, state = _take_folder(plan, started)
    ctx.emit(
        "started",
        {
            "output": str(plan.folder.output),
            "epochs": plan.epochs,
            "resumed": plan.resumed,
            "pid": os.getpid(),
            "host": state["host"],
            "log": str(plan.folder.log),
        },
    )
    _into_log(plan.folder)
    work = plan.folder.work(state["starts"])
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    checkpoint = plan.checkpoint
    earlier = ([], []) if checkpoint is None else (checkpoint.train, checkpoint.val)
    watcher = Watcher(
        ctx,
        plan.folder,
        state,
        epochs=plan.epochs,
        earlier=earlier,
        patience=plan.config.get("n_early_stopping"),
        started=started,
    )
    outcome, error = "done", None
    try:
        try:
            watcher.estimate = _estimate(ctx, plan)
            watcher.start()
            _train(plan, state)
        finally:
            _quiet(watcher)
    except KeyboardInterrupt:
        _quiet(watcher)
        outcome = "stopped"
    except Exception as failure:  # alignn's failure, reported with the last epoch written
        _quiet(watcher)
        outcome, error = "failed", failure
    if watcher.failure is not None:
        outcome = "failed"
    return _conclude(ctx, plan, state, watcher, outcome, error)


def _quiet(watcher: Watcher) -> None:
    """From here on no SIGINT interrupts this process (settling the files must finish),
    and the watcher sends none."""
    import signal

    while True:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            watcher.close()
            return
        except KeyboardInterrupt:  # one sent just before: the stop is already under way
            continue


def _conclude(
    ctx: JobContext,
    plan: TrainPlan,
    state: dict[str, Any],
    watcher: Watcher,
    outcome: str,
    error: Exception | None,
) -> dict[str, Any]:
    train, val, notes = _finish(plan, state, watcher, outcome)
    status = "early stopped" if watcher.note is not None else outcome
    summary = {
        "status": status,
        "output": str(plan.folder.output),
        "epochs": plan.epochs,
        "completed": len(val),
        "resumed_from": plan.resumed,
        "best": _best(val),
        "last": None if not val else {"train": named(train[-1]), "val": named(val[-1])},
        "history": {"train": train, "val": val},
        "seconds": time.time() - state["started"],
        "estimate": None if watcher.estimate is None else watcher.estimate.to_dict(),
        "first_epoch": watcher.first,
        "timings": watcher.timings,
        "log": str(plan.folder.log),
        "notes": notes,
    }
    written = f"the last whole epoch written is {len(val)} of {plan.epochs} ({plan.folder.output})"
    cause = watcher.failure or (None if error is None else f"{type(error).__name__}: {error}")
    state.update(
        status="failed" if cause else ("stopped" if status == "stopped" else "done"),
        finished=outcome == "done" and watcher.note is None,
        completed=len(val),
        train=train,
        val=val,
        updated=time.time(),
        error=None if cause is None else f"{cause}; {written}",
        summary=summary,
    )
    plan.folder.write_state(state)
    for note in notes:
        ctx.message(note)
    if cause is not None:
        raise TrainingFailed(f"{cause}; {written}") from error
    return summary
