"""Dask jobs refuse what cannot work before anything connects."""

from __future__ import annotations

import pytest

from alignn_nb.compute import DaskJob, DaskMapJob
from tests.support import tasks


def test_a_dask_job_needs_a_client_or_a_connect_function_not_both():
    with pytest.raises(ValueError, match="give a Dask client or a connect function"):
        DaskJob(tasks.count_to, (1,))
    with pytest.raises(ValueError, match="not both or neither"):
        DaskJob(tasks.count_to, (1,), client=object(), connect=lambda: None)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1, 2], "2 weights for 3 items: give one weight per item"),
        ([1, -1, 1], "weights -1 refused: a weight must be 0 or more"),
    ],
)
def test_map_weights_must_match_the_items(weights, message):
    with pytest.raises(ValueError, match=message):
        DaskMapJob(tasks.square_or_refuse, [1, 2, 3], weights=weights, client=object())


def test_a_map_starts_with_its_total():
    job = DaskMapJob(tasks.square_or_refuse, [1, 2, 3], weights=[5, 5, 2], client=object())
    assert (job.progress.done, job.progress.total, job.progress.unit) == (0, 12, "tasks")
