"""The training-step cost model: its arithmetic, its use by dataset-stats, and one real
calibration (timings are never asserted: they depend on the machine's load)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

import alignn_nb.sizing.stats as sizing_stats
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Entry, read_entry
from alignn_nb.graphs import graph_counts, graph_memory_bytes
from alignn_nb.sizing import dataset_stats
from alignn_nb.sizing.advice import FIELDS
from alignn_nb.sizing.stats import NOT_CALIBRATED, NOT_ESTIMATED
from alignn_nb.training import StepCost, step_cost
from alignn_nb.training.step_cost import MMAP_FACTOR
from tests.support.repo import EXAMPLE_DATA
from tests.support.step_costs import COST, HALF

CFG = ALIGNNAtomWiseConfig()
GRAPH = GraphConfig(cutoff=5.0, max_neighbors=8)
ADVICE_KEYS = {"field", "value", "graph_memory_bytes", "peak_memory_bytes", "epoch_seconds"}


def _live(atoms: int, edges: int, triplets: int) -> float:
    c = COST.live
    return c[0] + c[1] * atoms + c[2] * edges, c[3] * triplets


def test_peak_bytes_by_hand_in_both_malloc_regimes() -> None:
    small = {"atoms": 100, "edges": 1_000, "triplets": 10_000}
    base, per_triplet = _live(100, 1_000, 10_000)
    assert step_cost.peak_bytes(small, COST) == round((base + per_triplet) * 1.6)
    # 200,000 triplets × 64 floats × 4 B = 51 MB: past glibc's 32 MiB mmap ceiling
    big = {"atoms": 100, "edges": 1_000, "triplets": 200_000}
    base, per_triplet = _live(100, 1_000, 200_000)
    assert step_cost.peak_bytes(big, COST) == round(base * 1.6 + per_triplet * MMAP_FACTOR)
    seconds = step_cost.step_seconds(big, COST)
    assert seconds == pytest.approx(0.01 + 2e-4 * 100 + 5e-5 * 1_000 + 9e-5 * 200_000)


def test_estimates_grow_with_the_batch() -> None:
    sizes = [{"atoms": 10 * n, "edges": 100 * n, "triplets": 1_500 * n} for n in range(1, 60)]
    peaks = [step_cost.peak_bytes(s, COST) for s in sizes]
    seconds = [step_cost.step_seconds(s, COST) for s in sizes]
    assert seconds == sorted(seconds) and len(set(seconds)) == len(seconds)
    assert peaks[:20] == sorted(peaks[:20])  # heap regime throughout


def test_epoch_of_equal_structures_drops_the_last_batch() -> None:
    rows = [{"atoms": 10, "edges": 130, "triplets": 1_800}] * 50
    batch = {"atoms": 160, "edges": 2_080, "triplets": 28_800}
    expected = 3 * step_cost.step_seconds(batch, COST)  # 50 // 16 batches
    assert step_cost.epoch_seconds(rows, 16, COST) == pytest.approx(expected)


def _largest_by_hand(rows: list[dict], memory: int, graph_bytes: int) -> int:
    ranked = sorted(rows, key=lambda r: -r["triplets"])
    best = 0
    for size in range(1, len(rows) + 1):
        top = ranked[:size]
        atoms, edges, triplets = (sum(r[k] for r in top) for k in ("atoms", "edges", "triplets"))
        base, per_triplet = _live(atoms, edges, triplets)
        big = triplets * 4 * 64 > 32 * 2**20
        peak = base * 1.6 + per_triplet * (MMAP_FACTOR if big else 1.6)
        if round(peak) + graph_bytes > memory:
            break
        best = size
    return best


def _jarvis(tmp_path: Path, count: int) -> tuple[Path, list[dict]]:
    entries = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[:count]
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps(entries))
    return path, entries


def test_stats_with_fitted_costs(tmp_path: Path) -> None:
    path, entries = _jarvis(tmp_path, 6)
    stats = dataset_stats(path, CFG, GRAPH, batch_size=4, memory=50_000_000, costs=[COST, HALF])
    rows = stats["per_structure"]
    heaviest = stats["heaviest_batch"]
    assert set(heaviest) == {"ids", "triplets", "atoms", "edges", "peak_memory_bytes",
                             "step_seconds"}  # fmt: skip
    batch = {k: heaviest[k] for k in ("atoms", "edges", "triplets")}
    assert heaviest["peak_memory_bytes"] == step_cost.peak_bytes(batch, COST)
    assert heaviest["step_seconds"] == step_cost.step_seconds(batch, COST)
    assert stats["epoch_seconds"] == step_cost.epoch_seconds(rows, 4, COST)
    largest = _largest_by_hand(rows, 50_000_000, stats["graph_memory_bytes"])
    assert 0 < largest < 6
    assert stats["largest_batch_size"] == largest
    assert stats["calibration_seconds"] is None
    assert not any(note.startswith(NOT_ESTIMATED[:40]) for note in stats["notes"])
    advice = {item["field"]: item for item in stats["advice"]}
    # lighten_edges is on by default: its change is a shorter inner_cutoff
    assert list(advice) == [f if f != "lighten_edges" else "inner_cutoff" for f in FIELDS]
    assert advice["inner_cutoff"]["value"] == 2.5
    assert all(ADVICE_KEYS <= set(item) for item in advice.values())
    smaller = GraphConfig(cutoff=4.0, max_neighbors=8)
    listed = [Entry(e["jid"], "jarvis", e["atoms"]) for e in entries]
    counted = [graph_counts(read_entry(e), CFG, smaller) for e in listed]
    recounted = [{**c, "triplets": c["candidate_triplets"]} for c in counted]
    assert advice["cutoff"]["value"] == 4.0
    assert advice["cutoff"]["graph_memory_bytes"] == graph_memory_bytes(recounted, CFG, smaller)
    assert advice["hidden_features"]["value"] == 32
    assert advice["hidden_features"]["peak_memory_bytes"] < heaviest["peak_memory_bytes"]
    assert advice["batch_size"]["value"] == 2
    assert advice["batch_size"]["peak_memory_bytes"] < heaviest["peak_memory_bytes"]
    assert advice["batch_size"]["graph_memory_bytes"] == stats["graph_memory_bytes"]
    from alignn_nb.cli.dataset_stats import format_text

    text = format_text(stats)
    assert f"fits        batch size up to {largest}\n" in text
    assert text.count("\nadvice      ") == 7


def test_stats_without_calibration_say_why(tmp_path: Path) -> None:
    path, _ = _jarvis(tmp_path, 3)
    stages: list[str] = []
    stats = dataset_stats(path, CFG, GRAPH, batch_size=2, memory=10**9, on_stage=stages.append)
    assert stages == ["advising"]
    assert stats["heaviest_batch"]["peak_memory_bytes"] is None
    assert stats["heaviest_batch"]["step_seconds"] is None
    assert (stats["epoch_seconds"], stats["largest_batch_size"]) == (None, None)
    assert NOT_ESTIMATED.format(NOT_CALIBRATED) in stats["notes"]
    assert [item["peak_memory_bytes"] for item in stats["advice"]] == [None] * 7
    assert all(item["graph_memory_bytes"] > 0 for item in stats["advice"])


def test_advice_on_a_large_dataset_scales_a_sample(tmp_path: Path, monkeypatch) -> None:
    import alignn_nb.sizing.advice as advice_module

    monkeypatch.setattr(advice_module, "SAMPLE", 2)
    path, entries = _jarvis(tmp_path, 4)
    stats = dataset_stats(path, CFG, GRAPH, batch_size=2)
    rows = stats["per_structure"]
    smaller = GraphConfig(cutoff=4.0, max_neighbors=8)
    sampled = [0, 2]  # evenly spread: i * 4 // 2
    counted = {
        i: graph_counts(read_entry(Entry("x", "jarvis", entries[i]["atoms"])), CFG, smaller)
        for i in sampled
    }
    ratio = {
        "edges": sum(counted[i]["edges"] for i in sampled) / sum(rows[i]["edges"] for i in sampled),
        "triplets": sum(counted[i]["candidate_triplets"] for i in sampled)
        / sum(rows[i]["triplets"] for i in sampled),
    }
    scaled = [
        {"atoms": r["atoms"], **{k: round(r[k] * ratio[k]) for k in ("edges", "triplets")}}
        for r in rows
    ]
    cutoff = stats["advice"][0]
    assert cutoff["field"] == "cutoff"
    assert cutoff["graph_memory_bytes"] == graph_memory_bytes(scaled, CFG, smaller)


def test_a_model_that_cannot_be_calibrated_is_named_in_the_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = _jarvis(tmp_path, 2)
    ticks = itertools.count(100.0, 0.25)  # each reading of the clock is a quarter second on
    monkeypatch.setattr(sizing_stats, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    pure = ALIGNNAtomWiseConfig(name="alignn_atomwise_pure")
    stages: list[str] = []
    stats = dataset_stats(
        path, pure, GRAPH, batch_size=2, calibrate=True, advise=False, on_stage=stages.append
    )
    assert stages == ["calibrating"]
    assert stats["heaviest_batch"]["peak_memory_bytes"] is None
    assert stats["calibration_seconds"] == 0.25  # the refusal's start and end readings
    reason = "step costs are estimated for alignn's DGL model ALIGNNAtomWise only"
    assert NOT_ESTIMATED.format(reason) in stats["notes"]
    assert "advice" not in stats


@pytest.mark.dgl
@pytest.mark.slow
def test_calibration_of_a_tiny_model_fits_positive_costs() -> None:
    from alignn_nb.training import calibrate

    tiny = ALIGNNAtomWiseConfig(
        hidden_features=16, embedding_features=16, alignn_layers=1, gcn_layers=1
    )
    (cost,) = calibrate(tiny, GraphConfig(), threads=1, scale=0.02)
    assert (cost.hidden_features, cost.threads) == (16, 1)
    assert min(cost.live) >= 0 and cost.live[3] > 0
    assert min(cost.time_heap) >= 0 and sum(cost.time_heap) > 0
    assert cost.heap_factor > 0.5
    assert cost.process_bytes > 100 * 2**20
    assert StepCost.from_dict(cost.to_dict()) == cost
