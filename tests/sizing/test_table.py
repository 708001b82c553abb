"""The per-structure table on disk: CSV and Parquet rows as the tally's, a stopped scan's
rows kept and resumed into the same table, refusals that change nothing, and the printed
stats bounded whatever the size."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import threading
from pathlib import Path

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets.synthetic import write_synthetic_id_prop
from alignn_nb.graphs.memory import record_bytes
from alignn_nb.sizing import chunks as dataset_chunks
from alignn_nb.sizing import tally as dataset_tally
from alignn_nb.sizing.scan import scan
from alignn_nb.sizing.stats import dataset_stats
from tests.support.repo import EXAMPLE_DATA

CFG, GRAPH = ALIGNNAtomWiseConfig(), GraphConfig()
VOLATILE = ("seconds", "timings", "advice_seconds", "per_structure_file", "where")


def _with_bad_entries(path: Path, count: int) -> Path:
    """``count`` synthetic entries, the 3rd without atoms and the 7th with an unknown element."""
    write_synthetic_id_prop(path, count, seed=7)
    entries = json.loads(path.read_text())
    entries[2] = {"jid": "no-atoms"}
    entries[6]["atoms"]["elements"][0] = "Xx"
    path.write_text(json.dumps(entries))
    return path


def _csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_rows_are_every_entry_in_order(tmp_path) -> None:
    data = _with_bad_entries(tmp_path / "id_prop.json", 12)
    table = tmp_path / "rows.csv"
    result = scan(data, CFG, GRAPH, table=str(table))
    rows = _csv(table)
    assert [r["id"] for r in rows] == [f"syn-{i}" if i != 2 else "no-atoms" for i in range(12)]
    assert rows[2]["skipped"] == "entry 2 has no jarvis 'atoms' dict" and rows[2]["atoms"] == ""
    assert rows[6]["skipped"] == "unknown element symbol 'Xx' (atom 0)"
    counted = [r for r in rows if not r["skipped"]]
    columns = result.tally.columns()
    for row, atoms, edges, triplets in zip(
        counted, columns["atoms"], columns["edges"], columns["triplets"], strict=True
    ):
        assert (int(row["atoms"]), int(row["edges"]), int(row["triplets"])) == (
            atoms,
            edges,
            triplets,
        )
        assert int(row["graph_bytes"]) == record_bytes(atoms, edges, triplets, CFG, GRAPH)
    assert json.loads((tmp_path / "rows.csv.scan.json").read_text())["dataset"] == str(data)


def test_parquet_holds_the_same_rows(tmp_path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    data = _with_bad_entries(tmp_path / "id_prop.json", 12)
    scan(data, CFG, GRAPH, table=str(tmp_path / "rows.csv"))
    scan(data, CFG, GRAPH, table=str(tmp_path / "rows.parquet"))
    found = pq.read_table(tmp_path / "rows.parquet").to_pylist()
    expected = _csv(tmp_path / "rows.csv")
    assert [{k: "" if v is None else str(v) for k, v in r.items()} for r in found] == expected
    assert not (tmp_path / "rows.parquet.part").exists()


@pytest.mark.parametrize("name", ["rows.csv", "rows.parquet"])
def test_a_stopped_scan_resumes_into_the_same_table(tmp_path, monkeypatch, name) -> None:
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow.parquet")
    monkeypatch.setattr(dataset_chunks, "CHUNK", 5)
    data = _with_bad_entries(tmp_path / "id_prop.json", 23)
    whole = dataset_stats(data, CFG, GRAPH, table=str(tmp_path / f"whole-{name}"))
    stop = threading.Event()
    first = dataset_stats(data, CFG, GRAPH, table=str(tmp_path / name), stop=stop,
                          on_progress=lambda done, total: stop.set())  # fmt: skip
    assert first["stopped"] and first["structures"] == 4 and first["skipped_count"] == 1
    resumed = dataset_stats(data, CFG, GRAPH, table=str(tmp_path / name), resume=True)
    assert not resumed["stopped"]
    assert _read(tmp_path / name) == _read(tmp_path / f"whole-{name}")
    for stats in (resumed, whole):  # the one note that names the table's path
        stats["notes"] = [n for n in stats["notes"] if "the rows are in" not in n]
    assert {k: v for k, v in resumed.items() if k not in VOLATILE} == {
        k: v for k, v in whole.items() if k not in VOLATILE
    }


def _read(path: Path) -> list:
    if path.suffix == ".csv":
        return _csv(path)
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def test_a_resume_of_another_table_is_refused_and_changes_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dataset_chunks, "CHUNK", 5)
    data = _with_bad_entries(tmp_path / "id_prop.json", 12)
    table = tmp_path / "rows.csv"
    scan(data, CFG, GRAPH, table=str(table))
    before = table.read_bytes()
    with pytest.raises(ValueError, match=r"^--resume: rows.csv was counted for another settings"):
        scan(data, CFG, GraphConfig(cutoff=6.0), table=str(table), resume=True)
    lines = before.decode().splitlines(keepends=True)
    table.write_text("".join([lines[0], lines[2], *lines[1:2]]))  # rows of another order
    with pytest.raises(ValueError, match=r"^--resume: the table's last row is 'syn-0' but the"):
        scan(data, CFG, GRAPH, table=str(table), resume=True)
    with pytest.raises(ValueError, match=r"^--resume: no table other.csv to resume from"):
        scan(data, CFG, GRAPH, table=str(tmp_path / "other.csv"), resume=True)
    with pytest.raises(ValueError, match=r"^--per-structure rows.txt: give a .csv or .parquet"):
        scan(data, CFG, GRAPH, table=str(tmp_path / "rows.txt"))


def test_a_line_cut_by_a_kill_is_dropped_on_resume(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dataset_chunks, "CHUNK", 5)
    data = _with_bad_entries(tmp_path / "id_prop.json", 12)
    whole, table = tmp_path / "whole.csv", tmp_path / "rows.csv"
    scan(data, CFG, GRAPH, table=str(whole))
    text = whole.read_text()
    shutil.copy(tmp_path / "whole.csv.scan.json", tmp_path / "rows.csv.scan.json")
    cut = text.index("syn-8")  # rows up to syn-7, and half of syn-8's line
    table.write_text(text[: cut + 10])
    scan(data, CFG, GRAPH, table=str(table), resume=True)
    assert table.read_text() == text


def test_the_printed_stats_stay_small(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dataset_tally, "ROW_LIMIT", 9)
    monkeypatch.setattr(dataset_tally, "LISTED", 1)
    data = _with_bad_entries(tmp_path / "id_prop.json", 12)
    stats = dataset_stats(data, CFG, GRAPH, budget=0)
    assert stats["per_structure"] is None and stats["structures"] == 10
    assert "per_structure is null: 10 structures are more than 9 rows; write them with " \
        "--per-structure FILE (.csv or .parquet)" in stats["notes"]  # fmt: skip
    assert len(stats["skipped"]) == 1 and stats["skipped_count"] == 2
    assert "2 entries were skipped; skipped lists the first 1" in stats["notes"]
    assert stats["over_budget"] == ["syn-0"] and stats["over_budget_count"] == 10
    tabled = dataset_stats(data, CFG, GRAPH, table=str(tmp_path / "rows.csv"))
    assert tabled["per_structure"] is None
    assert f"per_structure is null: the rows are in {tmp_path / 'rows.csv'}" in tabled["notes"]
    assert stats["triplets"] == tabled["triplets"]


def test_shards_and_gzip_give_the_totals_of_one_file(tmp_path) -> None:
    source = EXAMPLE_DATA / "mlearn_Si_id_prop.json"
    entries = json.loads(source.read_text())
    shards = tmp_path / "shards"
    shards.mkdir()
    for number, start in enumerate(range(0, len(entries), 100)):
        text = json.dumps(entries[start : start + 100])
        if number % 2:
            (shards / f"part-{number}.json").write_text(text)
        else:
            with gzip.open(shards / f"part-{number}.json.gz", "wt") as handle:
                handle.write(text)
    keys = ("structures", "atoms", "edges", "triplets", "graph_memory_bytes", "heaviest_batch")
    one = dataset_stats(source, CFG, GRAPH, advise=False)
    for data in (shards, str(shards / "part-*")):
        found = dataset_stats(data, CFG, GRAPH, advise=False)
        assert {k: found[k] for k in keys} == {k: one[k] for k in keys}
        assert found["layout"] == "3 shards (json)"
