"""Opening a run as a Job (the Explore tab's and ``alignn-nb evaluate``'s task): its
progress in structures, its message, its result, its refusals and its stop."""

from __future__ import annotations

import pytest

from alignn_nb.evaluation import (
    EvaluatedRun,
    EvaluationRequest,
    evaluate,
    evaluation_job,
    load_run,
    run_dataset,
)
from alignn_nb.training import example_run_data, example_run_path
from tests.support.jobs import HANG_GUARD

pytestmark = pytest.mark.dgl


def test_the_job_opens_the_example_run_with_the_numbers_of_evaluate():
    request = EvaluationRequest(str(example_run_path()), str(example_run_data()))
    job = evaluation_job(request)
    assert job.start().wait(HANG_GUARD) and job.state == "done"
    opened = job.result
    assert isinstance(opened, EvaluatedRun) and opened.comparison is None
    run = load_run(example_run_path())
    expected = evaluate(run, run_dataset(run, example_run_data()), "test")
    assert opened.evaluation.split == "test"
    assert [s.id for s in opened.evaluation.structures] == [s.id for s in expected.structures]
    assert opened.evaluation.energy_mae == pytest.approx(expected.energy_mae, rel=1e-6)
    assert (job.progress.done, job.progress.total, job.progress.unit) == (4, 4, "structures")
    assert job.message == f"opened {example_run_path()}: {opened.evaluation!r}"


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"folder": ""}, "give the run folder: alignn's output_dir"),
        ({"data": "", "data_label": "--data"}, "give --data: alignn records no data folder in "),
        ({"scheduler": "here"}, "scheduler 'here' refused: an address looks like tcp://HOST:PORT"),
        ({"workers": 0}, "workers = 0 refused: a cluster needs at least 1"),
    ],
)
def test_a_request_that_cannot_run_fails_the_job_with_one_message(request_fields, message):
    fields = {"folder": str(example_run_path()), "data": str(example_run_data())}
    job = evaluation_job(EvaluationRequest(**{**fields, **request_fields}))
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.result, job.error.type) == ("failed", None, "ValueError")
    assert job.error.message.startswith(message)


def test_a_stop_ends_the_evaluation_after_its_current_chunk():
    request = EvaluationRequest(str(example_run_path()), str(example_run_data()), split="all")
    job = evaluation_job(request)
    job.observe(lambda change: change["new"].done and job.stop(), "progress")
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.result, job.progress.done) == ("stopped", None, 8)
    assert (job.error.type, job.error.message) == ("InterruptedError", "the evaluation was stopped")
