"""`SubprocessJob`: a task run in a child Python process of its own.

For work whose crash or memory must not touch this process: alignn's training. The child
(``python -m alignn_nb.compute._child``) runs ``task(ctx, *args, **kwargs)`` and sends its
reports, messages, events and result back as pickle frames on a pipe of their own, so the
task's stdout and stderr stay free: their last lines are kept (`SubprocessJob.stderr_tail`)
and all of it can go to a log file.

A stop sends SIGINT to the child, which sets its context's stop event (and, with
``interrupt``, raises `KeyboardInterrupt` in the task). A child still running
``stop_grace`` seconds later gets SIGTERM, and ``kill_grace`` seconds after that SIGKILL,
both sent to its whole process group. The child runs in a session of its own, so a Ctrl-C
in the terminal reaches only this process, whose `alignn_nb.compute.terminal.follow`
turns it into `Job.stop`. When the child has ended, whatever it started in its process
group is killed too. A child that dies on its own (a signal, an exit without a result)
ends the job "failed", naming the exit code or signal and its last stderr lines.
"""

from __future__ import annotations

import os
import pickle
import runpy
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from alignn_nb.compute._pipes import FrameBuffer, OutputTail, pack
from alignn_nb.compute.context import JobContext, Task
from alignn_nb.compute.job import DONE, FAILED, KEEP_EVENTS, STOPPED, Ending, Job, JobError
from alignn_nb.compute.progress import Clock

CHILD_MODULE = "alignn_nb.compute._child"
STOP_GRACE = 10.0
"""Seconds a child has after SIGINT to end before it gets SIGTERM."""
KILL_GRACE = 5.0
"""Seconds a child has after SIGTERM to end before it gets SIGKILL."""
TAIL_LINES = 40
"""Lines of the child's stdout and of its stderr that a job keeps."""
READ_BYTES = 1 << 16


