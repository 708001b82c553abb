"""Scanning whole datasets in this process (tests/cli/test_cli_dataset_stats.py scans on a
Dask cluster of separate processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Entry, read_entry
from alignn_nb.graphs import graph_counts, graph_memory_bytes
from alignn_nb.sizing import dataset_stats, parse_memory
from alignn_nb.sizing.scan import scan
from tests.support.repo import EXAMPLE_DATA

CFG = ALIGNNAtomWiseConfig()
GRAPH = GraphConfig(cutoff=6.0, max_neighbors=12)


def _dataset(tmp_path: Path, count: int) -> tuple[Path, list[dict]]:
    """The first ``count`` JARVIS sample entries, with a broken entry third."""
    entries = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[:count]
    broken = {"jid": "broken", "atoms": {"lattice_mat": [[1, 0, 0]], "elements": ["Si"]}}
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps([*entries[:2], broken, *entries[2:]]))
    return path, entries


def _expected(entries: list[dict]) -> list[dict]:
    listed = [Entry(e["jid"], "jarvis", e["atoms"]) for e in entries]
    return [{"id": e.id, **graph_counts(read_entry(e), CFG, GRAPH)} for e in listed]


def test_scan_counts_every_structure_and_lists_the_broken_one(tmp_path: Path) -> None:
    path, entries = _dataset(tmp_path, 10)
    progress: list[tuple[int, int]] = []
    result = scan(path, CFG, GRAPH, on_progress=lambda *p: progress.append(p))
    expected = _expected(entries)
    assert list(result.rows) == [
        {
            "id": r["id"],
            "atoms": r["atoms"],
            "edges": r["edges"],
            "triplets": r["candidate_triplets"],
        }
        for r in expected
    ]
    columns = result.tally.columns()
    assert columns["lighter"].tolist() == [r["triplets"] for r in expected]
    assert columns["degree_max"].tolist() == [r["degree_max"] for r in expected]
    assert columns["position"].tolist() == [0, 1, 3, 4, 5, 6, 7, 8, 9, 10]
    assert [(s.id, s.reason) for s in result.skipped] == [
        (
            "broken",
            "atoms dict lacks 'coords' (needs lattice_mat, coords, elements)",
        )
    ]
    assert progress == [(11, 11)]  # one chunk of 400 entries
    assert result.where == "this process"


def test_chunks_and_stops_in_this_process(tmp_path: Path, monkeypatch) -> None:
    import threading

    from alignn_nb.sizing import chunks as dataset_chunks

    monkeypatch.setattr(dataset_chunks, "CHUNK", 4)
    path, _ = _dataset(tmp_path, 10)
    progress: list[tuple[int, int]] = []
    whole = scan(path, CFG, GRAPH, on_progress=lambda *p: progress.append(p))
    assert [done for done, _ in progress] == [4, 8, 11]
    assert progress[-1] == (11, 11)
    stop = threading.Event()

    def stop_after_first(done: int, total: int) -> None:
        stop.set()

    stopped = scan(path, CFG, GRAPH, on_progress=stop_after_first, stop=stop)
    assert stopped.stopped and stopped.tally.entries == 4
    assert list(stopped.rows) == list(whole.rows)[:3]


def test_stats_of_a_scan_in_this_process(tmp_path: Path) -> None:
    path, entries = _dataset(tmp_path, 6)
    stats = dataset_stats(path, CFG, GRAPH, batch_size=2, memory=parse_memory("100KB"))
    rows = _expected(entries)
    alignns = [{**r, "triplets": r["candidate_triplets"]} for r in rows]
    assert stats["graph_memory_bytes"] == graph_memory_bytes(alignns, CFG, GRAPH)
    assert stats["triplets"]["total"] == sum(r["candidate_triplets"] for r in rows)
    assert stats["memory_bytes"] == 10**5
    assert (
        f"alignn's graphs of this dataset ({stats['graph_memory_bytes'] / 1e9:.3g} GB) alone "
        "exceed --memory (0.0001 GB)"
    ) in stats["notes"]
    assert any(
        note.startswith("triplets are those of alignn's line graph") for note in stats["notes"]
    )


def test_memory_sizes() -> None:
    assert parse_memory("16GB") == 16 * 10**9
    assert parse_memory("8GiB") == 8 * 2**30
    assert parse_memory("512 mb") == 512 * 10**6
    assert parse_memory("2e9") == 2 * 10**9
    for bad in ("0GB", "16 parsecs", "-1MB", ""):
        with pytest.raises(ValueError, match="give a positive size such as 16GB"):
            parse_memory(bad)
