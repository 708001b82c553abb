"""Tasks for the job tests: module-level, so that a child process and a Dask worker can
import them. Each waits on a file or on its context, never on a clock."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from alignn_nb.compute import JobContext

HANG_GUARD = 120.0
"""Seconds after which a waiting task gives up: a guard against a hung test, not a limit."""


def count_to(ctx: JobContext, n: int, unit: str = "steps") -> int:
    """Report 1..n of n, say the last step, emit one event per step; returns n."""
    for i in range(1, n + 1):
        ctx.report(i, n, unit=unit)
        ctx.emit("step", {"i": i})
    ctx.message(f"counted to {n}")
    return n


def refuse(ctx: JobContext, value: int) -> None:
    """Raise ValueError naming ``value``."""
    ctx.message("about to refuse")
    raise ValueError(f"bad value {value}")


def until_stopped(ctx: JobContext, folder: str) -> str:
    """Note ``started`` (holding this process's PID) in ``folder``, wait for a stop;
    returns "saw the stop" (or "gave up" after the hang guard)."""
    (Path(folder) / "started").write_text(str(os.getpid()))
    ctx.emit("started", os.getpid())
    deadline = time.monotonic() + HANG_GUARD
    while not ctx.stopping and time.monotonic() < deadline:
        ctx.stop_event.wait(0.01)
    return "saw the stop" if ctx.stopping else "gave up"


def fail_when_stopped(ctx: JobContext) -> None:
    """Wait for a stop, then raise OSError (a stream the stop closed)."""
    ctx.emit("started", os.getpid())
    ctx.stop_event.wait(HANG_GUARD)
    raise OSError("the stream closed")


def raise_when_stopped(ctx: JobContext, folder: str) -> None:
    """Note ``started``, then end through `JobContext.raise_if_stopping`."""
    (Path(folder) / "started").touch()
    ctx.emit("started", os.getpid())
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        ctx.raise_if_stopping()
        time.sleep(0.01)


def ignore_signals(ctx: JobContext, folder: str) -> None:
    """Ignore SIGINT and SIGTERM, note ``started``, and never return on its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ctx.emit("started", os.getpid())
    time.sleep(HANG_GUARD)


def sleep_without_polling(ctx: JobContext) -> None:
    """Sleep without ever looking at the stop event (a foreign loop)."""
    ctx.emit("started", os.getpid())
    time.sleep(HANG_GUARD)


def wait_for_release(ctx: JobContext, folder: str) -> str:
    """Never look at the stop event; wait for the file ``release`` in ``folder``, then
    note ``returned`` there."""
    ctx.emit("started", os.getpid())
    deadline = time.monotonic() + HANG_GUARD
    while not (Path(folder) / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    (Path(folder) / "returned").touch()
    return "released"


def die(ctx: JobContext, how: str) -> None:
    """Write a last word to stderr, then die: ``kill`` (SIGKILL itself) or ``exit`` (3)."""
    ctx.report(1, 4)
    sys.stderr.write("about to die\n")
    sys.stderr.flush()
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(3)


def start_grandchild(ctx: JobContext) -> int:
    """Start a long ``sleep`` in this process group and return at once with its PID."""
    import subprocess

    child = subprocess.Popen(["sleep", str(int(HANG_GUARD))])
    return child.pid


def getenv(ctx: JobContext, name: str) -> str | None:
    """The environment variable ``name`` where the task runs."""
    return os.environ.get(name)


def print_lines(ctx: JobContext, lines: int) -> str:
    """Write numbered lines to stdout and to stderr; returns the working directory."""
    for i in range(lines):
        print(f"out {i}")
        print(f"err {i}", file=sys.stderr)
    return os.getcwd()


def unpicklable_result(ctx: JobContext) -> object:
    """Return what cannot be sent back to a parent process."""
    return lambda: None


def square_or_refuse(x: int) -> int:
    """A map task: ``x * x``, except that 3 raises."""
    if x == 3:
        raise ValueError("three is refused")
    return x * x


def hold(ctx: JobContext, args: tuple[str, int]) -> str:
    """A map task with a context: note ``pid-X`` in the folder, then wait for ``release``
    or a stop; returns how it ended."""
    folder, x = args
    (Path(folder) / f"pid-{x}-{os.getpid()}").touch()
    ctx.message(f"holding {x}")
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        if ctx.stopping:
            return f"{x} stopped early"
        if (Path(folder) / "release").exists():
            return f"{x} released"
        time.sleep(0.02)
    return f"{x} gave up"


if __name__ == "__main__":
    print("module run with", " ".join(sys.argv[1:]))
    sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0)
