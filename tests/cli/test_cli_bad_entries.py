"""One bad entry never takes good ones with it, in every verb that reads a dataset.

A few mlearn Si entries, some of them spoilt at random (`tests.support.bad_entries`): each verb
run on them gives what it gives on the good entries alone (the same values, or the same
one-line refusal), lists each bad entry with the reason `read_sample` gives for it, and
lets no numpy RuntimeWarning through.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alignn_nb.cli import main
from alignn_nb.datasets import read_sample
from alignn_nb.datasets.entries import json_entry
from tests.support.bad_entries import CORRUPTIONS, corrupt
from tests.support.models import TINY_PURE_MODEL
from tests.support.repo import EXAMPLE_DATA

_MLEARN = json.loads((EXAMPLE_DATA / "mlearn_Si_id_prop.json").read_text())


def _nth(natoms: int, n: int) -> dict:
    return [e for e in _MLEARN if len(e["atoms"]["elements"]) == natoms][n]


POOL = [_nth(natoms, 0) for natoms in (12, 16, 18, 20, 24)] + [_nth(16, 1), _nth(24, 1)]
"""Small mlearn Si entries: the first of 12 to 24 atoms, then a second of 16 and of 24."""
PURE = [f"--set={k}={v}" for k, v in TINY_PURE_MODEL.items()]
PURE += ["--set=neighbor_strategy=pure_torch", "--set=cutoff=5", "--set=max_neighbors=8"]
EXAMPLES = settings(
    max_examples=2,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
"""Two drawn examples besides `COVERING`: each runs the verb twice. ``tmp_path_factory``
is session-scoped."""
COVERING = (
    dict(zip((1, 2, 3, 5, 6), CORRUPTIONS[0:5], strict=True)),
    dict(zip((0, 1, 2, 5, 6), CORRUPTIONS[5:10], strict=True)),
    dict(zip((1, 2, 3, 4, 5), CORRUPTIONS[10:15], strict=True)),
    dict(zip((2, 5), CORRUPTIONS[15:17], strict=True)),
    {1: "unknown element"},
)
"""Every kind of corruption, with good entries of two sizes left (so that total_energy's
unit can be told); last, 'Xx' among good entries, which once failed a whole Dask task."""


def covering(test):
    """``test`` run on each of `COVERING` too."""
    for spoil in reversed(COVERING):
        test = example(spoil=spoil)(test)
    return test


spoilt = st.dictionaries(
    st.integers(0, len(POOL) - 1), st.sampled_from(CORRUPTIONS), min_size=1, max_size=5
)
"""Which entries of the pool to spoil (at least two stay good), and how."""


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory):
    """A Dask scheduler and one worker process, stopped by PID at the end."""
    from tests.support.dask_processes import dask_processes

    with dask_processes(tmp_path_factory.mktemp("dask"), workers=1) as cluster:
        yield cluster.address


def _files(folder: Path, spoil: dict[int, str]) -> tuple[Path, Path, dict[str, str]]:
    """``good/id_prop.json`` (the good entries), ``all/id_prop.json`` (every entry, the bad
    ones spoilt) and each bad entry's id with the reason `read_sample` refuses it for."""
    items = [corrupt(e, spoil[i]) if i in spoil else e for i, e in enumerate(POOL)]
    bad = {}
    for index, kind in spoil.items():
        try:
            read_sample(json_entry(items[index], index))
        except ValueError as refused:
            bad[str(index) if kind == "entry as a list" else POOL[index]["jid"]] = str(refused)
        else:
            raise AssertionError(f"{kind} left entry {index} readable")
    good = [e for i, e in enumerate(POOL) if i not in spoil]
    for name, entries in (("good", good), ("all", items)):
        (folder / name).mkdir()
        (folder / name / "id_prop.json").write_text(json.dumps(entries))
    return folder / "good" / "id_prop.json", folder / "all" / "id_prop.json", bad


