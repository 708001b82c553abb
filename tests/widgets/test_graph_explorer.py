"""GraphExplorer: its controls drive a graph-only live session, the view and the count table."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.structures import example
from alignn_nb.widgets import GraphExplorer, Pictured
from alignn_nb.widgets.pictured import WIDGET_VIEW


@pytest.fixture
def explorer():
    made = GraphExplorer("Si")
    made.wait()
    yield made
    made.session.close()


def move(explorer: GraphExplorer, name: str, value) -> None:
    explorer.controls[name].value = value
    explorer.wait()


def test_it_starts_on_alignns_own_graph_with_a_table_and_no_model(explorer):
    expected = build_graphs(example("Si"), ALIGNNAtomWiseConfig(lighten_edges=False)).stats
    assert explorer.config.lighten_edges is False
    assert (explorer.counts["edges"], explorer.counts["triplets"]) == (56, 1520)
    assert explorer.counts["triplets"] == expected["triplets"]
    assert explorer.session.result.model is None
    assert explorer.view.graphs is explorer.session.result.graphs
    assert explorer.view.focus == 0
    table = explorer.table_html.value
    assert (
        "<td style='padding:2px 10px;border-bottom:1px solid #ddd;text-align:right'>1,520</td>"
        in table
    )
    assert table.count("<li>") == len(expected["notes"]) == 4
    assert explorer.status.startswith("graph ")


def test_sliders_change_the_graph_and_the_counts(explorer):
    move(explorer, "max_neighbors", 4)
    assert explorer.graph.max_neighbors == 4
    assert (explorer.counts["edges"], explorer.counts["triplets"]) == (8, 32)
    assert explorer.counts["notes"] == []
    assert ">32</td>" in explorer.table_html.value
    move(explorer, "lighten_edges", True)
    assert explorer.controls["inner_cutoff"].disabled is False
    move(explorer, "inner_cutoff", 2.0)
    assert explorer.config.inner_cutoff == 2.0
    assert explorer.counts["triplets"] == 0
    assert explorer.view.counts["triplets"] == 0


def test_the_strategy_picker_enables_the_fields_that_strategy_reads(explorer):
    assert explorer.controls["three_body_cutoff"].disabled is True
    move(explorer, "neighbor_strategy", "radius_graph")
    assert explorer.controls["max_neighbors"].disabled is True
    move(explorer, "cutoff", 3.0)
    assert (explorer.counts["edges"], explorer.counts["triplets"]) == (8, 32)
    move(explorer, "neighbor_strategy", "pure_torch")
    assert explorer.controls["three_body_cutoff"].disabled is False
    assert explorer.controls["max_neighbors"].disabled is False


def test_a_setting_alignn_refuses_is_named_and_the_last_graph_stays(explorer):
    move(explorer, "neighbor_strategy", "pure_torch")
    move(explorer, "cutoff", 4.0)
    before = dict(explorer.counts)
    shown = explorer.view.graphs
    move(explorer, "three_body_cutoff", 6.0)
    assert explorer.status == (
        "graph failed: three_body_cutoff (6 Å) must be <= cutoff (4 Å): alignn's pure_torch "
        "builder refuses a triplet cutoff beyond the bond cutoff"
    )
    assert "color:#b00020" in explorer.status_html.value
    assert explorer.counts == before and explorer.view.graphs is shown
    move(explorer, "three_body_cutoff", 3.0)
    assert explorer.status.startswith("graph ")
    assert (explorer.counts["edges"], explorer.counts["triplets"]) == (24, 32)  # as alignn


def test_a_refused_field_value_is_named_and_the_config_keeps_its_value(explorer):
    move(explorer, "neighbor_strategy", "k-nearest")
    explorer._on_control(explorer.graph, "cutoff", {"new": -1.0})
    assert explorer.status.startswith("cutoff refused: ")
    assert explorer.graph.cutoff == 8.0


def test_another_structure_is_built_and_shown(explorer):
    move(explorer, "structure", "Cu")
    assert explorer.session.label == "Cu" and explorer.counts["atoms"] == 1
    assert repr(explorer) == "GraphExplorer(Cu, k-nearest: 24 edges, 552 triplets)"


def test_pictured_adds_a_png_to_the_widgets_bundle(explorer):
    shown = Pictured(explorer)
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"text/plain", WIDGET_VIEW, "image/png"}
    assert bundle[WIDGET_VIEW]["model_id"] == explorer.model_id
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert len(shown.png) < 100_000


def test_pictured_needs_a_picture_for_a_widget_that_draws_none():
    with pytest.raises(ValueError, match="IntSlider has no png\\(\\): pass the picture"):
        Pictured(widgets.IntSlider())
    with pytest.raises(ValueError, match="png must be the bytes of a PNG image"):
        Pictured(widgets.IntSlider(), b"GIF89a")


def test_a_custom_graph_config_is_kept(explorer):
    custom = GraphExplorer("Si", graph=GraphConfig(max_neighbors=4))
    custom.wait()
    assert custom.controls["max_neighbors"].value == 4
    assert custom.counts["triplets"] == 32
    custom.session.close()
