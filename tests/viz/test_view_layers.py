"""The geometry the 3D view draws, checked against the graphs alignn-nb builds."""

from __future__ import annotations

import ase
import ase.build
import numpy as np
import pytest
from ase.data.colors import jmol_colors

from alignn_nb.config import ALIGNNAtomWiseConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.structures import example
from alignn_nb.viz import build_scene, layers, selection
from alignn_nb.viz.scene import _arc_points


@pytest.fixture(scope="module")
def si64():
    return build_graphs(example("Si64"))


@pytest.fixture(scope="module")
def si512():
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((4, 4, 4))
    atoms.rattle(stdev=0.05, seed=0)
    return build_graphs(atoms)


def test_full_scene_counts_text_and_layer_sizes(si64):
    scene = build_scene(si64)
    assert scene.counts.text == "showing 818 of 818 edges, 1024 of 1024 triplets"
    assert scene.focus is None and scene.notice == ""
    sizes = {layer.name: len(layer) for layer in scene.layers}
    backtracking = int(si64.triplets.backtracking.sum())
    assert backtracking == 256  # 64 atoms x 4 bonds within inner_cutoff
    assert sizes == {
        "cell": 12,
        "edges": 818,
        "triplets": 1024 - backtracking,
        "backtracking": backtracking,
        "image_atoms": scene.counts.image_atoms_shown,
        "lg_nodes": 818,
    }
    assert (
        scene.counts.shapes
        == sum(sizes.values())
        == selection.cost(si64, layers.ViewOptions(), None)
    )


def test_edges_run_from_atom_to_the_neighbours_periodic_image(si64):
    edges = build_scene(si64).layer("edges")
    atoms = si64.atoms
    np.testing.assert_allclose(edges.start, atoms.positions[si64.edges.src], atol=1e-5)
    image_position = atoms.positions[si64.edges.dst] + si64.edges.images @ atoms.cell.array
    np.testing.assert_allclose(edges.end, image_position, atol=1e-4)


def test_image_atoms_are_the_distinct_neighbour_images_outside_the_cell(si64):
    scene = build_scene(si64)
    expected = {
        (int(d), tuple(int(x) for x in image))
        for d, image in zip(si64.edges.dst, si64.edges.images, strict=True)
        if np.any(image)
    }
    spheres = scene.layer("image_atoms")
    assert len(spheres) == len(expected) == 131
    cell = si64.atoms.cell.array
    wanted = np.array([si64.atoms.positions[d] + np.array(i) @ cell for d, i in expected])
    gap = np.linalg.norm(spheres.start[:, None, :] - wanted[None, :, :], axis=2).min(axis=1)
    assert gap.max() < 1e-4
    assert spheres.opacity == layers.IMAGE_OPACITY


def test_line_graph_nodes_sit_at_bond_midpoints(si64):
    nodes = build_scene(si64).layer("lg_nodes")
    midpoints = si64.atoms.positions[si64.edges.src] + 0.5 * si64.edges.r
    np.testing.assert_allclose(nodes.start, midpoints, atol=1e-5)


def test_triplet_cylinders_obey_the_law_of_cosines_with_alignns_cosines(si64):
    trip = si64.triplets
    straight = np.flatnonzero(~trip.backtracking)
    lines = build_scene(si64).layer("triplets")
    r1 = np.linalg.norm(si64.edges.r[trip.e1[straight]], axis=1) / 2
    r2 = np.linalg.norm(si64.edges.r[trip.e2[straight]], axis=1) / 2
    drawn = np.linalg.norm(lines.end - lines.start, axis=1)
    from_cos = np.sqrt(r1**2 + r2**2 - 2 * r1 * r2 * trip.cos[straight])
    np.testing.assert_allclose(drawn, from_cos, atol=1e-4)
    centre = si64.atoms.positions[si64.edges.src[trip.e2[straight]]]
    np.testing.assert_allclose(lines.start, centre - si64.edges.r[trip.e1[straight]] / 2, atol=1e-5)


