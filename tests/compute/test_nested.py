"""run_in_child: a task that runs another in a child process of its own, relaying its
progress, messages and events, its result, its failure and a stop."""

from __future__ import annotations

from alignn_nb.compute import JobEvent, ThreadJob, run_in_child
from tests.support import tasks
from tests.support.jobs import HANG_GUARD, alive, first_event


def test_the_child_task_reports_through_the_outer_job_and_its_result_is_returned():
    job = ThreadJob(run_in_child, (tasks.count_to, (3,)), name="outer")
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.result, job.message) == ("done", 3, "counted to 3")
    assert (job.progress.done, job.progress.total, job.progress.unit) == (3, 3, "steps")
    assert job.events == tuple(JobEvent(i, "step", {"i": i + 1}) for i in range(3))


def test_the_child_tasks_exception_fails_the_outer_job():
    job = ThreadJob(run_in_child, (tasks.refuse, (7,)))
    assert job.start().wait(HANG_GUARD)
    assert job.state == "failed"
    assert (job.error.type, job.error.message) == ("ValueError", "bad value 7")


def test_a_child_that_dies_fails_the_outer_job_naming_how():
    job = ThreadJob(run_in_child, (tasks.die, ("exit",)))
    assert job.start().wait(HANG_GUARD)
    assert job.error.type == "ChildProcessError"
    assert job.error.message.endswith(
        "exited with code 3 without a result; its last stderr line: about to die"
    )


def test_a_stop_of_the_outer_job_stops_the_child_which_returns_what_it_has(tmp_path):
    job = ThreadJob(run_in_child, (tasks.until_stopped, (str(tmp_path),)))
    started = first_event(job, "started")
    job.start()
    assert started.wait(HANG_GUARD)
    pid = job.events[0].data
    job.stop()
    assert job.wait(HANG_GUARD)
    assert (job.state, job.result) == ("stopped", "saw the stop")
    assert not alive(pid)


def test_a_child_stopped_without_a_result_ends_the_outer_job_stopped(tmp_path):
    job = ThreadJob(
        run_in_child, (tasks.raise_when_stopped, (str(tmp_path),)), {"options": {"interrupt": True}}
    )
    started = first_event(job, "started")
    job.start()
    assert started.wait(HANG_GUARD)
    job.stop()
    assert job.wait(HANG_GUARD)
    assert (job.state, job.result, job.error) == ("stopped", None, None)
