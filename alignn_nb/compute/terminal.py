"""A `Job` drawn in a terminal: one redrawn bar on a TTY, plain lines on a pipe or file.

`TerminalBar` observes a job and draws it; `follow` starts a job, draws it until it ends
and turns a Ctrl-C into `Job.stop` (a second Ctrl-C gives up waiting). On a TTY the bar
is redrawn at most every `TTY_INTERVAL` seconds; elsewhere one line is written per
update, at most every `LINE_INTERVAL` seconds. The final line (done, failed, stopped) is
always written. The bar is drawn on the job's driver thread, as its traits change.

With ``echo``, events become lines of their own: ``echo(event)`` returns the line to
print (or None), which goes above the bar on a TTY and between the progress lines
elsewhere, every one of them (an epoch's losses), unthrottled.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from alignn_nb.compute.job import DONE, FAILED, FINISHED, QUEUED, RUNNING, Job, JobEvent
from alignn_nb.compute.progress import Clock, Progress

TTY_INTERVAL = 0.1
"""Seconds between redraws of the bar on a terminal."""
LINE_INTERVAL = 2.0
"""Seconds between progress lines on a pipe or a file."""
BAR_WIDTH = 20
"""Characters of the bar itself on a terminal."""
CLEAR_LINE = "\x1b[K"
WAIT_SLICE = 0.1
"""Seconds `follow` waits at a time, so that a Ctrl-C is seen whichever thread the
signal interrupts."""


def format_duration(seconds: float) -> str:
    """``seconds`` for a reader: ``4.2 s`` under 10 s, ``42 s`` under a minute, then
    ``m:ss`` or ``h:mm:ss``."""
    if seconds < 10:
        return f"{max(0.0, seconds):.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_rate(rate: float, unit: str) -> str:
    """``rate`` units per second: three significant digits, whole numbers from 1000."""
    number = f"{rate:.0f}" if rate >= 1000 else f"{rate:.3g}"
    return f"{number} {unit}/s" if unit else f"{number}/s"


def format_progress(progress: Progress) -> str:
    """``done/total unit (pct%)``, the rate and the ETA, as far as they are known (a rate
    of 0 before anything is done says nothing, and is left out)."""
    unit = f" {progress.unit}" if progress.unit else ""
    if progress.total is None:
        parts = [f"{progress.done}{unit}"]
    else:
        parts = [f"{progress.done}/{progress.total}{unit}"]
        if progress.fraction is not None:
            parts[0] += f" ({100 * progress.fraction:.0f}%)"
    if progress.rate is not None and (progress.rate or progress.done):
        parts.append(format_rate(progress.rate, progress.unit))
    if progress.eta is not None and progress.done != progress.total:
        parts.append(f"ETA {format_duration(progress.eta)}")
    return " · ".join(parts)


def _bar(fraction: float, width: int = BAR_WIDTH) -> str:
    full = int(fraction * width)
    return "[" + "#" * full + "-" * (width - full) + "]"


class TerminalBar:
    """Draws ``job`` on ``stream`` (default stderr) until the job ends or `close`.

    ``tty`` None asks the stream (`isatty`); ``interval`` None takes `TTY_INTERVAL` or
    `LINE_INTERVAL` (``float("inf")``: only the started and the final line, and on a job
    already running only the final one); ``columns``
    None asks the terminal (lines are cut to fit on a TTY); ``echo`` turns an event into
    a line of its own, or None for none; ``failure_line`` False leaves a failed job's
    line to the caller (a verb that prints its own one-line error), ending a TTY line.
    """

    def __init__(
        self,
        job: Job,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        interval: float | None = None,
        columns: int | None = None,
        clock: Clock = time.monotonic,
        echo: Callable[[JobEvent], str | None] | None = None,
        failure_line: bool = True,
    ) -> None:
        self.job = job
        self.failure_line = failure_line
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        default = TTY_INTERVAL if self.tty else LINE_INTERVAL
        self.interval = default if interval is None else interval
        self.columns = columns or shutil.get_terminal_size((100, 24)).columns
        self._clock = clock
        self._lock = threading.Lock()
        self._drawn_at = clock() if job.state == RUNNING else -float("inf")
        self._last = ""
        self._closed = False
        self._echo = echo
        job.observe(self._on_change, names=["progress", "message", "state"])
        if echo is not None:
            job.observe(self._on_event, names="event")
        if job.finished:
            self._draw_final()

    @property
    def name(self) -> str:
        return self.job.name or "job"

    def close(self) -> None:
        """Stop drawing (a TTY line in progress is ended)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.tty and self._last:
                self._write("\n")
        self.job.unobserve(self._on_change, names=["progress", "message", "state"])
        if self._echo is not None:
            self.job.unobserve(self._on_event, names="event")

    def print(self, line: str) -> None:
        """Write ``line`` on a line of its own: above the bar on a TTY (which is drawn
        again below it), as one more line elsewhere."""
        with self._lock:
            if self._closed:
                return
            if not self.tty:
                self._write(line + "\n")
                return
            self._write("\r" + line + CLEAR_LINE + "\n")
            if self._last:
                self._write("\r" + self._last[: max(1, self.columns - 1)] + CLEAR_LINE)

    def _on_event(self, change: dict[str, Any]) -> None:
        event = change["new"]
        if event is None or self._echo is None:
            return
        line = self._echo(event)
        if line is not None:
            self.print(line)

    def _on_change(self, change: dict[str, Any]) -> None:
        state = self.job.state
        if state in FINISHED:
            if change["name"] == "state":
                self._draw_final()
            return
        if state != RUNNING:
            return
        now = self._clock()
        if change["name"] != "state" and now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        self._draw(self._line())

    def _line(self) -> str:
        progress = self.job.progress
        if progress.done == 0 and progress.total is None and not self.job.message:
            return f"{self.name}: started in {self.job.where}"
        parts = [format_progress(progress)]
        if self.tty and progress.fraction is not None:
            parts[0] = f"{_bar(progress.fraction)} {parts[0]}"
        if self.job.message:
            parts.append(self.job.message)
        return f"{self.name}: " + " · ".join(parts)

    def _final_line(self) -> str:
        job, progress = self.job, self.job.progress
        took = format_duration(progress.elapsed)
        if job.state == DONE:
            head = f"done in {took}"
        elif job.state == FAILED:
            head = f"failed after {took}: {job.error}"
        else:
            head = f"stopped after {took}"
        parts = [head]
        if job.state != FAILED and (progress.done or progress.total):
            parts.append(format_progress(Progress(progress.done, progress.total, progress.unit)))
        if job.message and job.state != FAILED:
            parts.append(job.message)
        return f"{self.name}: " + " · ".join(parts)

    def _draw(self, line: str) -> None:
        with self._lock:
            if self._closed or (not self.tty and line == self._last):
                return
            self._last = line
            if self.tty:
                self._write("\r" + line[: max(1, self.columns - 1)] + CLEAR_LINE)
            else:
                self._write(line + "\n")

    def _draw_final(self) -> None:
        if self.job.state == FAILED and not self.failure_line:
            self.close()
            return
        line = self._final_line()
        with self._lock:
            if self._closed:
                return
            self._write(("\r" + line + CLEAR_LINE + "\n") if self.tty else line + "\n")
            self._last = ""
            self._closed = True

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def follow(job: Job, stream: TextIO | None = None, **options: Any) -> Job:
    """Start ``job`` if queued, draw it on ``stream`` until it ends, and return it.

    The first Ctrl-C stops the job and waits for it to end; a second one raises
    `KeyboardInterrupt` while the job is still stopping. ``options`` go to `TerminalBar`.
    """
    bar = TerminalBar(job, stream, **options)
    try:
        try:
            if job.state == QUEUED and not job.stopping:
                job.start()
            _wait(job)
        except KeyboardInterrupt:
            job.stop()
            _wait(job)
    finally:
        bar.close()
    return job


def _wait(job: Job) -> None:
    while not job.wait(WAIT_SLICE):
        pass
