"""What the model reads: alignn's own RBF modules and the tensors entering its first layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from alignn.models.utils import RBFExpansion

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.model import (
    angle_rbf,
    build_model,
    edge_rbf,
    expand,
    model_inputs,
    rbf_centers,
    strongest_bin,
)
from alignn_nb.structures import example

PURE = "alignn_atomwise_pure"
FLAVOURS = [pytest.param("alignn_atomwise", marks=pytest.mark.dgl), PURE]


@pytest.fixture(scope="module")
def si4():
    """Si with its 4 nearest neighbours: 2 atoms, 8 bonds, 32 triplets."""
    return build_graphs(example("Si"), ALIGNNAtomWiseConfig(), GraphConfig(max_neighbors=4))


@pytest.mark.parametrize("name", FLAVOURS)
@pytest.mark.parametrize(("edges", "triplets"), [(80, 40), (16, 7)])
def test_the_expansions_are_the_models_own_over_alignns_ranges(name, edges, triplets):
    cfg = ALIGNNAtomWiseConfig(
        name=name, edge_input_features=edges, triplet_input_features=triplets
    )
    model = build_model(cfg, seed=0)
    bonds, angles = edge_rbf(model), angle_rbf(model)
    assert isinstance(bonds, RBFExpansion) and bonds is model.edge_embedding[0]
    assert (bonds.vmin, bonds.vmax, bonds.bins) == (0, 8.0, edges)
    assert (angles.vmin, angles.vmax, angles.bins) == (-1, 1.0, triplets)
    assert rbf_centers(bonds) == pytest.approx(np.linspace(0, 8, edges), abs=1e-6)
    values = [0.5, 2.352, 7.9]
    expected = RBFExpansion(vmin=0, vmax=8.0, bins=edges)(torch.tensor(values)).numpy()
    assert expand(bonds, values) == pytest.approx(expected, abs=1e-6)


def test_the_strongest_bins_of_a_silicon_bond_and_angle():
    model = build_model(ALIGNNAtomWiseConfig(name=PURE), seed=0)
    assert strongest_bin(edge_rbf(model), 2.352) == 23  # centres 8/79 Å apart
    assert strongest_bin(angle_rbf(model), -1 / 3) == 13  # centres 2/39 apart
    assert expand(edge_rbf(model), 2.352).shape == (1, 80)


@pytest.mark.parametrize("name", FLAVOURS)
def test_the_first_alignn_layer_reads_one_row_per_atom_bond_and_triplet(name, si4):
    model = build_model(ALIGNNAtomWiseConfig(name=name, hidden_features=32), seed=0)
    found = model_inputs(model, si4)
    assert found.layer == "alignn_layers[0]"
    assert found.shapes() == {
        'g.ndata["atom_features"]': (2, 1),
        'g.edata["r"]': (8, 3),
        'lg.edata["h"]': (32,),
        "edge RBF": (8, 80),
        "angle RBF": (32, 40),
        "atom embedding": (2, 32),
        "alignn_layers[0] x": (2, 32),
        "alignn_layers[0] y": (8, 32),
        "alignn_layers[0] z": (32, 32),
    }


def test_cgcnn_features_are_92_wide_and_a_gcn_only_model_gets_no_angles(si4):
    graphs = build_graphs(
        example("Si"), ALIGNNAtomWiseConfig(), GraphConfig(max_neighbors=4, atom_features="cgcnn")
    )
    cfg = ALIGNNAtomWiseConfig(name=PURE, atom_input_features=92, alignn_layers=0)
    found = model_inputs(build_model(cfg, seed=0), graphs).shapes()
    assert found['g.ndata["atom_features"]'] == (2, 92)
    assert found["gcn_layers[0] x"] == (2, 64) and found["gcn_layers[0] y"] == (8, 64)
    assert not [name for name in found if name.startswith("alignn_layers")]


def test_a_model_without_layers_reports_no_layer_inputs(si4):
    cfg = ALIGNNAtomWiseConfig(name=PURE, alignn_layers=0, gcn_layers=0)
    found = model_inputs(build_model(cfg, seed=0), si4)
    assert found.layer == "" and found.layer_inputs == ()
    assert found.shapes()["edge RBF"] == (8, 80)
