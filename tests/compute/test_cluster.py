"""Dask clusters: a local one started for the work, or real scheduler and worker processes."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from alignn_nb.compute import Cluster, connect, run_all
from alignn_nb.compute.cluster import CANCELLED
from tests.support.dask_processes import START_SECONDS, hold_until_released, square_or_refuse


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"workers": 2, "scheduler": "tcp://127.0.0.1:8786"}, "not both"),
        ({"workers": 0}, "workers = 0 refused: a cluster needs at least 1"),
        ({"scheduler": "127.0.0.1:8786"}, "an address looks like tcp://HOST:PORT"),
    ],
)
def test_a_cluster_spec_that_cannot_work_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Cluster(**kwargs)


def test_a_cluster_says_where_work_runs():
    assert Cluster(workers=2).describe() == "a local Dask cluster of 2 worker processes"
    assert Cluster(scheduler="tcp://10.0.0.1:8786").describe() == (
        "the Dask cluster at tcp://10.0.0.1:8786"
    )


@pytest.mark.slow
def test_a_local_cluster_gives_every_outcome_in_item_order(tmp_path):
    progress = []
    with connect(Cluster(workers=2), local_directory=str(tmp_path)) as client:
        outcomes = run_all(
            client, square_or_refuse, range(6), on_progress=lambda *p: progress.append(p)
        )
    assert [o.value for o in outcomes] == [0, 1, 4, None, 16, 25]
    assert outcomes[3].error == "ValueError: three is refused"
    assert {o.worker for o in outcomes if o.ok} <= {"0", "1"}
    assert progress == [(n, 6) for n in range(1, 7)]


@pytest.mark.slow
def test_stop_cancels_what_has_not_finished(tmp_path):
    (tmp_path / "release").touch()
    stop = threading.Event()
    with connect(Cluster(workers=1), local_directory=str(tmp_path)) as client:
        outcomes = run_all(
            client,
            hold_until_released,
            [(str(tmp_path), x) for x in range(5)],
            on_progress=lambda done, total: stop.set(),
            stop=stop,
        )
    assert sum(o.ok for o in outcomes) == 1
    assert [o.error for o in outcomes if not o.ok] == [CANCELLED] * 4


@pytest.mark.slow
def test_a_killed_worker_has_its_task_run_again_elsewhere(dask_cluster, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    results = []
    with connect(Cluster(scheduler=dask_cluster.address)) as client:
        runner = threading.Thread(
            target=lambda: results.extend(
                run_all(client, hold_until_released, [(str(work), x) for x in range(2)])
            )
        )
        runner.start()
        deadline = time.monotonic() + START_SECONDS
        while len(list(work.glob("pid-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        first = next(p for p in work.glob("pid-0-*"))
        victim = int(first.name.rsplit("-", 1)[1])
        assert victim in dask_cluster.worker_pids
        os.kill(victim, signal.SIGKILL)
        (work / "release").touch()
        runner.join(START_SECONDS)
    assert [o.value for o in results] == [0, 1]
    survivor = {f"worker-{n}" for n, pid in enumerate(dask_cluster.worker_pids) if pid != victim}
    assert results[0].worker in survivor
