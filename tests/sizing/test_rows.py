"""structure_at: a counted structure read back by its place in the dataset, past skipped
entries and repeated ids (the JARVIS sample repeats ids), across shards."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets.stream import open_source
from alignn_nb.datasets.synthetic import write_synthetic_id_prop
from alignn_nb.sizing.rows import entries_at, structure_at
from alignn_nb.sizing.scan import scan
from alignn_nb.structures import load_structure
from tests.support.repo import EXAMPLE_DATA


def test_positions_lead_to_their_entries_past_skipped_and_repeated_ids(tmp_path):
    sample = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[:4]
    overlapping = copy.deepcopy(sample[2])
    overlapping["jid"] = "twin"
    overlapping["atoms"]["coords"][1] = overlapping["atoms"]["coords"][0]
    twin = {**sample[3], "jid": "twin"}
    entries = [sample[0], {"jid": "empty"}, twin, overlapping, sample[1]]
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps(entries))
    result = scan(path, ALIGNNAtomWiseConfig(), GraphConfig())
    assert [r["id"] for r in result.rows] == ["15607", "twin", sample[1]["jid"]]
    assert [s.id for s in result.skipped] == ["empty", "twin"]
    positions = result.tally.columns()["position"].tolist()
    assert positions == [0, 2, 4]
    for position, entry in zip(positions, [sample[0], twin, sample[1]], strict=True):
        atoms = structure_at(path, position, entry["jid"])
        want = load_structure(entry["atoms"])
        assert atoms.get_chemical_formula() == want.get_chemical_formula()
        assert np.allclose(atoms.positions, want.positions, atol=1e-6)
    with pytest.raises(ValueError, match=r"^id_prop.json changed since it was scanned"):
        structure_at(path, 5)
    with pytest.raises(ValueError, match=r"^id_prop.json changed since it was scanned"):
        structure_at(path, 0, "another id")


def test_entries_at_read_only_the_wanted_places_across_shards(tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    write_synthetic_id_prop(folder / "a.json.gz", 700, seed=2)
    write_synthetic_id_prop(folder / "b.json", 500, seed=2, start=700)
    found = dict(entries_at(open_source(folder), [1199, 3, 699, 700, 5000]))
    assert {p: e.id for p, e in found.items()} == {
        3: "syn-3",
        699: "syn-699",
        700: "syn-700",
        1199: "syn-1199",
    }
