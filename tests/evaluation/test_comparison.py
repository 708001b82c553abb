"""Two runs side by side: the config diff, both MAEs, and a refusal for different data."""

from __future__ import annotations

import pytest

from alignn_nb.config import DiffRow, GraphConfig
from alignn_nb.evaluation import compare_runs, evaluate, load_run, run_dataset
from tests.support.alignn_training import changed_copy

pytestmark = pytest.mark.dgl


def test_the_diff_names_the_changed_fields_and_the_maes_are_each_runs(alignn_trained, tmp_path):
    out = alignn_trained.output
    other = changed_copy(out, tmp_path / "other", 0.5, cutoff=6.0, learning_rate=0.002)
    first, second = load_run(out), load_run(other)
    dataset = run_dataset(first, alignn_trained.data)
    eval_a, eval_b = evaluate(first, dataset, "test"), evaluate(second, dataset, "test")
    comparison = compare_runs((first, eval_a), (second, eval_b))
    structures = (eval_a.structures, eval_b.structures)
    section = GraphConfig.field_trait("cutoff").metadata["section"]
    assert comparison.diff == (
        DiffRow(section, "cutoff", 8.0, 6.0),
        DiffRow("training", "learning_rate", 0.001, 0.002),
    )
    assert comparison.names == ("output", "other") and comparison.split == "test"
    shifted = [b.energy_pred - a.energy_pred for a, b in zip(*structures, strict=True)]
    assert shifted == pytest.approx([0.5, 0.5], abs=1e-5)
    assert comparison.maes == {
        "energy": (eval_a.energy_mae, eval_b.energy_mae),
        "force": (eval_a.force_mae, eval_b.force_mae),
        "stress": (eval_a.stress_mae, eval_b.stress_mae),
    }
    assert comparison.histories == (first.history, second.history)
    with pytest.raises(ValueError, match=r"^output and other were evaluated on different "):
        compare_runs((first, eval_a), (second, evaluate(second, dataset, "val")))
