"""The live engine's stages and their keys: each key is built from exactly the inputs the
stage reads, so a change reruns only the stages that read it (see `alignn_nb.live.session`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import ase

from alignn_nb.config import (
    FORWARD,
    LINE_GRAPH_FIELDS,
    SHAPE_FIELDS,
    ALIGNNAtomWiseConfig,
    GraphConfig,
)
from alignn_nb.loss import WEIGHT_FIELDS

STAGES = ("graph", "model", "forward", "loss")


def _fields_with(effect: str) -> tuple[str, ...]:
    cls = ALIGNNAtomWiseConfig
    return tuple(n for n in cls.field_names() if effect in cls.field_trait(n).metadata["effect"])


MODEL_FIELDS = SHAPE_FIELDS
FORWARD_FIELDS = tuple(n for n in _fields_with(FORWARD) if n not in MODEL_FIELDS)


@dataclass(frozen=True)
class StageError:
    """A stage that raised: which one and its message."""

    stage: str
    message: str


@dataclass(frozen=True)
class LiveResult:
    """Everything one round published, with the inputs it was computed from.

    Attributes:
        config, graph: snapshots (plain dicts) of the configs these results belong to.
        structure: the structure's label.
        graphs, model, summary, prediction, losses: the artifacts (last good ones when a
            stage failed).
        ran: the stages this round actually recomputed, in order.
        seconds: wall time in seconds of each stage that ran.
        error: the first stage that failed in this round, if any.
    """

    config: dict
    graph: dict
    structure: str
    graphs: Any = None
    model: Any = None
    summary: Any = None
    prediction: Any = None
    losses: Any = None
    ran: tuple[str, ...] = ()
    seconds: dict = field(default_factory=dict)
    error: StageError | None = None

    def status(self) -> str:
        """One line: the stages recomputed with their times, or the error."""
        if self.error is not None:
            return f"{self.error.stage} failed: {self.error.message}"
        if not self.ran:
            return "up to date"
        timings = ", ".join(f"{s} {self.seconds[s] * 1000:.0f} ms" for s in self.ran)
        return f"recomputed {timings}"


@dataclass(frozen=True)
class _Inputs:
    """A consistent snapshot of everything the stages read."""

    config: ALIGNNAtomWiseConfig
    graph: GraphConfig
    atoms: Any
    label: str
    dataset: Any
    seed: int
    adoption: int

    def shape_key(self) -> tuple:
        return (*(getattr(self.config, n) for n in MODEL_FIELDS), self.seed)

    def key(self, stage: str) -> tuple:
        """The inputs ``stage`` reads; the stage reruns only when this changes."""
        return self._keys[stage]

    @functools.cached_property
    def _keys(self) -> dict[str, tuple]:
        """Every stage's key, worked out once per snapshot."""
        graph_key = (
            _content_key(self.atoms),
            tuple(self.graph.to_dict().items()),
            tuple(getattr(self.config, n) for n in LINE_GRAPH_FIELDS),
        )
        model_key = (self.shape_key(), self.adoption)
        forward_key = tuple(getattr(self.config, n) for n in FORWARD_FIELDS)
        unweighted = tuple(
            value for name, value in self.config.to_dict().items() if name not in WEIGHT_FIELDS
        )
        return {
            "graph": graph_key,
            "model": model_key,
            "forward": (graph_key, model_key, forward_key),
            "loss": (_content_key(self.dataset), graph_key[1:], model_key, unweighted),
        }


@dataclass(frozen=True, eq=False)
class _Same:
    """A key part equal only to another made of the very same object, which it keeps alive
    (so its ``id`` cannot pass to a new object while the key exists)."""

    obj: Any

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def _content_key(source: Any) -> Any:
    """A stage key part for a structure or dataset: its content digest where it has one
    (``ase.Atoms``, `Dataset`), else the object itself; None stays None."""
    from alignn_nb.datasets import Dataset
    from alignn_nb.graphs import fingerprint

    if isinstance(source, ase.Atoms):
        return fingerprint(source)
    if isinstance(source, Dataset):
        return source.fingerprint
    return None if source is None else _Same(source)
