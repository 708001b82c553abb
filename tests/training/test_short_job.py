"""The short training run as a Job: its own copy of the model and a snapshot of the
config, one event and one progress report per step, a message and the run as its result,
and a stop that ends it before the next step."""

from __future__ import annotations

import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Dataset, default_dataset
from alignn_nb.model import build_model
from alignn_nb.training import ShortRunSettings, shape_changes_since, short_run_job, train
from tests.support.jobs import HANG_GUARD

pytestmark = pytest.mark.dgl

GRAPH = GraphConfig()


@pytest.fixture(scope="module")
def small() -> Dataset:
    return default_dataset()[:4]


def test_the_job_trains_a_copy_and_reports_every_step(small):
    cfg = ALIGNNAtomWiseConfig()
    given = build_model(cfg, seed=3)
    before = {k: v.clone() for k, v in given.state_dict().items()}
    settings = ShortRunSettings(steps=3, seed=3, threads=1)
    job, run = short_run_job(small, cfg, GRAPH, given, settings)
    assert (job.state, job.name, run.planned, run.steps) == ("queued", "training", 3, [])
    assert run.model is not given and run.config is not cfg and run.config == cfg
    cfg.hidden_features = 16
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.result, job.error) == ("done", run, None)
    assert [e.kind for e in job.events] == ["step"] * 3
    assert [e.data for e in job.events] == run.steps
    assert (job.progress.done, job.progress.total, job.progress.unit) == (3, 3, "steps")
    assert job.message == f"training finished after 3 steps in {run.seconds:.1f} s"
    assert all(torch.equal(v, before[k]) for k, v in given.state_dict().items())
    reference = train(
        small,
        ALIGNNAtomWiseConfig(),
        GRAPH,
        steps=3,
        seed=3,
        threads=1,
        model=build_model(ALIGNNAtomWiseConfig(), seed=3),
    )
    assert [s.total for s in run.steps] == [s.total for s in reference.steps]
    assert shape_changes_since(run, cfg) == ["hidden_features 64 → 16"]
    assert shape_changes_since(run, ALIGNNAtomWiseConfig(penalty_threshold=2.0)) == []


def test_a_stop_ends_the_run_before_its_next_step_and_keeps_it(small):
    job, run = short_run_job(small, ALIGNNAtomWiseConfig(), GRAPH, None, ShortRunSettings(500))
    job.observe(lambda change: job.stop(), "event")
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.result, len(run.steps), run.stopped) == ("stopped", run, 1, True)
    assert job.message == f"training stopped after 1 steps in {run.seconds:.1f} s"


def test_a_run_train_refuses_fails_the_job_with_its_message(small):
    job, run = short_run_job(small, ALIGNNAtomWiseConfig(), GRAPH, None, ShortRunSettings(0))
    assert job.start().wait(HANG_GUARD)
    assert (job.state, job.result, run.steps) == ("failed", None, [])
    assert (job.error.type, job.error.message) == ("ValueError", "steps must be at least 1, got 0")
