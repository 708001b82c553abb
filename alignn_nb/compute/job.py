"""`Job`: one long task's state, progress, message, result and error, with stop and wait.

A job is a traitlets `HasTraits` whose traits a widget or the terminal bar observes: it
goes ``queued`` → ``running`` → ``done``, ``failed`` or ``stopped`` (or straight from
``queued`` to ``stopped``). Where the work runs (a thread, a child process, a Dask
cluster) is the business of the subclass (`ThreadJob`, `SubprocessJob`, `DaskJob`,
`DaskMapJob`); each runs a driver thread in this process, and the traits change on that
thread. So observers are called on the job's driver thread, not the thread that started
the job: an observer must be quick, must not call `Job.wait`, and a widget that draws
from it must be safe to update from another thread. The last trait set when a job ends is
``state``: an observer of ``state`` finds ``result`` and ``error`` already set.

Jobs still running when the interpreter exits are stopped and waited for (up to
`JOIN_SECONDS` each), so no thread is cut mid-call and no child process is left behind.
"""

from __future__ import annotations

import atexit
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

from traitlets import Any as AnyTrait
from traitlets import Enum, HasTraits, Instance, Unicode

from alignn_nb.compute.progress import Clock, Progress, ProgressMeter

QUEUED, RUNNING, DONE, FAILED, STOPPED = "queued", "running", "done", "failed", "stopped"
STATES = (QUEUED, RUNNING, DONE, FAILED, STOPPED)
FINISHED = frozenset({DONE, FAILED, STOPPED})
JOIN_SECONDS = 120.0
"""How long the exit hook waits for each running job after stopping it."""
KEEP_EVENTS = 1000
"""How many of the latest events a job keeps for `Job.events` (observers see every one)."""


@dataclass(frozen=True)
class JobError:
    """Why a job failed: the exception's type name and message, and the traceback text.

    ``exception`` is the exception itself where it could be kept (it may not survive the
    trip from a child process); ``traceback`` is the formatted traceback, or for a child
    process that died the last lines of its stderr.
    """

    type: str
    message: str
    traceback: str = ""
    exception: BaseException | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type

    @classmethod
    def from_exception(cls, failure: BaseException) -> JobError:
        """The error of ``failure``, with its formatted traceback."""
        text = "".join(traceback.format_exception(failure))
        return cls(type(failure).__name__, str(failure), text, failure)


@dataclass(frozen=True)
class JobEvent:
    """One event a task emitted: its ``number`` in the job (from 0), ``kind`` and ``data``."""

    number: int
    kind: str
    data: Any = None


@dataclass(frozen=True)
class Ending:
    """How a job's driver ended: the final state, the result and the error."""

    state: str
    result: Any = None
    error: JobError | None = None


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, newlines included, made one space."""
    return " ".join(str(text).split())


class Job(HasTraits):
    """A long task: observe its traits, `stop` it, `wait` for it. Made by a subclass."""

    state = Enum(
        STATES,
        default_value=QUEUED,
        read_only=True,
        help="queued (not started), running, or finished: done, failed or stopped.",
    )
    progress = Instance(
        Progress,
        read_only=True,
        help="done of total units, with the rate (units/s), the ETA (s) and the elapsed time (s).",
    )
    message = Unicode("", read_only=True, help="The task's latest human-readable line.")
    result = AnyTrait(
        None,
        read_only=True,
        help="What the task returned (also when it returned after a stop); None until then.",
    )
    error = Instance(
        JobError,
        allow_none=True,
        read_only=True,
        help="Why the job failed, or what the task raised after a stop; None otherwise.",
    )
    event = Instance(
        JobEvent,
        allow_none=True,
        read_only=True,
        help="The latest event the task emitted; each event notifies once, in order.",
    )

    def __init__(
        self,
        *,
        name: str = "",
        unit: str = "",
        clock: Clock = time.monotonic,
        keep_events: int = KEEP_EVENTS,
    ) -> None:
        super().__init__()
        self.name = name
        self._meter = ProgressMeter(unit, clock)
        self.set_trait("progress", self._meter.current)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._events: deque[JobEvent] = deque(maxlen=keep_events)
        self._event_count = 0
        self._thread: threading.Thread | None = None
        self._ended = False

    def __repr__(self) -> str:
        p = self.progress
        total = "?" if p.total is None else p.total
        return f"{type(self).__name__}({self.name!r}, {self.state}, {p.done}/{total} {p.unit})"

    @property
    def where(self) -> str:
        """Where the work runs, for status lines."""
        return "this process"

    @property
    def stopping(self) -> bool:
        """True once `stop` was called."""
        return self._stop.is_set()

    @property
    def finished(self) -> bool:
        """True once the job is done, failed or stopped."""
        return self._finished.is_set()

    @property
    def events(self) -> tuple[JobEvent, ...]:
        """The latest `KEEP_EVENTS` events, oldest first."""
        with self._lock:
            return tuple(self._events)

    def start(self) -> Self:
        """Start the job's driver thread; returns the job.

        Raises:
            RuntimeError: when the job was started or stopped before.
        """
        with self._lock:
            if self._thread is not None or self.state != QUEUED:
                raise RuntimeError(f"{self!r} cannot start again: a job runs once")
            self._thread = threading.Thread(
                target=self._run, name=f"alignn-nb-job-{self.name or id(self)}", daemon=True
            )
            _RUNNING.add(self)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the job to stop; a queued job ends "stopped" at once. Returns immediately;
        `wait` for the job to end. Calling it again, or on a finished job, does nothing."""
        with self._lock:
            self._stop.set()
            never_started = self._thread is None and not self._ended
        if never_started:
            self._finish(Ending(STOPPED))
            return
        self._wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (its observers have run); False if ``timeout``
        seconds passed first. Never call it from an observer of the job."""
        return self._finished.wait(timeout)

    def _drive(self) -> Ending:
        """Run the work on the driver thread and say how it ended (subclasses)."""
        raise NotImplementedError

    def _wake(self) -> None:
        """Tell the driver thread a stop was asked for (subclasses that block elsewhere)."""

    def _run(self) -> None:
        ending = Ending(STOPPED)
        try:
            if not self.stopping:
                self._begin()
                ending = self._drive()
        except BaseException as failure:  # a driver thread must always finish its job
            ending = Ending(FAILED, error=JobError.from_exception(failure))
        finally:
            self._finish(ending)

    def _begin(self) -> None:
        with self._lock:
            progress = self._meter.start()
        self.set_trait("progress", progress)
        self.set_trait("state", RUNNING)

    def _report(
        self, done: int, total: int | None = None, unit: str | None = None, eta: float | None = None
    ) -> None:
        with self._lock:
            if self._ended:
                return
            progress = self._meter.update(done, total, unit, eta)
        self.set_trait("progress", progress)

    def _say(self, text: str) -> None:
        if not self._ended:
            self.set_trait("message", one_line(text))

    def _emit(self, kind: str, data: Any = None) -> None:
        with self._lock:
            if self._ended:
                return
            event = JobEvent(self._event_count, kind, data)
            self._event_count += 1
            self._events.append(event)
        self.set_trait("event", event)

    def _finish(self, ending: Ending) -> None:
        with self._lock:
            if self._ended:
                return
            self._ended = True
        self.set_trait("result", ending.result)
        self.set_trait("error", ending.error)
        self.set_trait("state", ending.state)
        _RUNNING.discard(self)
        self._finished.set()


_RUNNING: set[Job] = set()


def _stop_all() -> None:
    running = list(_RUNNING)
    for job in running:
        job.stop()
    for job in running:
        job.wait(JOIN_SECONDS)


atexit.register(_stop_all)
