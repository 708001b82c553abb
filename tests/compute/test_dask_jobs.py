"""DaskJob and DaskMapJob on a real cluster: a scheduler and two worker processes that the
tests of this module share, stopped by PID at its end. Every task a test starts ends
before the test does."""

from __future__ import annotations

import functools
import time

import pytest

from alignn_nb.compute import Cluster, DaskJob, DaskMapJob, JobEvent, connect, run_in_child
from alignn_nb.compute.dask_jobs import CANCELLED
from alignn_nb.compute.dask_map import TASK_PROGRESS
from tests.support import tasks
from tests.support.jobs import HANG_GUARD, first_event, transitions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    from tests.support.dask_processes import dask_processes

    with dask_processes(tmp_path_factory.mktemp("dask"), workers=2) as cluster:
        yield cluster


@pytest.fixture
def client(shared_cluster):
    from distributed import Client

    with Client(shared_cluster.address, timeout=HANG_GUARD) as client:
        yield client


def test_one_task_on_a_worker_relays_its_progress_events_and_result(client):
    job = DaskJob(tasks.count_to, (5,), client=client, name="count")
    seen = transitions(job)
    assert job.start().wait(HANG_GUARD)
    assert seen == [("queued", "running"), ("running", "done")]
    assert (job.result, job.error, job.message) == (5, None, "counted to 5")
    assert (job.progress.done, job.progress.total, job.progress.unit) == (5, 5, "steps")
    assert job.events == tuple(JobEvent(i, "step", {"i": i + 1}) for i in range(5))
    assert job.where == f"the Dask cluster at {client.scheduler.address}"
    assert client.status == "running"


def test_a_task_in_a_child_process_of_a_worker_relays_like_one_on_the_worker(client):
    job = DaskJob(run_in_child, (tasks.count_to, (4,)), client=client)
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.result, job.message) == ("done", 4, "counted to 4")
    assert job.events == tuple(JobEvent(i, "step", {"i": i + 1}) for i in range(4))


def test_a_task_that_raises_on_a_worker_fails_the_job_with_its_traceback(client):
    job = DaskJob(tasks.refuse, (7,), client=client)
    job.start().wait(HANG_GUARD)
    assert job.state == "failed"
    assert (job.error.type, job.error.message) == ("ValueError", "bad value 7")
    assert 'raise ValueError(f"bad value {value}")' in job.error.traceback
    assert isinstance(job.error.exception, ValueError)


def test_stop_reaches_a_task_on_a_worker_through_its_context(client, tmp_path):
    job = DaskJob(tasks.until_stopped, (str(tmp_path),), client=client)
    seen = transitions(job)
    started = first_event(job, "started")
    job.start()
    assert started.wait(HANG_GUARD)
    job.stop()
    assert job.wait(HANG_GUARD)
    assert seen == [("queued", "running"), ("running", "stopped")]
    assert (job.result, job.error) == ("saw the stop", None)


def test_a_task_that_ignores_the_stop_is_cancelled_after_the_grace_period(client, tmp_path):
    job = DaskJob(tasks.wait_for_release, (str(tmp_path),), client=client, stop_grace=0.2)
    started = first_event(job, "started")
    job.start()
    assert started.wait(HANG_GUARD)
    job.stop()
    assert job.wait(HANG_GUARD)
    assert (job.state, job.result, job.error) == ("stopped", None, None)
    (tmp_path / "release").touch()
    _wait_for_file(tmp_path / "returned")


def _wait_for_file(path):
    """Wait until a task notes ``path``: the test ends after its tasks do."""
    deadline = time.monotonic() + HANG_GUARD
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists()


def test_a_task_cancelled_by_someone_else_fails_the_job(client, tmp_path):
    from distributed import Future

    job = DaskJob(tasks.wait_for_release, (str(tmp_path),), client=client, name="lost")
    started = first_event(job, "started")
    job.start()
    assert started.wait(HANG_GUARD)
    keys = [k for held in client.processing().values() for k in held if k.startswith("lost-")]
    Future(keys[0], client=client).cancel()
    assert job.wait(HANG_GUARD)
    (tmp_path / "release").touch()
    _wait_for_file(tmp_path / "returned")
    assert job.state == "failed"
    assert str(job.error) == (
        "CancelledError: the task ended cancelled before it finished, without a stop"
    )