def test_backtracking_marks_sit_at_the_returning_bonds_midpoint(si64):
    trip = si64.triplets
    back = np.flatnonzero(trip.backtracking)
    marks = build_scene(si64).layer("backtracking")
    centre = si64.atoms.positions[si64.edges.src[trip.e2[back]]]
    np.testing.assert_allclose(marks.start, centre + si64.edges.r[trip.e2[back]] / 2, atol=1e-5)
    np.testing.assert_allclose(marks.color, np.tile(layers.BACKTRACKING_COLOR, (len(back), 1)))


def test_focus_shows_the_atoms_bonds_and_its_centred_triplets(si64):
    options = layers.ViewOptions(focus=5, removed=True)
    scene = build_scene(si64, options)
    candidates, kept, _ = si64.candidate_triplets([5])
    degree = int(np.count_nonzero(si64.edges.src == 5))
    assert degree == 13
    assert scene.counts.edges_shown == degree
    assert scene.counts.triplets_shown == int(kept.sum()) == 16
    assert scene.counts.removed == int((~kept).sum()) == 153
    left_out_back = int(candidates.backtracking[~kept].sum())
    assert scene.counts.removed_shown == 153 - left_out_back
    assert scene.counts.text == "showing 13 of 818 edges, 16 of 1024 triplets"
    assert np.allclose(scene.layer("edges").start, si64.atoms.positions[5], atol=1e-5)
    assert scene.layer("removed").opacity == layers.REMOVED_OPACITY


def test_inner_cutoff_colouring_matches_the_within_count(si64):
    scene = build_scene(si64, layers.ViewOptions(edge_colors="inner_cutoff"))
    colors = scene.layer("edges").color
    within = np.all(np.isclose(colors, layers.WITHIN_COLOR), axis=1)
    assert within.sum() == si64.stats["edges_within_inner_cutoff"] == 256
    labels = [label for label, _ in scene.legend.keys]
    assert labels[:2] == ["bond ≤ 3 Å", "bond > 3 Å"]
    assert scene.legend.edge_scale is None


def test_length_colouring_spans_the_colour_map_from_shortest_to_longest(si64):
    scene = build_scene(si64)
    colors = scene.layer("edges").color
    lengths = si64.edges.lengths
    table = layers._color_table(layers.EDGE_COLORMAP)
    np.testing.assert_allclose(colors[np.argmin(lengths)], table[0])
    np.testing.assert_allclose(colors[np.argmax(lengths)], table[-1])
    scale = scene.legend.edge_scale
    assert (scale.vmin, scale.vmax) == (float(lengths.min()), float(lengths.max()))


def test_legend_lists_elements_in_order_with_ngl_element_colours():
    legend = build_scene(build_graphs(example("NaCl"))).legend
    assert [s for s, _ in legend.elements] == ["Na", "Cl"]
    np.testing.assert_allclose(legend.elements[1][1], jmol_colors[17], atol=1e-6)
    assert "".join(f"{round(255 * c):02X}" for c in legend.elements[0][1]) == "AB5CF2"


def test_cos_colouring_and_arcs_follow_the_triplets(si64):
    options = layers.ViewOptions(focus=0, triplet_colors="cos", angles=True)
    scene = build_scene(si64, options)
    straight = scene.layer("triplets")
    arcs = scene.layer("angles")
    assert len(arcs) == layers.ARC_SEGMENTS * len(straight)
    assert scene.legend.triplet_scale.vmin == -1.0
    centre = si64.atoms.positions[0]
    ends = np.concatenate([arcs.start, arcs.end])
    distance = np.linalg.norm(ends - centre, axis=1)
    shortest = float(si64.edges.lengths[si64.edges.src == 0].min())
    assert distance.min() >= layers.ARC_RADIUS * shortest - 1e-4


