"""alignn's training loss, term by term: a dataset's graphs batched as alignn's loader
batches them, each term's criterion and weight, the breakdown of a model's loss on a
dataset (`loss_terms`, `reweight`), and how the weighted terms respond to one loss
weight (`weight_response`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.loss.batches import Batch, check_inputs, forward, make_batches
    from alignn_nb.loss.breakdown import (
        LossBreakdown,
        file_energy_note,
        fresh_breakdown,
        loss_terms,
        reweight,
    )
    from alignn_nb.loss.response import WeightResponse, weight_response
    from alignn_nb.loss.terms import (
        TERMS,
        WEIGHT_FIELDS,
        WEIGHTS,
        applies,
        energy_unit,
        raw_terms,
        untrainable,
        weighted_loss,
    )

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
