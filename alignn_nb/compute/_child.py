"""The child side of a `SubprocessJob`: ``python -m alignn_nb.compute._child FD``.

The parent writes two frames to the child's stdin: its ``sys.path`` (so the child imports
what the parent imports), then the task, its arguments and whether SIGINT interrupts it.
The child runs the task with a `ChildContext` that sends every report, message and event
as a frame on the file descriptor FD, then one last frame: the result, "stopped", or the
error with its traceback.

SIGINT sets the context's stop event; with ``interrupt`` it also raises
`KeyboardInterrupt` in the task, for a loop that never polls (alignn's training). The
parent keeps the child's stdin open while it lives: when it closes (the parent died), the
child stops as if asked and exits after `ORPHAN_SECONDS`.
"""

from __future__ import annotations

import _thread
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from alignn_nb.compute._pipes import pack, read_frame
from alignn_nb.compute.context import JobContext, Stopped

ORPHAN_SECONDS = 10.0
"""How long an orphaned child may take to stop before it exits anyway."""
EXIT_ORPHANED = 70
STDIN = 0


class Channel:
    """Frames to the parent on one file descriptor; whole frames even across threads."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        """Send ``message``.

        Raises:
            TypeError: when it cannot be pickled.
        """
        frame = memoryview(pack(message))
        with self._lock, _sigint_blocked():
            while frame:
                frame = frame[os.write(self._fd, frame) :]


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT waits until a frame is written whole (its handler may raise)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class ChildContext(JobContext):
    """A child process's context: each call is a frame to the parent."""

    def __init__(self, channel: Channel, stop_event: threading.Event) -> None:
        self._channel, self._stop_event = channel, stop_event

    def report(
        self,
        done: int,
        total: int | None = None,
        *,
        unit: str | None = None,
        eta: float | None = None,
    ) -> None:
        self._channel.send(("report", done, total, unit, eta))

    def message(self, text: str) -> None:
        self._channel.send(("message", str(text)))

    def emit(self, kind: str, data: Any = None) -> None:
        self._channel.send(("event", kind, data))

    @property
    def stop_event(self) -> threading.Event:
        return self._stop_event


def error_frame(failure: BaseException) -> tuple[Any, ...]:
    """The last frame of a task that raised: type, message, traceback, and the pickled
    exception when it pickles."""
    try:
        kept: bytes | None = pickle.dumps(failure)
    except Exception:  # an exception holding an unpicklable value still reports its text
        kept = None
    text = "".join(traceback.format_exception(failure))
    return ("error", type(failure).__name__, str(failure), text, kept)


def _on_sigint(stop: threading.Event, interrupt: bool) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        # set from another thread: the main thread may hold the event's lock right now
        threading.Thread(target=stop.set, daemon=True).start()
        if interrupt:
            raise KeyboardInterrupt

    return handler


def _watch_parent(stop: threading.Event, interrupt: bool) -> None:
    """Stop when stdin ends: raw reads, so no buffer lock is held at interpreter exit."""

    def watch() -> None:
        while os.read(STDIN, 4096):
            pass
        stop.set()
        if interrupt:
            _thread.interrupt_main()
        time.sleep(ORPHAN_SECONDS)
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, daemon=True, name="alignn-nb-parent-watch").start()


def _run(channel: Channel, context: ChildContext, request: tuple[Any, ...]) -> int:
    task, args, kwargs, _ = request
    try:
        value = task(context, *args, **kwargs)
    except (Stopped, KeyboardInterrupt):
        channel.send(("stopped",))
        return 0
    except BaseException as failure:  # the task's failure goes to the parent, whatever it is
        channel.send(error_frame(failure))
        return 1
    try:
        channel.send(("result", value))
    except TypeError as failure:
        unsent = TypeError(f"the task's result could not be sent to the parent: {failure}")
        channel.send(error_frame(unsent))
        return 1
    return 0


def main(argv: list[str]) -> int:
    """Run the task the parent sends; the exit code is 0 unless the task failed."""
    channel = Channel(int(argv[0]))
    stdin = os.fdopen(STDIN, "rb", buffering=0, closefd=False)
    try:
        parent_path = read_frame(stdin)
        sys.path[:] = [*parent_path, *(p for p in sys.path if p not in parent_path)]
        request = read_frame(stdin)
    except BaseException as failure:  # a task the child cannot import is the job's failure
        channel.send(error_frame(failure))
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGINT, _on_sigint(stop, interrupt=request[3]))
    _watch_parent(stop, interrupt=request[3])
    sys.stdin = open(os.devnull)  # the task never reads the parent's line
    return _run(channel, ChildContext(channel, stop), request)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
