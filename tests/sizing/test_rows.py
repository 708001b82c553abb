"""counted_structure: a per_structure row leads back to its own entry past skipped entries,
including a skipped entry that shares its id with a counted one (the JARVIS sample repeats ids)."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.sizing import counted_structure, dataset_stats
from alignn_nb.structures import load_structure
from tests.support.repo import EXAMPLE_DATA


def test_rows_lead_to_their_entries_past_skipped_and_repeated_ids(tmp_path):
    sample = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[:4]
    overlapping = copy.deepcopy(sample[2])
    overlapping["jid"] = "twin"
    overlapping["atoms"]["coords"][1] = overlapping["atoms"]["coords"][0]
    twin = {**sample[3], "jid": "twin"}
    entries = [sample[0], {"jid": "empty"}, twin, overlapping, sample[1]]
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps(entries))
    stats = dataset_stats(path, ALIGNNAtomWiseConfig(), GraphConfig())
    assert [r["id"] for r in stats["per_structure"]] == ["15607", "twin", sample[1]["jid"]]
    assert [s["id"] for s in stats["skipped"]] == ["empty", "twin"]
    for row, entry in enumerate([sample[0], twin, sample[1]]):
        atoms = counted_structure(path, stats, row)
        want = load_structure(entry["atoms"])
        assert atoms.get_chemical_formula() == want.get_chemical_formula()
        assert np.allclose(atoms.positions, want.positions, atol=1e-6)
    with pytest.raises(ValueError, match=r"^no structure 3: the scan counted 3$"):
        counted_structure(path, stats, 3)
    path.write_text(json.dumps([sample[0]]))
    with pytest.raises(ValueError, match=r"^id_prop.json changed since it was scanned"):
        counted_structure(path, stats, 2)
