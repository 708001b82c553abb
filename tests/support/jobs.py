"""Helpers for the job tests: a clock the test moves, what a PID's process is doing, and
a job's states and events as they come."""

from __future__ import annotations

import threading
from pathlib import Path

from alignn_nb.compute import Job

HANG_GUARD = 120.0
"""Seconds a test waits for a job before failing: a guard against a hang, not a limit."""


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def alive(pid: int) -> bool:
    """True while ``pid`` is a process that is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def transitions(job: Job) -> list[tuple[str, str]]:
    """A list that fills with the job's (old, new) states as they change."""
    seen: list[tuple[str, str]] = []
    job.observe(lambda change: seen.append((change["old"], change["new"])), names="state")
    return seen


def first_event(job: Job, kind: str) -> threading.Event:
    """An event set when ``job`` emits its first event of ``kind``."""
    emitted = threading.Event()

    def on_event(change: dict) -> None:
        if change["new"] is not None and change["new"].kind == kind:
            emitted.set()

    job.observe(on_event, names="event")
    return emitted


def pause_after_event(owner, number: int = 0) -> tuple[threading.Event, threading.Event]:
    """Hold the thread of the next job ``owner`` (a widget with a ``job`` trait) is given,
    once that job has emitted its event ``number`` (its observers, the widget's among
    them, have drawn it), until ``resume`` is set. Returns ``(paused, resume)``."""
    paused, resume = threading.Event(), threading.Event()

    def pausing(change) -> None:
        if change["new"] is not None and change["new"].number == number:
            paused.set()
            resume.wait(HANG_GUARD)

    def watch(change) -> None:
        if change["new"] is not None:
            change["new"].observe(pausing, "event")

    owner.observe(watch, "job")
    return paused, resume