def _run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, Any, str]:
    """The verb's exit status, its JSON (None when it failed) and its stderr; no numpy
    RuntimeWarning may be raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(argv)
    out, err = capsys.readouterr()
    leaked = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert leaked == [], argv
    return status, json.loads(out) if status == 0 else None, err


def _same(ours: Any, theirs: Any, rel: float, where: str = "") -> None:
    """Equal, floats within ``rel``."""
    if isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), where
        for key in ours:
            _same(ours[key], theirs[key], rel, f"{where}.{key}")
    elif isinstance(ours, list):
        assert len(ours) == len(theirs), where
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same(a, b, rel, f"{where}[{index}]")
    elif isinstance(ours, float):
        assert theirs == pytest.approx(ours, rel=rel, abs=1e-12), where
    else:
        assert ours == theirs, where


def _check(verb, spoil, folder, capsys, clean=None, rel=1e-9) -> None:
    """The verb on the good entries and on all of them: the same result (after ``clean``
    drops what differs between any two runs), and the bad entries listed."""
    good, every, bad = _files(folder, spoil)
    alone = _run(verb(good), capsys)
    found = _run(verb(every), capsys)
    if alone[0] != 0:
        assert found[0] == alone[0] and found[2] == alone[2]
        assert found[2].count("\n") == 1
        return
    assert found[0] == 0, found[2]
    assert alone[1].pop("skipped") == []
    listed = found[1].pop("skipped")
    assert {s["id"]: s["reason"] for s in listed} == bad
    assert len(listed) == len(bad)
    for result in (alone[1], found[1]):
        if clean is not None:
            clean(result)
    _same(alone[1], found[1], rel)


def _timings(stats: dict) -> None:
    """The times, and how many were skipped (the skipped entries are compared apart)."""
    for key in ("seconds", "timings", "advice_seconds", "skipped_count"):
        stats.pop(key)


def _trial_runs(result: dict) -> None:
    """The storage's path, and each trial's worker and seconds."""
    result.pop("storage")
    for trial in result["trials"]:
        trial.pop("seconds"), trial.pop("worker")


@given(spoil=spoilt)
@covering
@EXAMPLES
def test_dataset_stats_on_a_cluster(spoil, scheduler, tmp_path_factory, capsys):
    def verb(path: Path) -> list[str]:
        return [
            "dataset-stats", str(path), "--no-calibrate", "--json", "--scheduler", scheduler,
            "--set", "cutoff=5", "--set", "max_neighbors=8", "--batch-size", "2",
        ]  # fmt: skip

    _check(verb, spoil, tmp_path_factory.mktemp("stats"), capsys, _timings)


@given(spoil=spoilt)
@covering
@EXAMPLES
def test_loss_terms(spoil, tmp_path_factory, capsys):
    def verb(path: Path) -> list[str]:
        return ["loss-terms", "--data", str(path), "--json", *PURE]

    _check(verb, spoil, tmp_path_factory.mktemp("loss"), capsys)


@given(spoil=spoilt)
@covering
@EXAMPLES
def test_a_one_trial_sweep(spoil, scheduler, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("sweep")

    def verb(path: Path) -> list[str]:
        storage = path.parent / "study.journal"
        return [
            "sweep", "--data", str(path), "--trials", "1", "--steps", "2", "--json",
            "--param", "learning_rate=0.001,0.01", "--scheduler", scheduler,
            "--storage", str(storage), "--device", "cpu", *PURE,
        ]  # fmt: skip

    # the same seeded training of the trial on the worker: its value within 1e-6
    _check(verb, spoil, folder, capsys, _trial_runs, rel=1e-6)


@pytest.fixture(scope="module")
def pure_run(tmp_path_factory) -> Path:
    """A run folder of a pure-torch model: its config and seeded weights (no DGL needed)."""
    import torch

    from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, save_alignn_config
    from alignn_nb.model import build_model

    folder = tmp_path_factory.mktemp("pure_run")
    cfg = ALIGNNAtomWiseConfig(**TINY_PURE_MODEL)
    save_alignn_config(folder / "config.json", cfg, GraphConfig(neighbor_strategy="pure_torch"))
    torch.save(build_model(cfg, seed=0).state_dict(), folder / "best_model.pt")
    return folder


@pytest.fixture(params=["pure", pytest.param("alignn", marks=pytest.mark.dgl)])
def run_folder(request) -> Path:
    """A run folder to evaluate: `pure_run`, or alignn's own small training run."""
    if request.param == "alignn":
        return request.getfixturevalue("alignn_trained").output
    return request.getfixturevalue("pure_run")


@given(spoil=spoilt)
@covering
@EXAMPLES
def test_evaluate(spoil, run_folder, tmp_path_factory, capsys):
    def verb(path: Path) -> list[str]:
        return ["evaluate", str(run_folder), "--data", str(path), "--split", "all", "--json"]

    _check(verb, spoil, tmp_path_factory.mktemp("evaluate"), capsys)


def test_the_text_output_lists_each_skipped_entry(scheduler, pure_run, tmp_path, capsys):
    _, every, bad = _files(tmp_path, {1: "unknown element", 4: "NaN coordinate"})
    data = ["--data", str(every)]
    verbs = {
        "loss-terms": ["loss-terms", *data, *PURE],
        "evaluate": ["evaluate", str(pure_run), *data, "--split", "all"],
        "sweep": [
            "sweep", *data, "--trials", "1", "--steps", "1", "--param", "learning_rate=0.001,0.01",
            "--scheduler", scheduler, "--storage", str(tmp_path / "study.journal"), *PURE,
        ],
        "dataset-stats": ["dataset-stats", str(every), "--no-calibrate", "--scheduler", scheduler],
    }  # fmt: skip
    lines = [f"skipped: {jid}: {reason}" for jid, reason in bad.items()]
    assert lines == [
        "skipped: 64: unknown element symbol 'Xx' (atom 3)",
        "skipped: 58: coords contains NaN or infinity",
    ]
    for verb, argv in verbs.items():
        assert main(argv) == 0, verb
        shown = [line.strip() for line in capsys.readouterr().out.splitlines()]
        assert [line for line in shown if line.startswith("skipped: ")] == lines, verb
