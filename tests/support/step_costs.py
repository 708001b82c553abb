"""Made-up step costs with round coefficients, for arithmetic checked by hand: `COST` for a
64-wide model and `HALF` for the same model 32 wide."""

from __future__ import annotations

from alignn_nb.training import StepCost

COST = StepCost(
    hidden_features=64,
    triplet_widths=(64, 64),
    edge_width=80,
    live=(4.0e6, 2.0e4, 2.5e4, 1.2e4),
    heap_factor=1.6,
    time_heap=(0.01, 2e-4, 5e-5, 4e-5),
    time_mmap=(0.02, 2e-4, 1e-4, 9e-5),
    threads=1,
    process_bytes=800_000_000,
    seconds=9.0,
)
HALF = StepCost(**{**COST.to_dict(), "hidden_features": 32, "live": (3e6, 1e4, 1.5e4, 7e3)})
