"""The model stage: alignn's own model built from the mirror, reconfigured, summarised and
run on graphs; the forward-pass rules (input, zero forces, penalty, ZBL) the loss shares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.model.build import MissingDGLError, build_model
    from alignn_nb.model.forward import Forward, model_input, run, zero_forces
    from alignn_nb.model.inputs import (
        ModelInputs,
        angle_rbf,
        edge_rbf,
        expand,
        model_inputs,
        rbf_centers,
        strongest_bin,
    )
    from alignn_nb.model.physics import (
        bond_penalty,
        envelope_penalty,
        num_atoms,
        penalty_in_readout,
        penalty_per_edge,
        readout_energy,
        short_bond_penalty,
    )
    from alignn_nb.model.prediction import Prediction, Quantity, predict
    from alignn_nb.model.reconfiguration import model_for, reconfigure
    from alignn_nb.model.summary import ModelSummary, model_summary

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
