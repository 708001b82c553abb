"""LatestRunner: a burst of requests runs once with the last value; a newer request cancels
the running job; a failing job leaves the thread serving."""

from __future__ import annotations

import threading

from alignn_nb.compute import LatestRunner

HANG_GUARD_S = 60.0
"""Bound on waits that never end on a broken runner; not a speed limit."""


def test_a_burst_runs_once_with_the_last_value():
    ran = []
    runner = LatestRunner(lambda value, cancel: ran.append(value), "test-burst", settle=0.5)
    for value in range(5):
        runner.request(value)
    assert runner.pending
    assert runner.wait(HANG_GUARD_S)
    assert ran == [4] and not runner.pending
    runner.request(5)
    assert runner.wait(HANG_GUARD_S)
    assert ran == [4, 5]
    runner.close()


def test_a_newer_request_cancels_the_running_job_and_runs_next():
    started, seen = threading.Event(), []

    def job(value: int, cancel: threading.Event) -> None:
        if value == 1:
            started.set()
            assert cancel.wait(HANG_GUARD_S), "the newer request did not cancel this run"
        seen.append((value, cancel.is_set()))

    runner = LatestRunner(job, "test-cancel", settle=0.0)
    runner.request(1)
    assert started.wait(HANG_GUARD_S)
    runner.request(2)
    assert runner.wait(HANG_GUARD_S)
    assert seen == [(1, True), (2, False)]
    runner.close()


def test_cancel_drops_a_waiting_request_and_a_failing_job_keeps_the_thread():
    ran = []

    def job(value: int, cancel: threading.Event) -> None:
        ran.append(value)
        if value == 1:
            raise RuntimeError("broken job")

    runner = LatestRunner(job, "test-fail", settle=0.5)
    runner.request(0)
    runner.cancel()
    assert runner.wait(HANG_GUARD_S) and ran == []
    runner.request(1)
    assert runner.wait(HANG_GUARD_S) and ran == [1]
    runner.request(2)
    assert runner.wait(HANG_GUARD_S) and ran == [1, 2]
    runner.close()
