"""One trial of a sweep: a seeded short training scored on a validation split."""

from __future__ import annotations

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.tuning import TrialOptions, TrialSettings
from alignn_nb.tuning.trials import TrialPlan, run_trial, split_dataset

pytestmark = pytest.mark.dgl

TINY = ALIGNNAtomWiseConfig(
    alignn_layers=1,
    gcn_layers=1,
    hidden_features=8,
    embedding_features=8,
    edge_input_features=8,
    triplet_input_features=8,
)
"""A model small enough that a step takes a fraction of a second."""


def tiny_settings(cfg: ALIGNNAtomWiseConfig = TINY, steps: int = 3) -> dict:
    return TrialSettings(cfg, GraphConfig(), TrialOptions(steps=steps)).as_dict()


@pytest.fixture(scope="module")
def split():
    from alignn_nb.datasets import example_dataset_path, load_dataset

    return split_dataset(load_dataset(example_dataset_path("jarvis_ff_sample"))[:6], 1 / 3)


class Recorder:
    """A channel that keeps every report and asks to stop after ``stop_after`` of them."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.reports: list[tuple[int, float]] = []
        self.stop_after = stop_after

    def report(self, step: int, value: float) -> None:
        self.reports.append((step, value))

    def should_stop(self) -> bool:
        return self.stop_after is not None and len(self.reports) >= self.stop_after


def test_the_split_is_seeded_and_disjoint(split):
    train_set, validation = split
    assert (len(train_set), len(validation)) == (4, 2)
    again = split_dataset(_six(), 1 / 3)
    assert [s.atoms for s in again[1].samples] == [s.atoms for s in validation.samples]
    ids = {id(s) for s in train_set.samples}
    assert not ids & {id(s) for s in validation.samples}


def _six():
    from alignn_nb.datasets import example_dataset_path, load_dataset

    return load_dataset(example_dataset_path("jarvis_ff_sample"))[:6]


def test_a_trial_scores_alignns_validation_loss_after_each_step(split):
    from alignn_nb.loss import loss_terms
    from alignn_nb.training import train

    train_set, validation = split
    channel = Recorder()
    outcome = run_trial(
        TrialPlan(0, tiny_settings(), report_every=1), train_set, validation, channel
    )
    assert [step for step, _ in channel.reports] == [1, 2, 3]
    assert outcome.reports == tuple(channel.reports)
    assert (outcome.steps, outcome.stopped, outcome.value) == (3, False, channel.reports[-1][1])
    run = train(train_set, TINY, GraphConfig(), steps=3, seed=0, threads=1)
    expected = loss_terms(run.model, validation, TINY, GraphConfig()).total
    assert outcome.value == pytest.approx(expected, rel=1e-5)
    forces = run_trial(
        TrialPlan(0, tiny_settings(), objective="forces", report_every=3), train_set, validation
    )
    gradwise = loss_terms(run.model, validation, TINY, GraphConfig()).terms["gradwise"].raw
    assert forces.reports == ((3, pytest.approx(gradwise, rel=1e-5)),)


def test_a_trial_the_driver_stops_ends_after_the_step_it_was_told(split):
    outcome = run_trial(
        TrialPlan(1, tiny_settings(), report_every=1), *split, Recorder(stop_after=1)
    )
    assert (outcome.steps, outcome.stopped, len(outcome.reports)) == (1, True, 1)


def test_an_objective_the_config_cannot_give_is_refused_before_training(split):
    per_cell = TINY.copy()
    per_cell.energy_mult_natoms = False
    plan = TrialPlan(2, tiny_settings(per_cell), objective="energy")
    with pytest.raises(ValueError) as refused:
        run_trial(plan, *split)
    assert str(refused.value) == (
        "the energy objective is alignn's graphwise MAE in eV/atom, which needs "
        "energy_mult_natoms on (off, alignn's readout predicts eV per cell)"
    )
    with pytest.raises(ValueError, match="objective 'loss' refused: choose one of total, energy"):
        TrialPlan(2, tiny_settings(), objective="loss")
