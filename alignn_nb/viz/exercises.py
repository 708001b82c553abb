"""Three short exercises on graph construction, each checked against alignn's own rules.

`check(name, answer)` works the true answer out with alignn-nb's builder (which gives
alignn's graphs) and alignn's model modules, and returns a `Verdict` that says right or
wrong; a notebook displays it as a green or red line. A wrong answer gets a hint, not the
answer.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """Whether an answer was right, and a sentence saying why."""

    exercise: str
    correct: bool
    message: str

    def _repr_html_(self) -> str:
        colour, mark = ("#1b7f3b", "✔ right") if self.correct else ("#b00020", "✘ not yet")
        return (
            f"<div class='alignn-nb-verdict' style='color:{colour};font-size:14px'>"
            f"<b>{mark}:</b> {html.escape(self.message)}</div>"
        )

    def __repr__(self) -> str:
        return f"{'right' if self.correct else 'wrong'}: {self.message}"


@dataclass(frozen=True)
class Exercise:
    """A question, how to work out its answer, and hints for likely wrong answers."""

    question: str
    solve: Callable[[], int]
    why: str
    hints: dict[int, str]
    hint: str


def _whole_number(answer: Any) -> int | None:
    """``answer`` as an int when it is a whole number (an int, a float or a string)."""
    if isinstance(answer, bool):
        return None
    try:
        number = float(str(answer).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _si_triplets() -> int:
    from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
    from alignn_nb.graphs import build_graphs
    from alignn_nb.structures import example

    cfg, graph = ALIGNNAtomWiseConfig(lighten_edges=False), GraphConfig(max_neighbors=4)
    return build_graphs(example("Si"), cfg, graph).stats["triplets"]


def _strongest_bond_bin() -> int:
    from alignn_nb.config import PURE_MODEL, ALIGNNAtomWiseConfig
    from alignn_nb.model import build_model, edge_rbf, strongest_bin

    # both flavours build RBFExpansion(vmin=0, vmax=8.0, bins=edge_input_features);
    # the pure one needs no DGL
    model = build_model(ALIGNNAtomWiseConfig(name=PURE_MODEL), seed=0)
    return strongest_bin(edge_rbf(model), SI_BOND)


def _cu_pure_triplets() -> int:
    from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
    from alignn_nb.graphs import build_graphs
    from alignn_nb.structures import example

    cfg = ALIGNNAtomWiseConfig(lighten_edges=False)
    graph = GraphConfig(neighbor_strategy="pure_torch", cutoff=3.0)
    return build_graphs(example("Cu"), cfg, graph).stats["triplets"]


SI_BOND = 2.352
"""The Si–Si bond length in Å of the Si example (a = 5.43 Å)."""

EXERCISES: dict[str, Exercise] = {
    "si_triplets": Exercise(
        question=(
            "Si (2 atoms), k-nearest with max_neighbors=4: how many triplets does the "
            "line graph have?"
        ),
        solve=_si_triplets,
        why=(
            "each atom has 4 bonds in and 4 bonds out, so 4 × 4 = 16 triplets meet at each "
            "atom, and 2 atoms give 32 (the 8 u→v→u pairs included)."
        ),
        hints={
            16: "that is the count around one atom; the cell has two.",
            24: "DGL's line graph keeps the u→v→u pairs: a bond and its own reverse.",
            8: "8 is the number of bonds (edges), each one a node of the line graph.",
        },
        hint="count the bonds arriving at an atom and the bonds leaving it.",
    ),
    "strongest_bin": Exercise(
        question=(
            f"With edge_input_features=80, which bin (counting from 0) responds most to the "
            f"Si–Si bond of {SI_BOND} Å?"
        ),
        solve=_strongest_bond_bin,
        why=(
            "alignn spreads 80 bin centres evenly from 0 to 8 Å, 8/79 ≈ 0.101 Å apart; "
            f"{SI_BOND} / 0.101 ≈ 23.2, so bin 23 (centre 2.33 Å) is the closest."
        ),
        hints={
            24: "count from 0: the first bin, centred at 0 Å, is bin 0.",
            22: "the centres are 8/79 Å apart (linspace includes both ends).",
        },
        hint="alignn's edge bins are torch.linspace(0, 8, 80); find the closest centre.",
    ),
    "self_pairs": Exercise(
        question=(
            "Cu's primitive cell has one atom, bonded to 12 images of itself within 3 Å. "
            "radius_graph's line graph has 132 triplets. How many does pure_torch's have "
            "(cutoff=3.0)?"
        ),
        solve=_cu_pure_triplets,
        why=(
            "every bond joins the atom to its own image, so each of the 12 bonds can follow "
            "any of the 12: 12 × 12 = 144. DGL's line graph never pairs a bond with itself "
            "(132 = 144 − 12); alignn's pure_torch builder does."
        ),
        hints={
            132: "that is DGL's count; pure_torch treats a bond to the atom's own image "
            "differently.",
            120: "pure_torch keeps more pairs than DGL, not fewer.",
        },
        hint="pure_torch pairs each self-image bond with itself as well.",
    ),
}
"""The exercises by name, in the notebook's order."""


def check(name: str, answer: Any) -> Verdict:
    """Check ``answer`` to exercise ``name`` (see `EXERCISES`).

    Raises:
        KeyError: for an unknown exercise, naming the known ones.
    """
    if name not in EXERCISES:
        raise KeyError(f"no exercise {name!r}; the exercises are {', '.join(EXERCISES)}")
    exercise = EXERCISES[name]
    given = _whole_number(answer)
    if given is None:
        return Verdict(name, False, f"answer with a whole number (got {answer!r}).")
    if given == exercise.solve():
        return Verdict(name, True, f"{given}: {exercise.why}")
    return Verdict(name, False, f"{given} is not it; {exercise.hints.get(given, exercise.hint)}")
