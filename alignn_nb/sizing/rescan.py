"""Which edits change a dataset scan's result (`alignn_nb.sizing.stats`).

The graph counts follow the graph options and the model fields tagged as graph inputs;
the memory alignn holds per atom follows `MEMORY_FIELDS`; the step estimates, when a
result has them, also follow the model's shape.
"""

from __future__ import annotations

from alignn_nb.config import GRAPH, ALIGNNAtomWiseConfig

MEMORY_FIELDS = ("calculate_gradient", "stresswise_weight")
"""Model-block fields that change what alignn holds per atom (forces, stress targets)."""


def rescan_fields() -> tuple[str, ...]:
    """The model-block fields whose change rescans: those tagged as graph inputs, and memory."""
    cls = ALIGNNAtomWiseConfig
    tagged = [n for n in cls.field_names() if GRAPH in cls.field_trait(n).metadata["effect"]]
    return (*tagged, *MEMORY_FIELDS)


def has_estimates(stats: dict | None) -> bool:
    """Whether ``stats`` carries step estimates, which the model's shape changes."""
    if not stats:
        return False
    batch = stats.get("heaviest_batch") or {}
    found = (batch.get("peak_memory_bytes"), batch.get("step_seconds"), stats.get("epoch_seconds"))
    return any(value is not None for value in found)
