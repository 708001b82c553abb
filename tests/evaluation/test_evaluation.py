"""Evaluating a trained run: alignn's own Test_results.json reproduced from its output folder
(the session's `alignn_trained` run), and the MAEs over what it holds."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from alignn_nb.evaluation import evaluate, load_run, run_dataset

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


def test_progress_is_reported_per_chunk_and_stop_ends_it(alignn_trained, monkeypatch):
    import threading

    from alignn_nb.evaluation import evaluation as module

    monkeypatch.setattr(module, "CHUNK", 3)
    run = load_run(alignn_trained.output)
    dataset = run_dataset(run, alignn_trained.data)
    calls: list[tuple[int, int]] = []
    evaluate(run, dataset, "all", on_progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 8), (6, 8), (8, 8)]
    stop = threading.Event()
    stop.set()
    with pytest.raises(InterruptedError, match="the evaluation was stopped"):
        evaluate(run, dataset, "all", stop=stop)


def test_the_dask_task_rebuilds_the_model_from_plain_values(alignn_trained):
    """What each Dask task runs (`run_all` itself is tested in tests/app/test_cluster.py)."""
    from alignn_nb.evaluation.evaluation import _chunk_task

    run = load_run(alignn_trained.output)
    chosen = run.split(run_dataset(run, alignn_trained.data), "val")
    local = evaluate(run, chosen, "all").structures
    item = (run.cfg.to_dict(), run.graph.to_dict(), dict(run.state), chosen.samples)
    remote = _chunk_task(item)
    assert [s.id for s in remote] == [s.id for s in local] == list(run.ids["val"])
    for here, there in zip(local, remote, strict=True):
        assert there.energy_pred == pytest.approx(here.energy_pred, abs=1e-6)
        np.testing.assert_allclose(there.forces_pred, here.forces_pred, atol=1e-6)
