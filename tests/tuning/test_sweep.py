"""The sweep as a Job (the Sweep tab's and ``alignn-nb sweep``'s): one event and one
progress report per trial told, a closing message naming the best trial, the records as
its result, and a refusal as its error."""

from __future__ import annotations

import json

import pytest

from alignn_nb.compute import Cluster
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import load_dataset
from alignn_nb.tuning import (
    SearchSpace,
    TrialOptions,
    TrialSettings,
    TrialTold,
    TuningPlan,
    best,
    open_study,
    records,
    sweep_job,
)
from tests.support.jobs import HANG_GUARD
from tests.support.models import TINY_PURE_MODEL
from tests.support.repo import EXAMPLE_DATA

pytestmark = [pytest.mark.dgl, pytest.mark.slow]


@pytest.fixture
def setup(tmp_path):
    rows = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[:6]
    (tmp_path / "six.json").write_text(json.dumps(rows))
    dataset = load_dataset(tmp_path / "six.json")
    base = TrialSettings(
        ALIGNNAtomWiseConfig(**TINY_PURE_MODEL), GraphConfig(), TrialOptions(steps=2)
    )
    plan = TuningPlan(SearchSpace.parse(["hidden_features=6,8"]), base, device="cpu")
    study = open_study(str(tmp_path / "study.journal"), "s", plan.key(dataset))
    return study, plan, dataset


def test_the_job_tells_each_trial_and_ends_on_the_best(setup, dask_cluster):
    study, plan, dataset = setup
    job = sweep_job(study, plan, dataset, 2, Cluster(scheduler=dask_cluster.address))
    assert (job.name, job.state) == ("sweep", "queued")
    assert job.start().wait(HANG_GUARD) and job.state == "done", job.error
    told = [e.data for e in job.events]
    assert all(isinstance(t, TrialTold) for t in told) and [e.kind for e in job.events] == [
        "trial",
        "trial",
    ]
    assert [t.finished for t in told] == [1, 2]
    numbers = [t.record.number for t in told]  # in the order the two workers finish them
    assert numbers == [r.number for r in job.result] and sorted(numbers) == [0, 1]
    assert [r.number for r in records(study)] == [0, 1]
    assert (job.progress.done, job.progress.total, job.progress.unit) == (2, 2, "trials")
    top = best(study)
    assert job.message == f"done: best trial {top.number} total {top.value:.6g} {top.params}"


def test_a_dataset_too_small_to_split_fails_the_job_with_its_refusal(setup):
    study, plan, dataset = setup
    job = sweep_job(study, plan, dataset[:1], 2, Cluster(workers=1))
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.result, job.error.type) == ("failed", None, "ValueError")
    assert job.error.message == "six.json has 1 sample(s): a train/validation split needs two"
    assert records(study) == []
