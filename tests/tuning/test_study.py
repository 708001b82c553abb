"""A study in its storage: trial records, resume, refusal of another objective, best config."""

from __future__ import annotations

import json

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Dataset
from alignn_nb.tuning import (
    SearchSpace,
    TrialOptions,
    TrialSettings,
    best,
    finished_count,
    open_study,
    records,
    save_best,
    summary,
)
from alignn_nb.tuning._tell import TrialResult, ask, finish
from alignn_nb.tuning.study import StudyKey

SPACE = SearchSpace.parse(["hidden_features=8:16", "learning_rate=1e-4:1e-2:log"])
BASE = TrialSettings(ALIGNNAtomWiseConfig(), GraphConfig(), TrialOptions(steps=2))


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    from alignn_nb.datasets import example_dataset_path, load_dataset

    return load_dataset(example_dataset_path("jarvis_ff_sample"))[:4]


def key(dataset: Dataset, objective: str = "total") -> StudyKey:
    return StudyKey.of(objective, dataset, 0.25, 0)


def test_told_trials_are_recorded_and_survive_reopening(tmp_path, dataset):
    path = str(tmp_path / "study.journal")
    study = open_study(path, "s", key(dataset))
    first, _ = ask(study, SPACE, BASE)
    second, _ = ask(study, SPACE, BASE)
    third, _ = ask(study, SPACE, BASE)
    finish(study, first, TrialResult(value=1.5, worker="worker-0", seconds=0.25))
    finish(study, second, TrialResult(error="ValueError: diverged", worker="worker-1", seconds=1))
    finish(study, third, TrialResult(value=9.0, pruned=True, worker="worker-0", seconds=0.5))
    again = open_study(path, "s", key(dataset))
    shown = summary(again, path)
    assert [
        (t["number"], t["state"], t["value"], t["error"], t["worker"], t["seconds"])
        for t in shown["trials"]
    ] == [
        (0, "COMPLETE", 1.5, None, "worker-0", 0.25),
        (1, "FAIL", None, "ValueError: diverged", "worker-1", 1),
        (2, "PRUNED", None, None, "worker-0", 0.5),
    ]
    assert set(shown) == {"study", "storage", "objective", "trials", "best"}
    assert (shown["study"], shown["storage"], shown["objective"]) == ("s", path, "total")
    assert set(shown["trials"][0]) == {
        "number",
        "params",
        "value",
        "state",
        "error",
        "worker",
        "seconds",
    }
    assert set(shown["trials"][0]["params"]) == {"hidden_features", "learning_rate"}
    assert shown["best"] == {"number": 0, "params": shown["trials"][0]["params"], "value": 1.5}
    assert finished_count(again) == 3


def test_a_stopped_trial_is_failed_but_not_counted_as_finished(tmp_path, dataset):
    study = open_study(str(tmp_path / "study.journal"), "s", key(dataset))
    trial, _ = ask(study, SPACE, BASE)
    told = finish(study, trial, TrialResult(stopped=True))
    assert (told.state, told.error, told.stopped) == ("FAIL", "stopped before it finished", True)
    assert finished_count(study) == 0 and best(study) is None


def test_a_study_made_for_another_objective_is_refused(tmp_path, dataset):
    path = str(tmp_path / "study.journal")
    open_study(path, "s", key(dataset))
    with pytest.raises(ValueError) as refused:
        open_study(path, "s", key(dataset, "forces"))
    assert str(refused.value) == (
        "study 's' was made for other values (objective 'total' → 'forces'): "
        "its trials would not compare; choose another study name"
    )
    assert records(open_study(path, "s", key(dataset))) == []


def test_the_best_trial_is_saved_as_a_config_alignn_accepts(tmp_path, dataset):
    from alignn.config import TrainingConfig

    study = open_study(str(tmp_path / "study.journal"), "s", key(dataset))
    for value in (2.0, 0.5, 1.0):
        trial, _ = ask(study, SPACE, BASE)
        finish(study, trial, TrialResult(value=value))
    top = best(study)
    assert (top.number, top.value) == (1, 0.5)
    saved = save_best(study, tmp_path / "best.json", {"epochs": 3})
    written = json.loads((tmp_path / "best.json").read_text())
    accepted = TrainingConfig(**written)
    assert accepted.model.hidden_features == top.params["hidden_features"]
    assert accepted.learning_rate == pytest.approx(top.params["learning_rate"])
    assert accepted.epochs == 3
    assert saved.cfg.hidden_features == top.params["hidden_features"]
