"""Every alignn example config through every verb, on a few real mlearn Si structures.

Each call either succeeds with alignn's own numbers, or is refused with exit status 2 and
one line that names the field and the reason (`tests.real_configs.expected_refusal`);
none ends in a traceback. The verbs run in this interpreter; dataset-stats and sweep use
one shared Dask cluster. Calibrated dataset-stats runs for every config except six of the
seven DGL ones (see `tests.real_configs.CALIBRATED_DGL`): alignn's pure model is not
calibrated (a note says so), which costs nothing.
"""

from __future__ import annotations

import json
import math

import pytest

from alignn_nb.cli import main
from alignn_nb.cli import serve as _serve
from alignn_nb.config.alignn_io import load_alignn_config
from alignn_nb.graphs.counts import graph_counts
from alignn_nb.structures.loading import load_structure
from tests.real_configs import (
    CALIBRATED_DGL,
    CONFIGS,
    HIDDEN,
    SMALL,
    config_data,
    config_path,
    expected_refusal,
    model_name,
    runs_here,
    write_run,
    write_si_inputs,
)

DGL_CONFIGS = [c for c in CONFIGS if model_name(c) == "alignn_atomwise"]
CALIBRATED = [c for c in CONFIGS if c not in DGL_CONFIGS or c == CALIBRATED_DGL]


@pytest.fixture(scope="module")
def si(tmp_path_factory):
    """(alignn's id_prop of the small Si structures, the smallest one as a POSCAR)."""
    return write_si_inputs(tmp_path_factory.mktemp("si"))


