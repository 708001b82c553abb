"""ThreadJob: every state transition, stop, failure, wait and progress on a thread."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from traitlets import TraitError

from alignn_nb.compute import JobEvent, Progress, Stopped, ThreadJob
from tests.support import tasks
from tests.support.jobs import HANG_GUARD, first_event, transitions
from tests.support.repo import REPO


def test_a_job_waits_queued_until_started():
    job = ThreadJob(tasks.count_to, (3,), name="count", unit="steps")
    assert (job.state, job.result, job.error, job.message) == ("queued", None, None, "")
    assert job.progress == Progress(unit="steps")
    assert repr(job) == "ThreadJob('count', queued, 0/? steps)"


def test_a_finished_task_goes_queued_running_done_with_its_result():
    job = ThreadJob(tasks.count_to, (5,), name="count")
    seen = transitions(job)
    assert job.start() is job
    assert job.wait(HANG_GUARD)
    assert seen == [("queued", "running"), ("running", "done")]
    assert (job.result, job.error, job.message) == (5, None, "counted to 5")
    assert (job.progress.done, job.progress.total, job.progress.unit) == (5, 5, "steps")
    assert job.events == tuple(JobEvent(i, "step", {"i": i + 1}) for i in range(5))
    assert job.finished and not job.stopping


def test_an_observer_of_state_finds_the_result_already_set():
    job = ThreadJob(tasks.count_to, (2,))
    found = []
    job.observe(lambda change: found.append((change["new"], job.result)), names="state")
    job.start().wait(HANG_GUARD)
    assert found == [("running", None), ("done", 2)]


def test_observers_see_every_event_in_order_and_the_job_keeps_the_latest():
    job = ThreadJob(tasks.count_to, (5,), keep_events=2)
    seen = []
    job.observe(lambda change: seen.append(change["new"].number), names="event")
    job.start().wait(HANG_GUARD)
    assert seen == [0, 1, 2, 3, 4]
    assert [e.number for e in job.events] == [3, 4]


def test_a_task_that_raises_fails_the_job_with_its_message_and_traceback():
    job = ThreadJob(tasks.refuse, (7,))
    seen = transitions(job)
    job.start().wait(HANG_GUARD)
    assert seen == [("queued", "running"), ("running", "failed")]
    assert (job.error.type, job.error.message) == ("ValueError", "bad value 7")
    assert str(job.error) == "ValueError: bad value 7"
    assert isinstance(job.error.exception, ValueError)
    assert 'in refuse\n    raise ValueError(f"bad value {value}")' in job.error.traceback
    assert (job.result, job.message) == (None, "about to refuse")


def test_a_task_that_exits_fails_the_job_instead_of_ending_its_thread():
    job = ThreadJob(lambda ctx: sys.exit(4))
    job.start().wait(HANG_GUARD)
    assert (job.state, job.error.type, job.error.message) == ("failed", "SystemExit", "4")


def test_stop_ends_a_running_task_that_polls_and_keeps_what_it_returned(tmp_path):
    job = ThreadJob(tasks.until_stopped, (str(tmp_path),))
    seen = transitions(job)
    started = first_event(job, "started")
    job.start()
    assert started.wait(HANG_GUARD)
    job.stop()
    assert job.stopping
    assert job.wait(HANG_GUARD)
    assert seen == [("queued", "running"), ("running", "stopped")]
    assert job.result == "saw the stop"
    assert job.error is None


def test_a_task_raising_stopped_ends_the_job_stopped_without_a_result(tmp_path):
    job = ThreadJob(tasks.raise_when_stopped, (str(tmp_path),))
    started = first_event(job, "started")
    job.start()
    assert started.wait(HANG_GUARD)
    job.stop()
    job.wait(HANG_GUARD)
    assert (job.state, job.result, job.error) == ("stopped", None, None)


def test_a_task_that_raises_after_a_stop_ends_stopped_with_its_error():
    gate = threading.Event()

    def fail_when_stopped(ctx):
        gate.set()
        ctx.stop_event.wait(HANG_GUARD)
        raise OSError("the stream closed")

    job = ThreadJob(fail_when_stopped)
    job.start()
    assert gate.wait(HANG_GUARD)
    job.stop()
    job.wait(HANG_GUARD)
    assert (job.state, str(job.error)) == ("stopped", "OSError: the stream closed")


def test_a_task_that_raises_stopped_on_its_own_is_stopped():
    def give_up(ctx):
        raise Stopped("no more")

    job = ThreadJob(give_up)
    job.start().wait(HANG_GUARD)
    assert (job.state, job.error) == ("stopped", None)


def test_stopping_a_queued_job_ends_it_at_once_and_it_never_runs():
    ran = []
    job = ThreadJob(lambda ctx: ran.append(1))
    seen = transitions(job)
    job.stop()
    assert job.wait(0)
    assert seen == [("queued", "stopped")]
    with pytest.raises(RuntimeError, match="cannot start again: a job runs once"):
        job.start()
    assert ran == []


def test_stop_and_wait_on_a_finished_job_change_nothing():
    job = ThreadJob(tasks.count_to, (1,))
    job.start().wait(HANG_GUARD)
    seen = transitions(job)
    job.stop()
    assert job.wait(0)
    assert (job.state, seen) == ("done", [])


def test_a_job_starts_once():
    job = ThreadJob(tasks.count_to, (1,))
    job.start()
    with pytest.raises(RuntimeError, match="cannot start again"):
        job.start()
    job.wait(HANG_GUARD)


def test_wait_with_a_timeout_says_whether_the_job_ended():
    gate = threading.Event()
    job = ThreadJob(lambda ctx: gate.wait(HANG_GUARD))
    job.start()
    assert job.wait(0.01) is False
    assert job.state == "running" and not job.finished
    gate.set()
    assert job.wait(HANG_GUARD) is True
    assert (job.state, job.result) == ("done", True)


def test_the_job_traits_are_read_only_for_observers():
    job = ThreadJob(tasks.count_to, (1,))
    with pytest.raises(TraitError, match="read-only"):
        job.state = "done"


def test_progress_rate_and_eta_come_from_the_injected_clock(clock):
    def measured(ctx):
        for i in range(1, 5):
            clock.advance(2.0)
            ctx.report(10 * i, 100, unit="structures")

    job = ThreadJob(measured, clock=clock)
    seen = []
    job.observe(lambda change: seen.append(change["new"]), names="progress")
    job.start().wait(HANG_GUARD)
    assert seen == [
        Progress(10 * i, 100, "structures", rate=5.0, eta=(100 - 10 * i) / 5, elapsed=2.0 * i)
        for i in range(1, 5)
    ]


def test_a_message_is_one_line():
    job = ThreadJob(lambda ctx: ctx.message("first\n   second\tthird  "))
    job.start().wait(HANG_GUARD)
    assert job.message == "first second third"


def test_reports_after_the_end_change_nothing():
    later = threading.Event()
    done = threading.Event()
    contexts = []

    def leave_a_reporter(ctx):
        contexts.append(ctx)
        return "over"

    job = ThreadJob(leave_a_reporter)
    job.start().wait(HANG_GUARD)

    def report_late():
        later.wait(HANG_GUARD)
        contexts[0].report(9, 9)
        contexts[0].message("too late")
        contexts[0].emit("late")
        done.set()

    threading.Thread(target=report_late).start()
    later.set()
    done.wait(HANG_GUARD)
    assert (job.progress.done, job.message, job.events) == (0, "", ())


EXIT_SCRIPT = """
import sys
from pathlib import Path
from alignn_nb.compute import ThreadJob

def wait_then_note(ctx, folder):
    Path(folder, "started").touch()
    ctx.stop_event.wait(120)
    Path(folder, "ended").write_text("stopped" if ctx.stopping else "timed out")

job = ThreadJob(wait_then_note, (sys.argv[1],)).start()
while not Path(sys.argv[1], "started").exists():
    pass
"""


def test_a_job_running_at_exit_is_stopped_and_waited_for(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "ended").read_text() == "stopped"
