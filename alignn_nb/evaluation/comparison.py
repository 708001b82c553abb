"""Two trained runs side by side: what their configs change and how their errors compare.

`compare_runs` takes two `RunFolder` with their evaluations on the same structures and
returns a `RunComparison`: the config diff (model and graph fields through
`alignn_nb.config.diff.config_diff`, then the other training keys of alignn's config.json;
``output_dir`` is left out, as it differs between any two runs), both runs' MAEs and both
loss histories.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alignn_nb.config import DiffRow, config_diff
from alignn_nb.evaluation.evaluation import Evaluation
from alignn_nb.evaluation.history import AlignnHistory
from alignn_nb.evaluation.run_folder import RunFolder

IGNORED_KEYS = ("output_dir",)
"""Training keys left out of the diff: they differ between any two runs."""
MAES = (("energy", "eV/atom"), ("force", "eV/Å"), ("stress", "GPa"))
"""The overall errors compared, with their units."""


@dataclass(frozen=True, eq=False)
class RunComparison:
    """Run ``names`` (first, second), ``diff`` rows (reference = the first run), each run's
    MAEs by quantity (None where it has none) and each run's history (None where missing)."""

    names: tuple[str, str]
    diff: tuple[DiffRow, ...]
    maes: Mapping[str, tuple[float | None, float | None]]
    histories: tuple[AlignnHistory | None, AlignnHistory | None]
    split: str

    def __repr__(self) -> str:
        return f"RunComparison({self.names[0]!r} vs {self.names[1]!r}, {len(self.diff)} changes)"


def training_diff(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[DiffRow]:
    """Training keys (besides `IGNORED_KEYS`) whose values differ, in the first run's key
    order then the second's new keys; a key missing from one side is shown as None."""
    keys = [k for k in first if k not in IGNORED_KEYS]
    keys += [k for k in second if k not in first and k not in IGNORED_KEYS]
    return [
        DiffRow("training", k, first.get(k), second.get(k))
        for k in keys
        if first.get(k) != second.get(k)
    ]


def compare_runs(
    first: tuple[RunFolder, Evaluation], second: tuple[RunFolder, Evaluation]
) -> RunComparison:
    """The `RunComparison` of two runs, each given with its evaluation.

    Raises:
        ValueError: when the evaluations are of different structures (their MAEs would not
            compare).
    """
    (run_a, eval_a), (run_b, eval_b) = first, second
    ids_a, ids_b = [s.id for s in eval_a.structures], [s.id for s in eval_b.structures]
    if ids_a != ids_b:
        raise ValueError(
            f"{run_a.name} and {run_b.name} were evaluated on different structures "
            f"({len(ids_a)} and {len(ids_b)}): evaluate both on the same data and split"
        )
    diff = config_diff(run_b.cfg, run_b.graph, run_a.cfg.to_dict(), run_a.graph.to_dict())
    diff += training_diff(run_a.training or {}, run_b.training or {})
    maes = {q: (getattr(eval_a, f"{q}_mae"), getattr(eval_b, f"{q}_mae")) for q, _ in MAES}
    return RunComparison(
        (run_a.name, run_b.name), tuple(diff), maes, (run_a.history, run_b.history), eval_a.split
    )
