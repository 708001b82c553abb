"""The model stage: alignn's own model built from the mirror, reconfigured, summarised and
run on graphs; the forward-pass rules (input, zero forces, penalty, ZBL) the loss shares.
"""

from __future__ import annotations

from alignn_nb.lazy import lazy_names

_LAZY = {
    "build_model": "alignn_nb.model.build",
    "MissingDGLError": "alignn_nb.model.build",
    "reconfigure": "alignn_nb.model.reconfigure",
    "model_summary": "alignn_nb.model.summary",
    "ModelSummary": "alignn_nb.model.summary",
    "predict": "alignn_nb.model.prediction",
    "Prediction": "alignn_nb.model.prediction",
    "Quantity": "alignn_nb.model.prediction",
    "model_input": "alignn_nb.model.forward",
    "run": "alignn_nb.model.forward",
    "zero_forces": "alignn_nb.model.forward",
    "Forward": "alignn_nb.model.forward",
    "ModelInputs": "alignn_nb.model.inputs",
    "model_inputs": "alignn_nb.model.inputs",
    "edge_rbf": "alignn_nb.model.inputs",
    "angle_rbf": "alignn_nb.model.inputs",
    "expand": "alignn_nb.model.inputs",
    "rbf_centers": "alignn_nb.model.inputs",
    "strongest_bin": "alignn_nb.model.inputs",
    "bond_penalty": "alignn_nb.model.physics",
    "short_bond_penalty": "alignn_nb.model.physics",
    "penalty_per_edge": "alignn_nb.model.physics",
}
"""Public names and the module each lives in, imported on first use (they need torch)."""

__all__ = [
    "Forward",
    "MissingDGLError",
    "ModelInputs",
    "ModelSummary",
    "Prediction",
    "Quantity",
    "angle_rbf",
    "bond_penalty",
    "build_model",
    "edge_rbf",
    "expand",
    "model_input",
    "model_inputs",
    "model_summary",
    "penalty_per_edge",
    "predict",
    "rbf_centers",
    "reconfigure",
    "run",
    "short_bond_penalty",
    "strongest_bin",
    "zero_forces",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