class SubprocessJob(Job):
    """``task(ctx, *args, **kwargs)`` in a child process; ``task`` and the arguments must
    pickle (a module-level function, or a `functools.partial` of one) and so must the
    result and every event's data.

    ``cwd`` is the child's working directory, ``env`` variables added to this process's
    environment, ``log`` a file that receives the child's stdout and stderr (appended).
    The clock times progress only; the grace periods are real seconds.

    Raises:
        TypeError: when the task or its arguments cannot be pickled.
    """

    def __init__(
        self,
        task: Task,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        name: str = "",
        unit: str = "",
        interrupt: bool = False,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        log: str | os.PathLike[str] | None = None,
        stop_grace: float = STOP_GRACE,
        kill_grace: float = KILL_GRACE,
        tail_lines: int = TAIL_LINES,
        clock: Clock = time.monotonic,
        keep_events: int = KEEP_EVENTS,
    ) -> None:
        super().__init__(name=name, unit=unit, clock=clock, keep_events=keep_events)
        try:
            request = pack((task, tuple(args), dict(kwargs or {}), interrupt))
        except TypeError as failure:
            what = getattr(task, "__qualname__", repr(task))
            raise TypeError(
                f"{what} cannot run in a child process: the task and its arguments must "
                f"pickle (a module-level function): {failure}"
            ) from None
        self._request = pack(list(sys.path)) + request
        self._cwd, self._env, self._log = cwd, dict(env or {}), log
        self._graces = (stop_grace, kill_grace)
        self._stdout = OutputTail(tail_lines)
        self._stderr = OutputTail(tail_lines)
        self._signals: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._wake_fd: int | None = None
        self._final: tuple[Any, ...] | None = None

    @property
    def where(self) -> str:
        return "a child process" if self.pid is None else f"child process {self.pid}"

    @property
    def pid(self) -> int | None:
        """The child's process id once started."""
        return None if self._process is None else self._process.pid

    @property
    def stdout_tail(self) -> tuple[str, ...]:
        """The last lines the child wrote to stdout."""
        return tuple(self._stdout.lines)

    @property
    def stderr_tail(self) -> tuple[str, ...]:
        """The last lines the child wrote to stderr."""
        return tuple(self._stderr.lines)

    @property
    def signals_sent(self) -> tuple[str, ...]:
        """The signals a stop sent, in order ("SIGINT", then "SIGTERM", "SIGKILL")."""
        return tuple(self._signals)

    def _wake(self) -> None:
        """Send the stop's SIGINT from the caller's thread (the driver may be busy running
        the observers of a backlog of frames), then wake the driver to time the rest."""
        with self._lock:
            if self._wake_fd is None:
                return
            self._sigint()
            os.write(self._wake_fd, b"s")

    def _sigint(self) -> None:
        """SIGINT to the child, once; call it with the lock held."""
        assert self._process is not None
        if self._signals:
            return
        self._signals.append(signal.SIGINT.name)
        try:
            os.kill(self._process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def _drive(self) -> Ending:
        protocol_r, protocol_w = os.pipe()
        wake_r, wake_w = os.pipe()
        log = open(self._log, "ab") if self._log is not None else None
        self._stdout.log = self._stderr.log = log
        try:
            process = self._spawn(protocol_w)
            os.close(protocol_w)
            protocol_w = -1
            self._supervise(process, protocol_r, wake_r, wake_w)
        finally:
            with self._lock:
                self._wake_fd = None
            for fd in (protocol_r, protocol_w, wake_r, wake_w):
                if fd >= 0:
                    os.close(fd)
            if log is not None:
                log.close()
        return self._ending(process.returncode)

    def _spawn(self, protocol_w: int) -> subprocess.Popen[bytes]:
        env = {**os.environ, **self._env, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", CHILD_MODULE, str(protocol_w)]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(protocol_w,),
            start_new_session=True,
            cwd=self._cwd,
            env=env,
        )
        return self._process

    def _supervise(
        self, process: subprocess.Popen[bytes], protocol_r: int, wake_r: int, wake_w: int
    ) -> None:
        """Read the child until it exits, stopping it when asked; then clean up after it."""
        exited = threading.Event()
        waiter = threading.Thread(target=_wait_for, args=(process, exited, wake_w), daemon=True)
        waiter.start()
        with self._lock:
            self._wake_fd = wake_w
        assert process.stdin is not None and process.stdout is not None
        assert process.stderr is not None
        frames = FrameBuffer()
        readers: dict[int, Callable[[bytes], None]] = {
            protocol_r: lambda data: self._on_frames(frames.feed(data)),
            process.stdout.fileno(): self._stdout.feed,
            process.stderr.fileno(): self._stderr.feed,
        }
        try:
            _send(process.stdin, self._request)
            self._read_until_exit(readers, wake_r, exited)
            _drain(readers)
        finally:
            if process.poll() is None:  # the driver itself failed (an observer raised)
                _kill_group(process.pid, signal.SIGKILL)
            waiter.join()
            for stream in (process.stdin, process.stdout, process.stderr):
                stream.close()
            self._stdout.close()
            self._stderr.close()
            _kill_group(process.pid, signal.SIGKILL)

    def _read_until_exit(
        self, readers: dict[int, Callable[[bytes], None]], wake_r: int, exited: threading.Event
    ) -> None:
        escalations: deque[tuple[float, signal.Signals]] = deque()
        timed = False
        with selectors.DefaultSelector() as selector:
            for fd in (*readers, wake_r):
                selector.register(fd, selectors.EVENT_READ)
            while not exited.is_set():
                if self.stopping and not timed:
                    escalations, timed = self._interrupt(), True
                timeout = max(0.0, escalations[0][0] - time.monotonic()) if escalations else None
                for key, _ in selector.select(timeout):
                    _read(key.fd, readers, wake_r, selector)
                while escalations and escalations[0][0] <= time.monotonic():
                    self._escalate(escalations.popleft()[1])

    def _interrupt(self) -> deque[tuple[float, signal.Signals]]:
        """SIGINT (unless `stop` sent it); returns when to send SIGTERM and SIGKILL if the
        child lives on."""
        with self._lock:
            self._sigint()
        stop_grace, kill_grace = self._graces
        now = time.monotonic()
        return deque(
            [
                (now + stop_grace, signal.SIGTERM),
                (now + stop_grace + kill_grace, signal.SIGKILL),
            ]
        )

    def _escalate(self, sig: signal.Signals) -> None:
        assert self._process is not None
        self._signals.append(sig.name)
        waited = self._graces[0] if sig == signal.SIGTERM else sum(self._graces)
        self._say(f"the child did not stop {waited:g} s after SIGINT: sent {sig.name}")
        _kill_group(self._process.pid, sig)

    def _on_frames(self, payloads: list[bytes]) -> None:
        for payload in payloads:
            try:
                message = pickle.loads(payload)
            except Exception as failure:  # one unreadable frame fails the job, not the driver
                message = (
                    "error",
                    type(failure).__name__,
                    f"unreadable frame: {failure}",
                    "",
                    None,
                )
            kind = message[0]
            if kind == "report":
                self._report(*message[1:])
            elif kind == "message":
                self._say(message[1])
            elif kind == "event":
                self._emit(message[1], message[2])
            else:
                self._final = message

    def _ending(self, returncode: int | None) -> Ending:
        final = self._final or ("",)
        if final[0] == "result":
            return Ending(STOPPED if self.stopping else DONE, final[1])
        if final[0] == "error":
            return Ending(STOPPED if self.stopping else FAILED, error=_child_error(final))
        if self.stopping or final[0] == "stopped":
            return Ending(STOPPED)
        return Ending(FAILED, error=self._death(returncode))

    def _death(self, returncode: int | None) -> JobError:
        """The error of a child that ended without a result: its exit and last stderr."""
        if returncode is not None and returncode < 0:
            cause = f"was killed by {signal.Signals(-returncode).name}"
        else:
            cause = f"exited with code {returncode} without a result"
        tail = self.stderr_tail
        last = f"; its last stderr line: {tail[-1]}" if tail else ""
        return JobError(
            "ChildProcessError", f"the child process {self.pid} {cause}{last}", "\n".join(tail)
        )


def _child_error(final: tuple[Any, ...]) -> JobError:
    _, kind, message, text, kept = final
    exception = None
    if kept is not None:
        try:
            exception = pickle.loads(kept)
        except Exception:  # an exception class this process cannot import keeps its text
            exception = None
    return JobError(kind, message, text, exception)


def _wait_for(process: subprocess.Popen[bytes], exited: threading.Event, wake_w: int) -> None:
    process.wait()
    exited.set()
    os.write(wake_w, b"x")


def _send(stdin: IO[bytes], request: bytes) -> None:
    """Write the request; a child that died at once is reported by its exit instead."""
    try:
        stdin.write(request)
        stdin.flush()
    except BrokenPipeError:
        pass


def _read(fd: int, readers: dict[int, Callable[[bytes], None]], wake_r: int, selector: Any) -> None:
    data = os.read(fd, READ_BYTES)
    if fd == wake_r:
        return
    if not data:
        selector.unregister(fd)
        return
    readers[fd](data)


def _drain(readers: dict[int, Callable[[bytes], None]]) -> None:
    """Read what the exited child left in its pipes, without waiting for an end that a
    grandchild holding them open would delay."""
    for fd, reader in readers.items():
        os.set_blocking(fd, False)
        while True:
            try:
                data = os.read(fd, READ_BYTES)
            except (BlockingIOError, OSError):
                break
            if not data:
                break
            reader(data)


def _kill_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_module(ctx: JobContext, module: str, argv: Sequence[str] = ()) -> None:
    """A task that runs ``module`` as ``python -m module *argv`` would, in the task's own
    process: give it to a `SubprocessJob` (``args=("package.module", ["--flag"])``).

    Raises:
        RuntimeError: when the module exits with a code other than 0, naming it.
    """
    saved = sys.argv
    sys.argv = [module, *argv]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as ended:
        if ended.code not in (None, 0):
            raise RuntimeError(f"python -m {module} exited with code {ended.code}") from None
    finally:
        sys.argv = saved
