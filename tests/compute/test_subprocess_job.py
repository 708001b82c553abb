"""SubprocessJob: a task in a child process, its stop by signals, its crash with a cause;
every test checks that the child (and anything it started) is gone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from alignn_nb.compute import JobEvent, SubprocessJob, run_module
from tests.support import tasks
from tests.support.jobs import HANG_GUARD, alive, first_event, transitions
from tests.support.repo import REPO


def _finish(job: SubprocessJob) -> SubprocessJob:
    assert job.wait(HANG_GUARD)
    assert job.pid is not None and not alive(job.pid)
    return job


def _started(job: SubprocessJob) -> SubprocessJob:
    started = first_event(job, "started")
    job.start()
    assert started.wait(HANG_GUARD)
    return job


def test_a_child_task_relays_progress_messages_and_events_and_returns_its_result():
    job = SubprocessJob(tasks.count_to, (5,), name="count")
    seen = transitions(job)
    _finish(job.start())
    assert seen == [("queued", "running"), ("running", "done")]
    assert (job.result, job.error, job.message) == (5, None, "counted to 5")
    assert (job.progress.done, job.progress.total, job.progress.unit) == (5, 5, "steps")
    assert job.events == tuple(JobEvent(i, "step", {"i": i + 1}) for i in range(5))
    assert job.where == f"child process {job.pid}"


def test_a_child_task_that_raises_fails_the_job_with_its_traceback():
    job = _finish(SubprocessJob(tasks.refuse, (7,)).start())
    assert job.state == "failed"
    assert (job.error.type, job.error.message) == ("ValueError", "bad value 7")
    assert isinstance(job.error.exception, ValueError)
    assert 'in refuse\n    raise ValueError(f"bad value {value}")' in job.error.traceback
    assert job.message == "about to refuse"


def test_a_child_killed_by_a_signal_fails_with_the_signal_and_its_last_stderr_line():
    job = _finish(SubprocessJob(tasks.die, ("kill",)).start())
    assert job.state == "failed"
    assert job.error.type == "ChildProcessError"
    assert job.error.message == (
        f"the child process {job.pid} was killed by SIGKILL; its last stderr line: about to die"
    )
    assert job.error.traceback == "about to die"
    assert (job.progress.done, job.progress.total) == (1, 4)


def test_a_child_exiting_without_a_result_fails_with_its_exit_code():
    job = _finish(SubprocessJob(tasks.die, ("exit",)).start())
    assert job.error.message == (
        f"the child process {job.pid} exited with code 3 without a result; "
        "its last stderr line: about to die"
    )


def test_stop_sends_sigint_and_a_polling_task_returns_what_it_has(tmp_path):
    job = SubprocessJob(tasks.until_stopped, (str(tmp_path),))
    seen = transitions(job)
    _started(job).stop()
    _finish(job)
    assert seen == [("queued", "running"), ("running", "stopped")]
    assert job.signals_sent == ("SIGINT",)
    assert job.result == "saw the stop"
    assert job.error is None


def test_a_child_task_raising_stopped_ends_stopped(tmp_path):
    job = _started(SubprocessJob(tasks.raise_when_stopped, (str(tmp_path),)))
    job.stop()
    _finish(job)
    assert (job.state, job.result, job.error, job.signals_sent) == (
        "stopped",
        None,
        None,
        ("SIGINT",),
    )


def test_a_child_task_failing_after_the_stop_ends_stopped_with_its_error():
    job = _started(SubprocessJob(tasks.fail_when_stopped))
    job.stop()
    _finish(job)
    assert (job.state, str(job.error)) == ("stopped", "OSError: the stream closed")


def test_with_interrupt_sigint_ends_a_task_that_never_polls():
    job = _started(SubprocessJob(tasks.sleep_without_polling, interrupt=True))
    job.stop()
    _finish(job)
    assert (job.state, job.error, job.signals_sent) == ("stopped", None, ("SIGINT",))


def test_a_task_that_never_polls_gets_sigterm_after_the_grace_period():
    job = _started(SubprocessJob(tasks.sleep_without_polling, stop_grace=0.2))
    job.stop()
    _finish(job)
    assert (job.state, job.error, job.signals_sent) == ("stopped", None, ("SIGINT", "SIGTERM"))
    assert job.message == "the child did not stop 0.2 s after SIGINT: sent SIGTERM"


def test_a_child_ignoring_sigint_and_sigterm_is_killed(tmp_path):
    job = SubprocessJob(tasks.ignore_signals, (str(tmp_path),), stop_grace=0.2, kill_grace=0.2)
    _started(job).stop()
    _finish(job)
    assert job.state == "stopped"
    assert job.signals_sent == ("SIGINT", "SIGTERM", "SIGKILL")
    assert job.message == "the child did not stop 0.4 s after SIGINT: sent SIGKILL"


def test_an_observer_that_raises_fails_the_job_and_ends_the_child(tmp_path):
    job = SubprocessJob(tasks.until_stopped, (str(tmp_path),))

    def broken(change):
        raise RuntimeError("the observer broke")

    job.observe(broken, names="event")
    _finish(job.start())
    assert (job.state, str(job.error)) == ("failed", "RuntimeError: the observer broke")


def test_stopping_a_queued_subprocess_job_starts_no_child():
    job = SubprocessJob(tasks.count_to, (1,))
    job.stop()
    assert (job.state, job.pid) == ("stopped", None)


def test_what_the_child_started_in_its_group_ends_with_it():
    job = _finish(SubprocessJob(tasks.start_grandchild).start())
    grandchild = job.result
    deadline = time.monotonic() + HANG_GUARD
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)


def test_the_child_runs_in_its_folder_and_its_output_is_kept_and_logged(tmp_path):
    log = tmp_path / "child.log"
    job = SubprocessJob(tasks.print_lines, (3,), cwd=tmp_path, log=log, tail_lines=2)
    _finish(job.start())
    assert job.result == str(tmp_path)
    assert job.stdout_tail == ("out 1", "out 2")
    assert job.stderr_tail == ("err 1", "err 2")
    assert sorted(log.read_text().splitlines()) == [
        "err 0",
        "err 1",
        "err 2",
        "out 0",
        "out 1",
        "out 2",
    ]


def test_the_child_gets_the_given_environment():
    job = _finish(
        SubprocessJob(
            tasks.getenv, ("ALIGNN_NB_JOB_TEST",), env={"ALIGNN_NB_JOB_TEST": "7"}
        ).start()
    )
    assert job.result == "7"


def test_a_task_that_cannot_reach_a_child_is_refused_at_once():
    with pytest.raises(TypeError, match="cannot run in a child process: the task and its"):
        SubprocessJob(lambda ctx: 1)


def test_a_result_that_cannot_come_back_fails_the_job():
    job = _finish(SubprocessJob(tasks.unpicklable_result).start())
    assert job.state == "failed"
    assert job.error.type == "TypeError"
    assert job.error.message.startswith("the task's result could not be sent to the parent:")


def test_a_child_that_cannot_start_fails_the_job(tmp_path):
    job = SubprocessJob(tasks.count_to, (1,), cwd=tmp_path / "missing")
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.error.type) == ("failed", "FileNotFoundError")


def test_a_module_runs_as_python_dash_m_in_the_child():
    job = _finish(SubprocessJob(run_module, ("tests.support.tasks", ["0"])).start())
    assert (job.state, job.stdout_tail) == ("done", ("module run with 0",))


def test_a_module_exiting_with_an_error_code_fails_the_job():
    job = _finish(SubprocessJob(run_module, ("tests.support.tasks", ["2"])).start())
    assert (job.state, str(job.error)) == (
        "failed",
        "RuntimeError: python -m tests.support.tasks exited with code 2",
    )


ORPHAN_SCRIPT = """
import os, sys
from pathlib import Path
from alignn_nb.compute import SubprocessJob
from tests.support.tasks import until_stopped

job = SubprocessJob(until_stopped, (sys.argv[1],)).start()
while not Path(sys.argv[1], "started").exists():
    pass
os._exit(0)
"""


def test_a_child_whose_parent_dies_stops_on_its_own(tmp_path):
    subprocess.run(
        [sys.executable, "-c", ORPHAN_SCRIPT, str(tmp_path)],
        cwd=REPO,
        check=True,
        timeout=HANG_GUARD,
    )
    child = int((tmp_path / "started").read_text())
    deadline = time.monotonic() + HANG_GUARD
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


EXIT_SCRIPT = """
import sys
from pathlib import Path
from alignn_nb.compute import SubprocessJob
from tests.support.tasks import until_stopped

job = SubprocessJob(until_stopped, (sys.argv[1],)).start()
while not Path(sys.argv[1], "started").exists():
    pass
"""


def test_a_child_running_when_the_parent_exits_is_stopped_first(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert not alive(int(Path(tmp_path, "started").read_text()))
