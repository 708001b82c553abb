"""Pictures of what the model reads: bars on alignn's own bins, features, a shapes table."""

from __future__ import annotations

import numpy as np
import pytest

from alignn_nb.config import PURE_MODEL, ALIGNNAtomWiseConfig
from alignn_nb.model import ModelInputs, angle_rbf, build_model, edge_rbf
from alignn_nb.model.inputs import Tensor
from alignn_nb.viz import atom_features_figure, rbf_figure, shapes_html


@pytest.fixture(scope="module")
def model():
    return build_model(ALIGNNAtomWiseConfig(name=PURE_MODEL, edge_input_features=16), seed=0)


def test_one_bar_per_bin_and_the_bins_beyond_the_cutoff_shaded(model):
    ax = rbf_figure(edge_rbf(model), 3.84, reach=4.0).axes[0]
    assert len(ax.patches) == 16 + 1  # the bars and the shaded band
    heights = np.array([bar.get_height() for bar in ax.patches[1:]])
    assert int(np.argmax(heights)) == 7  # centres 8/15 Å apart: 3.84 / 0.533 = 7.2
    assert ax.get_title() == (
        "bond length 3.84 Å on 16 bins from 0 to 8 Å: strongest bin 7 (centre 3.73)"
    )


def test_a_cosine_has_no_unit_and_no_band(model):
    ax = rbf_figure(angle_rbf(model), -1 / 3, quantity="bond-angle cosine", unit="").axes[0]
    assert len(ax.patches) == 40
    assert ax.get_title().startswith("bond-angle cosine -0.3333 on 40 bins from -1 to 1: ")


def test_atom_features_one_row_per_element():
    fig = atom_features_figure(["Na", "Cl"], np.zeros((2, 92)), "cgcnn")
    ax = fig.axes[0]
    assert ax.get_title() == "atom_features='cgcnn': 92 numbers per atom"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Na", "Cl"]


def test_the_shapes_table_is_escaped_and_names_a_missing_layer():
    inputs = ModelInputs((Tensor("<g>", (2, 1), "a & b"),), (), "", ())
    shown = shapes_html(inputs)
    assert "<code>&lt;g&gt;</code>" in shown and "a &amp; b" in shown
    assert "entering no layer (the model has none)" in shown