def cli(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def outcome(verb: str, config: str, result: tuple[int, str, str]) -> dict | None:
    """The JSON a successful call printed, or None after checking the expected refusal."""
    status, out, err = result
    refusal = expected_refusal(config, verb)
    if refusal is None:
        assert status == 0, err
        assert "error" not in err and "Traceback" not in err
        return json.loads(out)
    assert (status, out) == (2, ""), err
    assert err.startswith(f"alignn-nb {verb}: error: ")
    assert err.endswith(f"{refusal}\n") and err.count("\n") == 1
    return None


def settings(config: str, *assignments: str):
    from alignn_nb.cli._settings import apply_settings

    return apply_settings(*load_alignn_config(config_path(config)), assignments)


@pytest.mark.parametrize("config", CONFIGS)
def test_graph_stats(capsys, si, config):
    found = outcome(
        "graph-stats",
        config,
        cli(capsys, "graph-stats", si[1], "--config", config_path(config), "--json"),
    )
    if found is None:
        return
    counts = graph_counts(load_structure(si[1]), *settings(config))
    assert found["atoms"] == counts["atoms"] == 12
    wanted = {k: counts[k] for k in ("edges", "triplets", "candidate_triplets", "degree_max")}
    assert {k: found[k] for k in wanted} == wanted
    assert found["max_neighbors"] == config_data(config).get("max_neighbors", 12)


@pytest.mark.parametrize("config", CONFIGS)
def test_loss_terms(capsys, si, config):
    argv = ("loss-terms", "--data", si[0], "--config", config_path(config), "--set", HIDDEN)
    found = outcome("loss-terms", config, cli(capsys, *argv, "--json"))
    if found is None:
        return
    assert found["samples"] == SMALL
    assert "graphwise" in found["terms"]
    ok = [t["weighted"] for t in found["terms"].values() if "status" not in t]
    assert found["total"] == pytest.approx(sum(ok)) and math.isfinite(found["total"])


def _scan(capsys, si, config, cluster, *options: str) -> dict | None:
    argv = ("dataset-stats", si[0], "--config", config_path(config), "--set", HIDDEN)
    where = ("--scheduler", cluster.address, "--batch-size", "2", "--json")
    return outcome("dataset-stats", config, cli(capsys, *argv, *where, *options))


def _check_counts(stats: dict, si, config: str) -> None:
    """Sizes, degree_max and the max_neighbors advice against graph_counts, structure by
    structure (a null max_neighbors is advised as 2/3 of the largest neighbour count)."""
    from alignn_nb.training.datasets import load_dataset

    cfg, graph = settings(config, HIDDEN)
    counts = [graph_counts(s.atoms, cfg, graph) for s in load_dataset(si[0])]
    assert stats["structures"] == SMALL and stats["skipped"] == []
    assert [r["edges"] for r in stats["per_structure"]] == [c["edges"] for c in counts]
    assert [r["triplets"] for r in stats["per_structure"]] == [
        c["candidate_triplets"] for c in counts
    ]
    largest = max(c["degree_max"] for c in counts)
    assert stats["degree_max"] == largest
    advice = {a["field"]: a for a in stats["advice"]}
    limit = graph.max_neighbors if graph.max_neighbors is not None else largest
    assert advice["max_neighbors"]["value"] == max(1, round(limit * 2 / 3))
    unlimited = f"max_neighbors is null (no limit), which here means {largest}"
    if graph.max_neighbors is None:
        assert advice["max_neighbors"]["note"].startswith(unlimited)
        assert any(f"up to {largest} per atom" in note for note in stats["notes"])
    else:
        assert unlimited not in advice["max_neighbors"].get("note", "")


@pytest.mark.parametrize("config", CONFIGS)
def test_dataset_stats_without_calibration(capsys, si, config, shared_dask_cluster):
    stats = _scan(capsys, si, config, shared_dask_cluster, "--no-calibrate")
    if stats is not None:
        _check_counts(stats, si, config)
        assert stats["calibration_seconds"] is None and stats["epoch_seconds"] is None


@pytest.mark.slow
@pytest.mark.parametrize("config", CALIBRATED)
def test_dataset_stats_with_calibration(capsys, si, config, shared_dask_cluster):
    stats = _scan(capsys, si, config, shared_dask_cluster)
    if stats is None:
        return
    _check_counts(stats, si, config)
    assert stats["calibration_seconds"] > 0
    heaviest = stats["heaviest_batch"]
    if model_name(config) == "alignn_atomwise_pure" or not runs_here(config):
        assert heaviest["peak_memory_bytes"] is None and stats["epoch_seconds"] is None
        return
    assert heaviest["peak_memory_bytes"] > 0 and heaviest["step_seconds"] > 0
    assert stats["epoch_seconds"] > 0
    calibrated = [a for a in stats["advice"] if a["peak_memory_bytes"] is not None]
    assert [a["field"] for a in calibrated] == [a["field"] for a in stats["advice"]]


@pytest.fixture
def quiet_optuna():
    """Optuna's INFO lines off: its stderr handler may hold a stream that an earlier test's
    capsys has closed, and the verb prints its own lines."""
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    yield
    optuna.logging.set_verbosity(verbosity)


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.usefixtures("quiet_optuna")
def test_a_one_trial_sweep(capsys, si, config, shared_dask_cluster, tmp_path):
    storage = tmp_path / "study.journal"
    # Without DGL an alignn_atomwise sweep is refused for a local cluster, before it starts.
    where = ("--scheduler", shared_dask_cluster.address) if runs_here(config) else ()
    argv = ("sweep", "--data", si[0], "--config", config_path(config), "--set", HIDDEN)
    argv += ("--param", "learning_rate=0.0005:0.002:log", "--trials", "1", "--steps", "1")
    result = outcome("sweep", config, cli(capsys, *argv, *where, "--storage", storage, "--json"))
    if result is None:
        assert not storage.exists()
        return
    (trial,) = result["trials"]
    assert trial["state"] == "COMPLETE", trial["error"]
    assert math.isfinite(trial["value"]) and result["best"]["number"] == trial["number"]


@pytest.fixture
def voila(monkeypatch):
    """What explore would hand to Voila; no server starts."""
    calls: list[dict] = []
    monkeypatch.setattr(_serve, "run_voila", lambda command, env: calls.append(env) or 0)
    return calls


@pytest.mark.parametrize("config", CONFIGS)
def test_evaluate_and_explore_a_run_folder(capsys, si, config, tmp_path, voila):
    """A run folder of the config (alignn's untrained weights) evaluated on the Si set."""
    run = write_run(config, tmp_path / "run")
    found = outcome("evaluate", config, cli(capsys, "evaluate", run, "--data", si[0], "--json"))
    if found is not None:
        assert found["structures"] == SMALL
        ids = [str(e["jid"]) for e in json.loads(si[0].read_text())]
        assert [row["id"] for row in found["per_structure"]] == ids
        assert all(math.isfinite(row["energy_pred"]) for row in found["per_structure"])
    status, out, err = cli(capsys, "explore", run, "--data", si[0])
    refusal = expected_refusal(config, "explore")
    if refusal is None:
        assert (status, err) == (0, "")
        (env,) = voila
        assert json.loads(env["ALIGNN_NB_EXPLORE"])["folder"] == str(run.resolve())
    else:
        assert (status, out, voila) == (2, "", [])
        assert err.endswith(f"{refusal}\n") and err.count("\n") == 1
