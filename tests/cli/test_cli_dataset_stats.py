"""``alignn-nb dataset-stats``: a whole dataset's graph sizes, and bad input refused."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest
from ase.build import bulk
from ase.io import write

from alignn_nb.cli import main
from alignn_nb.cli._settings import load_settings
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import open_dataset, read_entry
from alignn_nb.graphs import graph_counts, graph_memory_bytes

KEYS = {
    "structures",
    "skipped",
    "atoms",
    "edges",
    "triplets",
    "per_structure",
    "graph_memory_bytes",
    "heaviest_batch",
    "epoch_seconds",
    "over_budget",
    "seconds",
    "notes",
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["dataset-stats", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def _cells() -> dict[str, object]:
    """Small cells of different sizes, rattled with a seeded generator."""
    cells = {
        "POSCAR-Si": bulk("Si", "diamond", a=5.43),
        "POSCAR-Si8": bulk("Si", "diamond", a=5.43, cubic=True),
        "POSCAR-NaCl": bulk("NaCl", "rocksalt", a=5.64),
        "POSCAR-Cu4": bulk("Cu", "fcc", a=3.61, cubic=True),
    }
    for number, atoms in enumerate(cells.values()):
        atoms.rattle(stdev=0.03, seed=number)
    return cells


def _folder(tmp_path: Path) -> tuple[Path, dict]:
    """alignn's sample_data layout: POSCAR files and id_prop.csv, one row naming no file."""
    folder = tmp_path / "sample_data"
    folder.mkdir()
    cells = _cells()
    rows = []
    for name, atoms in cells.items():
        write(folder / name, atoms, format="vasp", direct=True)
        rows.append(f"{name},-1.0")
    rows.insert(2, "POSCAR-missing,0.5")
    (folder / "id_prop.csv").write_text("\n".join(rows) + "\n")
    return folder, cells


@pytest.mark.slow
def test_a_folder_scanned_on_a_cluster_of_processes(tmp_path, capsys, dask_cluster) -> None:
    folder, cells = _folder(tmp_path)
    status, out, err = run(
        capsys, str(folder), "--set", "cutoff=5", "--set", "max_neighbors=8",
        "--batch-size", "2", "--budget", "300", "--scheduler", dask_cluster.address, "--json",
        "--no-calibrate",
    )  # fmt: skip
    assert status == 0, err
    stats = json.loads(out)
    assert KEYS <= set(stats)
    graph = GraphConfig(cutoff=5.0, max_neighbors=8)
    full = ALIGNNAtomWiseConfig(lighten_edges=False, backtracking=True)
    keys = ("atoms", "edges", "triplets")
    entries = open_dataset(folder).entries  # each structure as alignn reads its file
    expected = [
        {"id": e.id, **{k: graph_counts(read_entry(e), full, graph)[k] for k in keys}}
        for e in entries
    ]
    assert [row["id"] for row in expected] == list(cells)
    assert stats["per_structure"] == expected
    assert stats["structures"] == 4
    assert stats["skipped"] == [
        {
            "id": "POSCAR-missing",
            "reason": "id_prop.csv row 3: no file 'POSCAR-missing' in sample_data",
        }
    ]
    triplets = [row["triplets"] for row in expected]
    assert stats["triplets"] == {
        "total": sum(triplets),
        "min": min(triplets),
        "median": statistics.median(triplets),
        "max": max(triplets),
    }
    ranked = sorted(expected, key=lambda row: -row["triplets"])[:2]
    assert stats["heaviest_batch"]["ids"] == [row["id"] for row in ranked]
    assert stats["heaviest_batch"]["triplets"] == sum(row["triplets"] for row in ranked)
    assert stats["over_budget"] == [row["id"] for row in expected if row["triplets"] > 300]
    assert 0 < len(stats["over_budget"]) < 4
    cfg, graph = load_settings(None, ["cutoff=5", "max_neighbors=8"])
    assert stats["graph_memory_bytes"] == graph_memory_bytes(expected, cfg, graph)
    assert stats["where"] == f"the Dask cluster at {dask_cluster.address}"
    assert re.fullmatch(
        r"dataset-stats: done in [\d.]+ s · 5/5 structures \(100%\) · 4 counted, 1 skipped",
        err.splitlines()[-1],
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["absent"], "no dataset at absent"),
        (["EMPTY"], "EMPTY/id_prop.json: the dataset is empty: it holds no readable structure"),
        (["EMPTY", "--memory", "lots"],
         "memory 'lots' refused: give a positive size such as 16GB, 512MB or 8GiB"),
        (["EMPTY", "--memory", "0GB"],
         "memory '0GB' refused: give a positive size such as 16GB, 512MB or 8GiB"),
        (["EMPTY", "--threads", "0"], "threads = 0 refused: give at least 1"),
        (["EMPTY", "--workers", "0"], "workers = 0 refused: a cluster needs at least 1"),
        (["EMPTY", "--batch-size", "0"], "batch size 0 refused: it must be at least 1"),
        (["EMPTY", "--set", "cutoff=-1"], None),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, monkeypatch, argv, message) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "EMPTY").mkdir()
    (tmp_path / "EMPTY" / "id_prop.json").write_text("[]")
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith("alignn-nb dataset-stats: error: ")
    if message is not None:
        assert err == f"alignn-nb dataset-stats: error: {message}\n"


def test_the_text_summary(tmp_path) -> None:
    from alignn_nb.cli.dataset_stats import format_text
    from alignn_nb.sizing import dataset_stats

    folder, _ = _folder(tmp_path)
    cfg, graph = load_settings(None, ["cutoff=5", "max_neighbors=8"])
    stats = dataset_stats(folder, cfg, graph, batch_size=2, budget=300)
    lines = format_text(stats).splitlines()
    triplets = stats["triplets"]
    assert lines[:2] == [
        "dataset     sample_data/id_prop.csv (alignn folder (id_prop.csv))",
        "structures  4 counted, 1 skipped",
    ]
    assert lines[4] == (
        f"triplets    total {triplets['total']:,}  min {triplets['min']:,}  "
        f"median {triplets['median']:,}  max {triplets['max']:,}"
    )
    assert lines[5] == (f"heaviest    batch of 2: {stats['heaviest_batch']['triplets']:,} triplets")
    assert lines[6] == f"over budget {len(stats['over_budget'])} structures past 300 triplets"
    assert (
        "skipped: POSCAR-missing: id_prop.csv row 3: no file 'POSCAR-missing' in sample_data"
        in lines
    )


@pytest.mark.parametrize(
    ("argv", "calibrate", "threads"),
    [([], True, 1), (["--no-calibrate"], False, 1), (["--threads", "2"], True, 2)],
)
def test_the_cli_calibrates_unless_told_not_to(
    tmp_path, capsys, monkeypatch, argv, calibrate, threads
) -> None:
    import alignn_nb.sizing.stats as module

    seen = {}

    def fake(ctx, request):
        seen["request"] = request
        ctx.report(1, 1)
        return {"calibrate": request.calibrate}

    monkeypatch.setattr(module, "stats_task", fake)
    status, out, err = run(capsys, str(tmp_path), "--memory", "16GB", "--json", *argv)
    assert status == 0, err
    assert json.loads(out) == {"calibrate": calibrate}
    request = seen["request"]
    assert (request.calibrate, request.threads, request.memory) == (calibrate, threads, 16 * 10**9)
    assert (request.scan.table, request.scan.resume, request.scan.data) == (
        None,
        False,
        str(tmp_path),
    )
