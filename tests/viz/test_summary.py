"""GraphSummary: counts as a table and alignn's notes as a list, escaped, with a text repr."""

from __future__ import annotations

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.structures import example
from alignn_nb.viz import GraphSummary, notes_html

CONFIG = ALIGNNAtomWiseConfig(lighten_edges=False)


def test_one_row_per_graph_with_its_counts_and_notes():
    four = build_graphs(example("Si"), CONFIG, GraphConfig(max_neighbors=4))
    radius = build_graphs(
        example("Si"), CONFIG, GraphConfig(neighbor_strategy="radius_graph", cutoff=3.0)
    )
    summary = GraphSummary({"k-nearest": four, "radius_graph": radius})
    shown = summary._repr_html_()
    assert shown.count("<tr>") == 3 and ">k-nearest</th>" in shown and ">32</td>" in shown
    assert shown.count("<li>") == len(four.stats["notes"]) + len(radius.stats["notes"])
    assert repr(summary).splitlines()[0] == (
        "k-nearest: atoms 2, edges 8, triplets 32, bonds per atom 4, cutoff used 8 Å"
    )


def test_notes_are_escaped_and_none_make_no_list():
    assert notes_html([]) == ""
    shown = notes_html(["a <b>bold</b> & claim"], "notes <x>")
    assert "a &lt;b&gt;bold&lt;/b&gt; &amp; claim" in shown and "notes &lt;x&gt;" in shown
