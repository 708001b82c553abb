"""LatestRunner: a burst of requests runs once with the last value; a newer request cancels
the running job; a failing job leaves the thread serving. Debounced: a burst of requests
calls once, a cancel calls never."""

from __future__ import annotations

import threading

import pytest

from alignn_nb.compute import Debounced, LatestRunner

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


def test_a_burst_of_requests_calls_once_after_the_last():
    calls = []
    debounced = Debounced(lambda: calls.append(len(calls)), delay=0.2, name="test-debounce")
    assert not debounced.pending and debounced.wait(0)
    for _ in range(5):
        debounced.request()
    assert debounced.pending
    assert debounced.wait(HANG_GUARD_S)
    assert calls == [0] and not debounced.pending
    debounced.request()
    assert debounced.wait(HANG_GUARD_S)
    assert calls == [0, 1]
    assert repr(debounced) == "Debounced('test-debounce', 0.2 s, pending=False)"


def test_a_cancelled_call_never_comes_and_a_negative_delay_is_refused():
    calls = []
    debounced = Debounced(lambda: calls.append(1), delay=HANG_GUARD_S)
    debounced.request()
    debounced.cancel()
    assert debounced.wait(0) and calls == [] and not debounced.pending
    with pytest.raises(ValueError, match=r"delay = -1 refused: it must be at least 0 seconds"):
        Debounced(lambda: None, delay=-1)
