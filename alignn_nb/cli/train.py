"""``alignn-nb train``: alignn's own training, in a process of its own or on Dask, watched."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from alignn_nb.cli import _settings

if TYPE_CHECKING:
    from alignn_nb.compute import TerminalBar

VERB = "train"
EXIT_STOPPED = 130
"""The exit status of a run stopped by Ctrl-C (as a shell reports SIGINT)."""
WAIT_SLICE = 0.1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` verb."""
    verb = subparsers.add_parser(
        VERB,
        help="train with alignn's own train_for_folder: live epochs, stop and resume",
        description="Check the config through alignn-nb's mirror and the data, then run "
        "alignn's train_for_folder in a process of its own (or, with --scheduler, on a "
        "worker of an existing Dask cluster, which must see --output, --data and --config "
        "at the same paths). One line per epoch goes to stderr, with a bar on a terminal. "
        "Ctrl-C stops the run within seconds, keeping its last whole epoch; --resume "
        "continues it with alignn's own resume. Exit status: 0 when done (or early "
        "stopped), 1 when the training failed, 2 for a refused config, --set, data or "
        "folder (nothing written), 130 when stopped.",
    )
    verb.add_argument(
        "--data",
        metavar="DATA",
        default=None,
        help="alignn's dataset folder (id_prop.csv or id_prop.json), a force-field "
        "id_prop.json, or an extxyz file with energies, forces and stresses",
    )
    verb.add_argument(
        "--config", metavar="config.json", default=None, help="alignn's training config"
    )
    verb.add_argument("--output", required=True, metavar="DIR", help="the run's output folder")
    verb.add_argument(
        "--set",
        dest="assignments",
        metavar="FIELD=VALUE",
        action="append",
        default=[],
        help="set a model, graph or training field, e.g. --set hidden_features=32 --set "
        "epochs=5 (repeatable; training keys are checked by alignn's TrainingConfig)",
    )
    verb.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="a Dask scheduler, tcp://HOST:PORT"
    )
    verb.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --output to its configured epochs (--data and --config "
        "may be left out; only training keys may be --set)",
    )
    verb.add_argument(
        "--keep-caches",
        action="store_true",
        help="keep alignn's LMDB graph caches in the run's working folder",
    )
    verb.add_argument("--json", action="store_true", help="print the final summary as JSON")
    verb.set_defaults(func=run)


def _request(args: argparse.Namespace) -> Any:
    from alignn_nb.training import TrainRequest

    settings = dict(_settings.parse_assignment(text) for text in args.assignments)
    if args.scheduler is not None and "://" not in args.scheduler:
        raise ValueError(
            f"scheduler {args.scheduler!r} refused: an address looks like tcp://HOST:PORT"
        )
    return TrainRequest(
        output=args.output,
        data=args.data,
        config=args.config,
        settings=settings,
        resume=args.resume,
        keep_caches=args.keep_caches,
    )


def echo_line(event: Any) -> str | None:
    """The line an event of the training prints, or None."""
    if event.kind == "epoch":
        return str(event.data["line"])
    if event.kind == "estimate":
        data = event.data
        return (
            f"{VERB}: the cost model estimates {data['epoch_seconds']:.3g} s an epoch "
            f"({data['train_seconds']:.3g} s of training steps on {data['train_structures']} "
            f"structures), after alignn builds its graphs"
        )
    if event.kind == "started":
        data = event.data
        again = f" from epoch {data['resumed'] + 1}" if data["resumed"] else ""
        return (
            f"{VERB}: {data['epochs']} epochs{again} into {data['output']} "
            f"(pid {data['pid']} on {data['host']}; alignn's output in {data['log']})"
        )
    return None


class _Lines:
    """Prints each event's line once, first directly, then through the terminal bar."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.printed = stream, set[int]()
        self.bar: TerminalBar | None = None
        self.lock = threading.Lock()

    def line(self, event: Any) -> str | None:
        with self.lock:
            if event.number in self.printed:
                return None
            self.printed.add(event.number)
        return echo_line(event)

    def direct(self, change: dict[str, Any]) -> None:
        if self.bar is None and change["new"] is not None:
            line = self.line(change["new"])
            if line is not None:
                self.stream.write(line + "\n")
                self.stream.flush()


def _wait_for_start(job: Any) -> None:
    """Until the run has passed its checks (its first event) or ended."""
    while not job.finished and not job.events:
        job.wait(WAIT_SLICE)


def run(args: argparse.Namespace) -> int:
    """Train; returns the exit status."""
    try:
        request = _request(args)
    except ValueError as exc:
        return _settings.fail(VERB, exc)
    from alignn_nb.training import training_job

    stream = sys.stderr
    job = training_job(request, scheduler=args.scheduler)
    lines = _Lines(stream)
    job.observe(lines.direct, names="event")
    try:
        job.start()
        _wait_for_start(job)
    except KeyboardInterrupt:
        job.stop()
        job.wait()
    if job.state == "failed" and job.error is not None and job.error.type == "Refused":
        return _settings.fail(VERB, ValueError(job.error.message), trace=job.error.traceback)
    _follow(job, lines)
    return _ended(job, request, args)


def _follow(job: Any, lines: _Lines) -> None:
    """Draw the running job until it ends; Ctrl-C stops it (and waits for its end).

    The bar is made here, on a job already past its checks, and takes over the event
    lines from `_Lines.direct` (an event seen by both is printed once)."""
    from alignn_nb.compute import TerminalBar

    interval = None if lines.stream.isatty() else float("inf")
    bar = TerminalBar(job, lines.stream, interval=interval, echo=lines.line)
    lines.bar = bar
    try:
        try:
            while not job.wait(WAIT_SLICE):
                pass
        except KeyboardInterrupt:
            job.stop()
            while not job.wait(WAIT_SLICE):
                pass
    finally:
        bar.close()


def _ended(job: Any, request: Any, args: argparse.Namespace) -> int:
    summary = job.result
    if args.json and summary is not None:
        sys.stdout.write(json.dumps(summary) + "\n")
    stopped = summary is not None and summary["status"] == "stopped"
    if job.state == "done" and not stopped:
        return 0
    if job.state == "stopped" or stopped:
        done = "" if summary is None else f" after epoch {summary['completed']}"
        sys.stderr.write(
            f"{VERB}: stopped{done}; continue with: alignn-nb train --output "
            f"{request.output} --resume\n"
        )
        return EXIT_STOPPED
    return _settings.fail(VERB, RuntimeError(_cause(job, request)), 1)


def _cause(job: Any, request: Any) -> str:
    from alignn_nb.training import recover_run

    error = job.error
    if error is None:
        return "the training ended without a result"
    if error.type in ("Refused", "TrainingFailed"):
        return str(error.message)
    state = recover_run(request.output)  # the process died: the folder goes to a whole epoch
    head = str(error.message).split("; its last stderr line")[0]
    lines = [head, *_log_tail(request.output)]
    if state is not None and state.get("error"):
        lines.append(str(state["error"]).split("; ", 1)[-1])
    return "; ".join(lines)


def _log_tail(output: str) -> list[str]:
    """alignn's last line in the run's train.log, as a cause's witness."""
    from pathlib import Path

    try:
        text = (Path(output) / "alignn-nb" / "train.log").read_text(errors="replace")
    except OSError:
        return []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [f"the last line of its log: {lines[-1]}"] if lines else []
