"""`Progress`: how far a job has come, with its rate and ETA; `ProgressMeter` computes it.

The rate is measured over a sliding window of recent reports, so a slow start (a cluster
starting, a first epoch compiling) fades out of it; the ETA is the work left at that rate.
The meter reads time from an injected clock, so tests give it exact times.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
"""A monotonic clock in seconds (`time.monotonic`, or a fake one in tests)."""
RATE_WINDOW = 30.0
"""Seconds of recent reports the rate is measured over."""


@dataclass(frozen=True)
class Progress:
    """A job's progress: ``done`` of ``total`` ``unit`` (``total`` None while unknown).

    ``rate`` is in units per second and ``eta`` in seconds to go (None until measurable);
    ``elapsed`` is seconds since the job started.
    """

    done: int = 0
    total: int | None = None
    unit: str = ""
    rate: float | None = None
    eta: float | None = None
    elapsed: float = 0.0

    @property
    def fraction(self) -> float | None:
        """``done / total`` in [0, 1], or None when the total is unknown or zero."""
        if not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))


class ProgressMeter:
    """Turns reports of ``done`` (and ``total``) into `Progress` values with rate and ETA.

    The rate is (done now − done then) / (now − then), "then" being the oldest report
    within `RATE_WINDOW` seconds (the start counts as a report of 0). A report whose
    ``done`` went down (work redone) restarts the measurement.
    """

    def __init__(self, unit: str = "", clock: Clock = time.monotonic, window: float = RATE_WINDOW):
        self._clock, self._window = clock, window
        self._started = clock()
        self._samples: deque[tuple[float, int]] = deque([(self._started, 0)])
        self.current = Progress(unit=unit)

    def start(self) -> Progress:
        """Restart the clock at zero done (the job has begun); returns the progress."""
        self._started = self._clock()
        self._samples = deque([(self._started, 0)])
        self.current = Progress(total=self.current.total, unit=self.current.unit)
        return self.current

    def expect(self, total: int | None) -> Progress:
        """Set the total before any work is done (no report, no rate)."""
        self.current = Progress(total=total, unit=self.current.unit)
        return self.current

    def update(
        self,
        done: int,
        total: int | None = None,
        unit: str | None = None,
        eta: float | None = None,
    ) -> Progress:
        """Record ``done``; ``total`` and ``unit`` None keep the previous ones; ``eta``
        (seconds) replaces the measured ETA, for a task that knows better (a cost model)."""
        now = self._clock()
        total = self.current.total if total is None else total
        rate = self._measure(now, done)
        self.current = Progress(
            done=done,
            total=total,
            unit=self.current.unit if unit is None else unit,
            rate=rate,
            eta=eta if eta is not None else _eta(done, total, rate),
            elapsed=now - self._started,
        )
        return self.current

    def _measure(self, now: float, done: int) -> float | None:
        if done < self._samples[-1][1]:
            self._samples = deque([(now, done)])
            return None
        self._samples.append((now, done))
        while len(self._samples) > 2 and self._samples[1][0] <= now - self._window:
            self._samples.popleft()
        then, done_then = self._samples[0]
        if now <= then:
            return None
        return (done - done_then) / (now - then)


def _eta(done: int, total: int | None, rate: float | None) -> float | None:
    if total is None:
        return None
    if done >= total:
        return 0.0
    if not rate:
        return None
    return (total - done) / rate
