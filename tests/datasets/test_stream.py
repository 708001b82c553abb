"""Datasets read entry by entry: shards, gzip, globs, and the tokens ijson refuses."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.io import write

from alignn_nb.datasets import load_dataset
from alignn_nb.datasets.files import open_dataset
from alignn_nb.datasets.raw_entries import json_item, split_json_array
from alignn_nb.datasets.stream import iter_entries, json_items, open_source, shard_of
from alignn_nb.datasets.synthetic import synthetic_entries, write_synthetic_id_prop
from tests.support.repo import EXAMPLE_DATA


def _ids(source) -> list[str]:
    return [item.id for item in iter_entries(open_source(source))]


def test_shards_gzip_and_globs_list_the_same_entries_as_one_file(tmp_path: Path) -> None:
    whole = write_synthetic_id_prop(tmp_path / "whole.json", 30, seed=3)
    shards = tmp_path / "shards"
    shards.mkdir()
    write_synthetic_id_prop(shards / "part-0.json", 12, seed=3)
    write_synthetic_id_prop(shards / "part-1.json.gz", 18, seed=3, start=12)
    (shards / "README.txt").write_text("not a shard")
    expected = [f"syn-{i}" for i in range(30)]
    assert _ids(whole) == expected
    assert _ids(shards) == expected
    assert _ids(str(shards / "part-*")) == expected
    found = open_source(shards)
    assert (found.name, found.layout) == ("shards", "2 shards (json)")
    assert found.notes == (
        "2 shards read in name order: part-0.json … part-1.json.gz",
        "1 other files in the folder were not read",
    )
    first = next(iter(iter_entries(open_source(shards))))
    assert first.payload == next(synthetic_entries(1, seed=3))["atoms"]
    with pytest.raises(FileNotFoundError, match=r"^no dataset file matches .*/nothing-\*$"):
        open_source(str(tmp_path / "nothing-*"))


def test_json_is_read_as_pythons_json_reads_it(tmp_path: Path) -> None:
    path = EXAMPLE_DATA / "mlearn_Si_id_prop.json"
    assert list(json_items(shard_of(path))) == json.loads(path.read_text())
    zipped = tmp_path / "id_prop.json.gz"
    with gzip.open(zipped, "wb") as handle:
        handle.write(path.read_bytes())
    assert list(json_items(shard_of(zipped))) == json.loads(path.read_text())


def test_a_nan_fails_its_own_entry_only(tmp_path: Path) -> None:
    entries = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[:4]
    entries[1]["atoms"]["coords"][0][0] = float("nan")
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps(entries))  # writes the token NaN, which ijson refuses
    items = list(json_items(shard_of(path)))
    assert len(items) == 4 and np.isnan(items[1]["atoms"]["coords"][0][0])
    assert items[2] == entries[2]
    dataset = load_dataset(path, energy="total")
    assert [s.id for s in dataset.skipped] == [entries[1]["jid"]]
    assert dataset.skipped[0].reason == "coords contains NaN or infinity"
    assert len(dataset) == 3


def test_raw_elements_are_the_entries_bytes(tmp_path: Path) -> None:
    path = EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json"
    with open(path, "rb") as handle:
        pieces = list(split_json_array(handle, path.name, block=4096))
    assert [json_item(raw) for _, raw in pieces] == json.loads(path.read_text())
    data = path.read_bytes()
    assert all(data[offset : offset + len(raw)] == raw for offset, raw in pieces)
    text = b' [ 1 , "a,]\\\\" , {"b": [1, "]"]}, "q\\"]" ] '
    with open(tmp_path / "odd.json", "wb") as handle:
        handle.write(text)
    with open(tmp_path / "odd.json", "rb") as handle:
        assert [raw for _, raw in split_json_array(handle, "odd.json", block=3)] == [
            b"1", b'"a,]\\\\"', b'{"b": [1, "]"]}', b'"q\\"]"'
        ]  # fmt: skip
    for bad, reason in (
        (b"[1, 2", "odd.json is not valid JSON: the list is never closed"),
        (b"[1] 2", "odd.json is not valid JSON: more follows the list of entries"),
        (b'{"a": 1}', "odd.json: expected a JSON list of entries like alignn's id_prop.json"),
    ):
        (tmp_path / "odd.json").write_bytes(bad)
        with open(tmp_path / "odd.json", "rb") as handle, pytest.raises(ValueError) as refused:
            list(split_json_array(handle, "odd.json"))
        assert str(refused.value).startswith(reason)


def test_extxyz_shards_gzip_compressed(tmp_path: Path) -> None:
    frames = [bulk("Cu", "fcc", a=3.6 + 0.01 * i).repeat((1, 1, 2)) for i in range(5)]
    for index, atoms in enumerate(frames):
        atoms.info["id"] = f"cu-{index}"
    write(tmp_path / "frames.extxyz", frames, format="extxyz")
    with (
        open(tmp_path / "frames.extxyz", "rb") as plain,
        gzip.open(tmp_path / "f.xyz.gz", "wb") as z,
    ):
        shutil.copyfileobj(plain, z)
    for name in ("frames.extxyz", "f.xyz.gz"):
        listed = open_dataset(tmp_path / name)
        assert [e.id for e in listed.entries] == [f"cu-{i}" for i in range(5)]
        assert np.allclose(listed.entries[3].payload[2], frames[3].cell.array)
