"""The advice's max_neighbors proposal where the config sets no limit (max_neighbors None)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignn_nb.app.dataset_advice import NO_LIMIT_NOTE, RADIUS_NOTE, changes
from alignn_nb.app.dataset_stats import dataset_stats
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.config.alignn_io import load_alignn_config
from tests.conftest import EXAMPLE_DATA, REPO

MLEARN_SI = REPO / "tests/data/alignn_example_configs/sample_data_ff/mlearn_data/Si/config_dgl.json"


def _neighbors(graph: GraphConfig):
    (change,) = [c for c in changes(ALIGNNAtomWiseConfig(), graph, 4) if c.field == "max_neighbors"]
    return change


def test_a_limit_is_cut_to_two_thirds() -> None:
    change = _neighbors(GraphConfig(max_neighbors=12))
    assert (change.value, change.graph.max_neighbors, change.note) == (8, 8, None)


@pytest.mark.parametrize(
    ("strategy", "note"), [("pure_torch", NO_LIMIT_NOTE), ("radius_graph", RADIUS_NOTE)]
)
def test_no_limit_proposes_alignns_default(strategy: str, note: str) -> None:
    graph = GraphConfig(max_neighbors=None, neighbor_strategy=strategy)
    change = _neighbors(graph)
    assert (change.value, change.graph.max_neighbors, change.note) == (12, 12, note)
    assert graph.max_neighbors is None


def test_dataset_stats_advises_on_alignns_mlearn_config(tmp_path: Path) -> None:
    loaded = load_alignn_config(MLEARN_SI)
    assert loaded.graph.max_neighbors is None
    entries = json.loads((EXAMPLE_DATA / "mlearn_Si_id_prop.json").read_text())[:3]
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps(entries))
    stats = dataset_stats(path, loaded.cfg, loaded.graph, batch_size=2)
    advice = {item["field"]: item for item in stats["advice"]}
    assert len(stats["advice"]) == 7
    assert (advice["max_neighbors"]["value"], advice["max_neighbors"]["note"]) == (12, RADIUS_NOTE)
    assert advice["max_neighbors"]["graph_memory_bytes"] > 0
