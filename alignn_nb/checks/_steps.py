"""`Ticker`: a check's line to its job while it runs: a stop ends it, and a throttled
message says how far it has come (``Si 64 md: step 120/500``)."""

from __future__ import annotations

import time

from alignn_nb.compute import JobContext

MESSAGE_SECONDS = 1.0
"""Seconds between two progress messages of one check."""


class Ticker:
    """Polls ``ctx`` for a stop and tells it how far the check ``label`` has come; with no
    ``ctx`` (a direct call) it does nothing."""

    def __init__(self, ctx: JobContext | None, label: str) -> None:
        self.ctx, self.label = ctx, label
        self._said = -float("inf")

    def __call__(self, done: int, total: int, what: str = "step") -> None:
        """Raise `alignn_nb.compute.Stopped` if a stop was asked for; else maybe say
        ``label: what done/total``."""
        if self.ctx is None:
            return
        self.ctx.raise_if_stopping()
        now = time.monotonic()
        if now - self._said >= MESSAGE_SECONDS:
            self._said = now
            self.ctx.message(f"{self.label}: {what} {done}/{total}")
