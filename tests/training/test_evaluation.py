"""Evaluating a trained run: alignn's own Test_results.json reproduced from its output folder
(the session's `alignn_trained` run), and the MAEs over what it holds."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from alignn_nb.training.alignn_run import load_run, run_dataset
from alignn_nb.training.evaluation import evaluate

pytestmark = pytest.mark.dgl


@pytest.fixture(scope="module")
def test_results(alignn_trained):
    """alignn's test-set records, which it writes after the last epoch with the weights it
    then saves as last_model.pt (alignn/train.py, train_dgl)."""
    return json.loads((alignn_trained.output / "Test_results.json").read_text())


@pytest.fixture(scope="module")
def evaluation(alignn_trained):
    run = load_run(alignn_trained.output, "last_model.pt")
    return evaluate(run, run_dataset(run, alignn_trained.data), "test")


def test_evaluate_reproduces_alignns_test_results(evaluation, test_results):
    assert [s.id for s in evaluation.structures] == [r["id"] for r in test_results]
    for row, record in zip(evaluation.structures, test_results, strict=True):
        assert row.energy_pred == pytest.approx(record["pred_out"], abs=1e-5), row.id
        assert row.energy_target == pytest.approx(record["target_out"][0], abs=1e-5)
        np.testing.assert_allclose(row.forces_pred, record["pred_grad"], atol=1e-5)
        np.testing.assert_allclose(row.forces_target, record["target_grad"], atol=1e-5)
        np.testing.assert_allclose(row.stress_pred, record["pred_stress"][0], atol=1e-5)
        np.testing.assert_allclose(row.stress_target, record["target_stress"][0], atol=1e-5)


def test_the_tolerance_sees_a_small_change_of_weights(alignn_trained, evaluation):
    run = load_run(alignn_trained.output, "last_model.pt")
    state = dict(run.state)
    state["fc.bias"] = state["fc.bias"] + 1e-4
    nudged = evaluate(
        dataclasses.replace(run, state=state), run_dataset(run, alignn_trained.data), "test"
    )
    for row, moved in zip(evaluation.structures, nudged.structures, strict=True):
        assert abs(moved.energy_pred - row.energy_pred) > 1e-5


def test_maes_are_the_mean_errors_over_alignns_records(evaluation, test_results):
    def mae(key: str) -> float:
        return float(
            np.mean(
                np.concatenate(
                    [
                        np.abs(np.subtract(r[f"pred_{key}"], r[f"target_{key}"])).ravel()
                        for r in test_results
                    ]
                )
            )
        )

    assert evaluation.energy_unit == "eV/atom"
    assert evaluation.energy_mae == pytest.approx(mae("out"), abs=1e-6)
    assert evaluation.force_mae == pytest.approx(mae("grad"), abs=1e-6)
    assert evaluation.stress_mae == pytest.approx(mae("stress"), abs=1e-6)
    assert evaluation.energy_mae > 0 and evaluation.force_mae > 0


def test_the_split_follows_the_runs_ids(alignn_trained):
    run = load_run(alignn_trained.output)
    ids = json.loads((alignn_trained.output / "ids_train_val_test.json").read_text())
    dataset = run_dataset(run, alignn_trained.data.parent)
    val = evaluate(run, dataset, "val")
    assert [s.id for s in val.structures] == ids["id_val"]
    assert val.weights == "best_model.pt" and val.split == "val"
    counts = [len(s.atoms) for s in val.structures]
    assert [len(s.force_errors) for s in val.structures] == counts
