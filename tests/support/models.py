"""Small model configs the tests train in a fraction of a second."""

from __future__ import annotations

TINY_PURE_MODEL = {
    "name": "alignn_atomwise_pure",
    "conv_type": "n_alignn",
    "num_heads": 2,
    "alignn_layers": 1,
    "gcn_layers": 1,
    "hidden_features": 8,
    "embedding_features": 8,
    "edge_input_features": 8,
    "triplet_input_features": 8,
}
"""A tiny pure-torch model block for sweep tests: its trials train in a fraction of a
second, and with 2 attention heads a hidden_features of 5 cannot be split (a failing trial)."""