def test_a_map_gives_every_outcome_in_item_order_with_weighted_progress(client):
    job = DaskMapJob(
        tasks.square_or_refuse, range(6), weights=[10] * 6, client=client, unit="structures"
    )
    progress = []
    job.observe(lambda change: progress.append(change["new"].done), names="progress")
    seen = transitions(job)
    job.start().wait(HANG_GUARD)
    assert seen == [("queued", "running"), ("running", "done")]
    outcomes = job.result
    assert [o.value for o in outcomes] == [0, 1, 4, None, 16, 25]
    assert [o.index for o in outcomes] == list(range(6))
    assert outcomes[3].error == "ValueError: three is refused"
    assert 'raise ValueError("three is refused")' in outcomes[3].traceback
    assert {o.worker for o in outcomes if o.ok} <= {"worker-0", "worker-1"}
    assert progress == [10, 20, 30, 40, 50, 60]
    assert (job.progress.total, job.progress.unit) == (60, "structures")
    assert job.message == "5 of 6 tasks gave a result, 1 failed"


def test_stop_cancels_the_waiting_tasks_and_lets_the_running_ones_end_early(client, tmp_path):
    items = [(str(tmp_path), x) for x in range(6)]
    job = DaskMapJob(tasks.hold, items, context=True, client=client)
    job.start()
    deadline = time.monotonic() + HANG_GUARD
    while len(list(tmp_path.glob("pid-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    started = {int(p.name.split("-")[1]) for p in tmp_path.glob("pid-*")}
    job.stop()
    assert job.wait(HANG_GUARD)
    assert job.state == "stopped"
    outcomes = job.result
    for x in started:
        assert outcomes[x].value == f"{x} stopped early"
    assert all(o.value == f"{o.index} stopped early" or o.error == CANCELLED for o in outcomes)
    cancelled = sum(o.error == CANCELLED for o in outcomes)
    assert cancelled >= 2
    assert job.message == f"{6 - cancelled} of 6 tasks gave a result, {cancelled} cancelled"
    assert job.progress.done == 6 - cancelled


def test_a_map_task_with_a_context_reports_as_events(client):
    job = DaskMapJob(tasks.count_to, [2], context=True, client=client)
    job.start().wait(HANG_GUARD)
    kinds = [(e.kind, e.data) for e in job.events]
    assert kinds == [
        (TASK_PROGRESS, {"index": 0, "done": 1, "total": 2}),
        ("step", {"i": 1}),
        (TASK_PROGRESS, {"index": 0, "done": 2, "total": 2}),
        ("step", {"i": 2}),
    ]
    assert job.result[0].value == 2


def test_a_job_connects_and_disconnects_through_the_apps_cluster(shared_cluster):
    cluster = Cluster(scheduler=shared_cluster.address)
    job = DaskMapJob(tasks.square_or_refuse, [2, 4], connect=functools.partial(connect, cluster))
    job.start().wait(HANG_GUARD)
    assert [o.value for o in job.result] == [4, 16]
    assert job.where == f"the Dask cluster at {shared_cluster.address}"


def test_a_scheduler_that_does_not_answer_fails_the_job():
    from distributed import Client

    job = DaskJob(tasks.count_to, (1,), connect=lambda: Client("tcp://127.0.0.1:1", timeout=0.5))
    job.start().wait(HANG_GUARD)
    assert job.state == "failed"
    assert job.error.type == "OSError"


def test_an_empty_map_is_done_at_once(client):
    job = DaskMapJob(tasks.square_or_refuse, [], client=client)
    job.start().wait(HANG_GUARD)
    assert (job.state, job.result, job.message) == ("done", [], "0 of 0 tasks gave a result")