def test_arc_of_a_straight_angle_is_finite_and_half_a_circle():
    a = np.array([[1.0, 0.0, 0.0]])
    points = _arc_points(np.zeros((1, 3)), a, -a, np.array([2.0]))
    assert np.all(np.isfinite(points))
    np.testing.assert_allclose(np.linalg.norm(points[0], axis=1), 2.0)
    np.testing.assert_allclose(points[0, 0], [2.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(points[0, -1], [-2.0, 0.0, 0.0], atol=1e-12)


def test_large_cell_focuses_on_atom_zero_within_the_budget(si512):
    options = layers.ViewOptions()
    needed = selection.cost(si512, options, None)
    assert needed > layers.DEFAULT_BUDGET
    scene = build_scene(si512, options)
    assert scene.focus == 0
    assert scene.counts.shapes <= layers.DEFAULT_BUDGET
    assert scene.notice == (
        f"drawing all 512 atoms needs {needed:,} shapes, over the budget of 20,000: pick an "
        "atom to focus on, raise budget or set allow_over_budget=True; showing atom 0"
    )


def test_over_budget_only_when_asked(si512):
    scene = build_scene(si512, layers.ViewOptions(allow_over_budget=True))
    assert scene.focus is None
    assert (
        scene.counts.shapes
        == selection.cost(si512, layers.ViewOptions(), None)
        > layers.DEFAULT_BUDGET
    )


def test_a_tiny_budget_cuts_layers_and_is_never_exceeded(si64):
    scene = build_scene(si64, layers.ViewOptions(focus=3, budget=30, removed=True))
    assert scene.counts.shapes == 30
    assert [layer.name for layer in scene.layers] == ["cell", "edges", "triplets"]
    assert scene.notice.endswith(
        "the budget of 30 shapes cut these layers: triplets, backtracking, image_atoms, "
        "lg_nodes, removed"
    )


def test_focus_outside_the_structure_is_refused(si64):
    with pytest.raises(
        ValueError, match=r"^focus = 64 is not an atom: the structure has atoms 0\.\.63$"
    ):
        build_scene(si64, layers.ViewOptions(focus=64))
    with pytest.raises(ValueError, match="over the budget of 10"):
        selection.check_focus(si64, layers.ViewOptions(focus=None, budget=10))


def test_lighten_edges_off_keeps_every_pair_and_removes_none():
    graphs = build_graphs(example("Si64"), ALIGNNAtomWiseConfig(lighten_edges=False))
    scene = build_scene(graphs, layers.ViewOptions(focus=5, removed=True))
    incoming = int(np.count_nonzero(graphs.edges.dst == 5))
    outgoing = int(np.count_nonzero(graphs.edges.src == 5))
    assert scene.counts.triplets_shown == incoming * outgoing == 169
    assert scene.counts.removed == 0 and len(scene.layer("removed")) == 0


def test_cell_segments_are_the_twelve_cell_edges_or_none():
    cubic = selection.cell_segments(np.eye(3) * 2.0, np.array([True] * 3))
    lengths = np.linalg.norm(cubic[:, 1] - cubic[:, 0], axis=1)
    assert cubic.shape == (12, 2, 3) and np.allclose(lengths, 2.0)
    assert selection.cell_segments(np.zeros((3, 3)), np.array([False] * 3)).shape == (0, 2, 3)


def test_buffer_kwargs_are_flat_rounded_lists(si64):
    layer = build_scene(si64, layers.ViewOptions(focus=0)).layer("edges")
    kwargs = layer.buffer_kwargs()
    assert sorted(kwargs) == ["color", "color2", "position1", "position2", "radius"]
    assert len(kwargs["position1"]) == 3 * len(layer) == len(kwargs["color2"])
    assert kwargs["radius"] == [layers.EDGE_RADIUS] * len(layer)
    assert kwargs["position1"][:3] == np.round(si64.atoms.positions[0], 3).tolist()
