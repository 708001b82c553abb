"""The declared API: each package's ``__all__`` is the list of names its ``__init__``
declares, every one of them resolves, and every name that moved still resolves from its
old place for one release, with a `DeprecationWarning` naming the new one."""

from __future__ import annotations

import importlib
import warnings

import pytest

from alignn_nb.lazy import declared_names
from tests.support.repo import REPO

PACKAGES = sorted(
    p.parent.name for p in (REPO / "alignn_nb").glob("*/__init__.py") if p.parent.name != "cli"
)

MOVED = {
    # the old training package, split into datasets, loss, evaluation and training
    "alignn_nb.training.Dataset": "alignn_nb.datasets.Dataset",
    "alignn_nb.training.Sample": "alignn_nb.datasets.Sample",
    "alignn_nb.training.load_dataset": "alignn_nb.datasets.load_dataset",
    "alignn_nb.training.read_id_prop": "alignn_nb.datasets.read_id_prop",
    "alignn_nb.training.default_dataset": "alignn_nb.datasets.default_dataset",
    "alignn_nb.training.example_dataset_path": "alignn_nb.datasets.example_dataset_path",
    "alignn_nb.training.EXAMPLE_DATASETS": "alignn_nb.datasets.EXAMPLE_DATASETS",
    "alignn_nb.training.TERMS": "alignn_nb.loss.TERMS",
    "alignn_nb.training.WEIGHT_FIELDS": "alignn_nb.loss.WEIGHT_FIELDS",
    "alignn_nb.training.make_batches": "alignn_nb.loss.make_batches",
    "alignn_nb.training.loss_terms": "alignn_nb.loss.loss_terms",
    "alignn_nb.training.fresh_breakdown": "alignn_nb.loss.fresh_breakdown",
    "alignn_nb.training.reweight": "alignn_nb.loss.reweight",
    "alignn_nb.training.LossBreakdown": "alignn_nb.loss.LossBreakdown",
    "alignn_nb.training.sweep": "alignn_nb.loss.weight_response",
    "alignn_nb.training.Sweep": "alignn_nb.loss.WeightResponse",
    "alignn_nb.training.TrainingRun": "alignn_nb.training.ShortRun",
    "alignn_nb.training.AlignnHistory": "alignn_nb.evaluation.AlignnHistory",
    "alignn_nb.training.load_history": "alignn_nb.evaluation.load_history",
    "alignn_nb.training.TrainedRun": "alignn_nb.evaluation.RunFolder",
    "alignn_nb.training.load_run": "alignn_nb.evaluation.load_run",
    "alignn_nb.training.run_dataset": "alignn_nb.evaluation.run_dataset",
    "alignn_nb.training.Evaluation": "alignn_nb.evaluation.Evaluation",
    "alignn_nb.training.evaluate": "alignn_nb.evaluation.evaluate",
    "alignn_nb.training.RunComparison": "alignn_nb.evaluation.RunComparison",
    "alignn_nb.training.compare_runs": "alignn_nb.evaluation.compare_runs",
    # the old app package, split into live, compute and sizing
    "alignn_nb.app.LiveSession": "alignn_nb.live.LiveSession",
    "alignn_nb.app.LiveResult": "alignn_nb.live.LiveResult",
    "alignn_nb.app.StageError": "alignn_nb.live.StageError",
    "alignn_nb.app.start_worker": "alignn_nb.compute.start_worker",
    "alignn_nb.app.Cluster": "alignn_nb.compute.Cluster",
    "alignn_nb.app.Outcome": "alignn_nb.compute.Outcome",
    "alignn_nb.app.connect": "alignn_nb.compute.connect",
    "alignn_nb.app.run_all": "alignn_nb.compute.run_all",
    "alignn_nb.app.dataset_stats": "alignn_nb.sizing.dataset_stats",
    # renamed
    "alignn_nb.viz.sensitivity_plot": "alignn_nb.viz.weight_response_plot",
    "alignn_nb.widgets.LossPlot": "alignn_nb.widgets.LossTab",
    "alignn_nb.widgets.SweepPanel": "alignn_nb.widgets.SweepTab",
}
"""Every public name of the last release that moved or was renamed, and where it is now:
each old ``__all__`` name of training and app, and the renamed view and widgets."""


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_the_declared_names_and_each_resolves(package):
    module = importlib.import_module(f"alignn_nb.{package}")
    source = (REPO / "alignn_nb" / package / "__init__.py").read_text()
    lazy, eager = declared_names(module.__name__, source)
    assert module.__all__ == sorted({*lazy, *eager})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        missing = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert missing == []
    assert set(module.__all__) <= set(dir(module))


def test_the_root_package_offers_the_readme_names():
    import alignn_nb

    assert alignn_nb.__all__ == [
        "ALIGNNAtomWiseConfig",
        "Dashboard",
        "Finding",
        "GraphConfig",
        "build_graphs",
        "build_model",
        "check",
        "load_structure",
    ]


@pytest.mark.parametrize("old", MOVED)
def test_a_moved_name_warns_and_is_the_new_one(old):
    new = MOVED[old]
    with pytest.warns(DeprecationWarning) as caught:
        found = _resolve(old)
    assert found is _resolve(new)
    assert [str(w.message) for w in caught] == [
        f"{old} is deprecated: use {new} (the old path goes in the next release)"
    ]
    package, _, name = old.rpartition(".")
    assert name not in importlib.import_module(package).__all__


def test_a_moved_name_warns_where_it_is_used():
    """The warning names the line that uses the old path (``from`` asks the package twice,
    once to check the name and once to take it: two warnings of one place, shown once)."""
    with pytest.warns(DeprecationWarning) as caught:
        from alignn_nb.training import load_dataset  # noqa: F401
    assert {(w.filename, w.lineno) for w in caught} == {(__file__, caught[0].lineno)}
    assert caught[0].lineno == test_a_moved_name_warns_where_it_is_used.__code__.co_firstlineno + 4


def test_an_unknown_name_is_an_attribute_error():
    import alignn_nb.app
    import alignn_nb.loss

    with pytest.raises(AttributeError) as unknown:
        alignn_nb.loss.sweep  # noqa: B018
    assert str(unknown.value) == "module 'alignn_nb.loss' has no attribute 'sweep'"
    with pytest.raises(AttributeError) as unknown:
        alignn_nb.app.live  # noqa: B018
    assert str(unknown.value) == "module 'alignn_nb.app' has no attribute 'live'"
