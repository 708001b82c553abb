"""Cross-field checks on a model config and graph config.

`check` returns findings and never raises: a config with errors is still a config a
user is in the middle of editing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found across fields: its level, the fields involved and a message."""

    level: Level
    fields: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.message}"


@cache
def atom_feature_length(atom_features: str) -> int:
    """Length of jarvis's per-atom vector for an atom_features set (e.g. cgcnn: 92)."""
    from jarvis.core.specie import get_node_attributes

    return len(get_node_attributes("Si", atom_features=atom_features))


def _cutoffs(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> list[Finding]:
    found = []
    if cfg.inner_cutoff > graph.cutoff:
        found.append(Finding(
            "warning", ("inner_cutoff", "cutoff"),
            f"inner_cutoff {cfg.inner_cutoff} Å is beyond the neighbour cutoff {graph.cutoff} Å: "
            "no bond is that long, so it filters nothing.",
        ))
    tbc = graph.three_body_cutoff
    if cfg.lighten_edges and tbc is not None and tbc != cfg.inner_cutoff:
        found.append(Finding(
            "warning", ("inner_cutoff", "three_body_cutoff", "lighten_edges"),
            f"inner_cutoff ({cfg.inner_cutoff} Å) and three_body_cutoff ({tbc} Å) disagree; "
            f"the line graph here uses inner_cutoff {cfg.inner_cutoff} Å because lighten_edges "
            "is on, while alignn's k-nearest and radius_graph builders use neither.",
        ))
    if not cfg.lighten_edges and tbc is not None:
        found.append(_unused_three_body_cutoff(cfg, graph, tbc))
    return found


def _unused_three_body_cutoff(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, tbc: float) -> Finding:
    """three_body_cutoff is set but nothing applies it: lighten_edges is off."""
    builder = (
        f"as alignn's {graph.neighbor_strategy} builder does; alignn applies three_body_cutoff "
        "only in its pure_torch builder."
    )
    if tbc != cfg.inner_cutoff:
        return Finding(
            "warning", ("inner_cutoff", "three_body_cutoff", "lighten_edges"),
            f"inner_cutoff ({cfg.inner_cutoff} Å) and three_body_cutoff ({tbc} Å) disagree; "
            "the line graph here uses neither because lighten_edges is off: it keeps every "
            f"triplet, {builder}",
        )
    return Finding(
        "warning", ("three_body_cutoff", "lighten_edges"),
        f"three_body_cutoff ({tbc} Å) limits no triplet: with lighten_edges off the line graph "
        f"here keeps every triplet, {builder}",
    )


def _features(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> list[Finding]:
    length = atom_feature_length(graph.atom_features)
    if cfg.atom_input_features == length:
        return []
    return [Finding(
        "error", ("atom_input_features", "atom_features"),
        f"atom_input_features is {cfg.atom_input_features} but jarvis's "
        f"{graph.atom_features!r} vectors have length {length}; set atom_input_features={length}.",
    )]


def _weights(cfg: ALIGNNAtomWiseConfig) -> list[Finding]:
    found = []
    if cfg.atomwise_weight > 0 and cfg.atomwise_output_features == 0:
        found.append(Finding(
            "error", ("atomwise_weight", "atomwise_output_features"),
            f"atomwise_weight is {cfg.atomwise_weight} but atomwise_output_features is 0: "
            "there is no per-atom output to weigh.",
        ))
    if cfg.stresswise_weight > 0 and (not cfg.calculate_gradient or cfg.gradwise_weight == 0):
        found.append(Finding(
            "error", ("stresswise_weight", "calculate_gradient", "gradwise_weight"),
            f"stresswise_weight is {cfg.stresswise_weight} but gradients are off "
            f"(calculate_gradient={cfg.calculate_gradient}, gradwise_weight={cfg.gradwise_weight})"
            ": alignn computes stress only with forces.",
        ))
    if cfg.gradwise_weight == 0:
        found.append(Finding(
            "warning", ("gradwise_weight", "calculate_gradient"),
            "gradwise_weight is 0, so alignn switches calculate_gradient off by itself: "
            "no forces and no stress are computed.",
        ))
    if cfg.alignn_layers == 0 and cfg.gcn_layers == 0 and not cfg.use_penalty:
        found.append(Finding(
            "warning", ("alignn_layers", "gcn_layers", "use_penalty"),
            "with no ALIGNN or GCN layer and no penalty, nothing reads the bonds: the energy "
            "ignores atom positions and every force is zero.",
        ))
    if cfg.additional_output_weight > 0 and cfg.additional_output_features == 0:
        found.append(Finding(
            "error", ("additional_output_weight", "additional_output_features"),
            f"additional_output_weight is {cfg.additional_output_weight} but "
            "additional_output_features is 0: there is no additional output to weigh.",
        ))
    return found


def check(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig | None = None) -> list[Finding]:
    """Every cross-field finding for ``cfg`` with ``graph`` (defaults if None)."""
    graph = GraphConfig() if graph is None else graph
    return _cutoffs(cfg, graph) + _features(cfg, graph) + _weights(cfg)
