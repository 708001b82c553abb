"""Static export: matplotlib draws the same layers the 3D view sends to nglview."""

from __future__ import annotations

import io

import numpy as np
import pytest
from mpl_toolkits.mplot3d.art3d import Line3DCollection, Path3DCollection
from PIL import Image

from alignn_nb.graphs import build_graphs
from alignn_nb.structures import example
from alignn_nb.viz import build_scene, layers, render


@pytest.fixture(scope="module")
def si64():
    return build_graphs(example("Si64"))


def _shapes(fig) -> tuple[int, int]:
    """(line segments, scatter points) on the figure's 3D axes, once drawn."""
    fig.savefig(io.BytesIO(), format="png", dpi=20)
    ax = fig.axes[0]
    lines = sum(len(c.get_segments()) for c in ax.collections if isinstance(c, Line3DCollection))
    points = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, Path3DCollection))
    return lines, points


def test_figure_draws_every_layer_shape_and_the_atoms(si64):
    options = layers.ViewOptions(focus=3, removed=True, angles=True)
    scene = build_scene(si64, options)
    fig = render.figure(si64, options)
    cylinders = sum(len(la) for la in scene.layers if la.kind == "cylinder")
    spheres = sum(len(la) for la in scene.layers if la.kind == "sphere")
    assert _shapes(fig) == (cylinders, spheres + 64)
    assert np.count_nonzero(si64.edges.src == 3) == 14
    assert fig.axes[0].get_title() == "showing 14 of 818 edges, 16 of 1024 triplets (atom 3)"


def test_colour_bars_follow_the_colourings(si64):
    assert len(render.figure(si64, layers.ViewOptions(focus=0)).axes) == 2
    plain = layers.ViewOptions(focus=0, edge_colors="inner_cutoff")
    assert len(render.figure(si64, plain).axes) == 1
    both = layers.ViewOptions(focus=0, triplet_colors="cos")
    labels = [ax.get_ylabel() for ax in render.figure(si64, both).axes[1:]]
    assert labels == ["bond length (Å)", "bond-angle cosine"]


def test_to_png_writes_a_picture_of_the_requested_size(si64, tmp_path):
    path = render.to_png(si64, tmp_path / "si64.png", dpi=50, size=(4.0, 3.0))
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape == (150, 200, 3)
    not_white = np.any(image < 245, axis=2).mean()
    assert 0.05 < not_white < 0.9


def test_a_molecule_without_a_cell_renders():
    from ase.build import molecule

    graphs = build_graphs(molecule("H2O"))
    fig = render.figure(graphs)
    assert build_scene(graphs).layer("cell").start.shape == (0, 3)
    assert fig.axes[0].get_title().startswith("showing ")
