"""Cross-field checks on a model config and graph config.

`check` returns findings and never raises: a config with errors is still a config a
user is in the middle of editing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from alignn_nb.config.fields import DGL_MODEL, PURE_MODEL
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.config.rules import resolved_use_zbl

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
        found.append(
            Finding(
                "warning",
                ("inner_cutoff", "cutoff"),
                f"inner_cutoff {cfg.inner_cutoff} Å is beyond the neighbour cutoff "
                f"{graph.cutoff} Å: no bond is that long, so it filters nothing.",
            )
        )
    tbc = graph.three_body_cutoff
    if graph.neighbor_strategy == "pure_torch":
        return found + _pure_torch_cutoffs(graph)
    if cfg.lighten_edges and tbc is not None and tbc != cfg.inner_cutoff:
        found.append(
            Finding(
                "warning",
                ("inner_cutoff", "three_body_cutoff", "lighten_edges"),
                f"inner_cutoff ({cfg.inner_cutoff} Å) and three_body_cutoff ({tbc} Å) disagree; "
                f"the line graph here uses inner_cutoff {cfg.inner_cutoff} Å because lighten_edges "
                "is on, while alignn's k-nearest and radius_graph builders use neither.",
            )
        )
    if not cfg.lighten_edges and tbc is not None:
        found.append(_unused_three_body_cutoff(cfg, graph, tbc))
    return found


def _pure_torch_cutoffs(graph: GraphConfig) -> list[Finding]:
    """alignn's pure_torch builder refuses a triplet cutoff beyond the bond cutoff."""
    tbc = graph.three_body_cutoff
    if tbc is None or tbc <= graph.cutoff:
        return []
    return [
        Finding(
            "error",
            ("three_body_cutoff", "cutoff"),
            f"three_body_cutoff {tbc} Å is beyond cutoff {graph.cutoff} Å: alignn's pure_torch "
            "builder refuses it; set it to at most the cutoff (None means the cutoff).",
        )
    ]


def _unused_three_body_cutoff(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, tbc: float) -> Finding:
    """three_body_cutoff is set but nothing applies it: lighten_edges is off."""
    builder = (
        f"as alignn's {graph.neighbor_strategy} builder does; alignn applies three_body_cutoff "
        "only in its pure_torch builder."
    )
    if tbc != cfg.inner_cutoff:
        return Finding(
            "warning",
            ("inner_cutoff", "three_body_cutoff", "lighten_edges"),
            f"inner_cutoff ({cfg.inner_cutoff} Å) and three_body_cutoff ({tbc} Å) disagree; "
            "the line graph here uses neither because lighten_edges is off: it keeps every "
            f"triplet, {builder}",
        )
    return Finding(
        "warning",
        ("three_body_cutoff", "lighten_edges"),
        f"three_body_cutoff ({tbc} Å) limits no triplet: with lighten_edges off the line graph "
        f"here keeps every triplet, {builder}",
    )


def _features(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> list[Finding]:
    length = atom_feature_length(graph.atom_features)
    if cfg.atom_input_features == length:
        return []
    return [
        Finding(
            "error",
            ("atom_input_features", "atom_features"),
            f"atom_input_features is {cfg.atom_input_features} but jarvis's "
            f"{graph.atom_features!r} vectors have length {length}; "
            f"set atom_input_features={length}.",
        )
    ]


def _weights(cfg: ALIGNNAtomWiseConfig) -> list[Finding]:
    found = []
    if cfg.atomwise_weight > 0 and cfg.atomwise_output_features == 0:
        found.append(
            Finding(
                "error",
                ("atomwise_weight", "atomwise_output_features"),
                f"atomwise_weight is {cfg.atomwise_weight} but atomwise_output_features is 0: "
                "there is no per-atom output to weigh.",
            )
        )
    if cfg.stresswise_weight > 0 and (not cfg.calculate_gradient or cfg.gradwise_weight == 0):
        found.append(
            Finding(
                "error",
                ("stresswise_weight", "calculate_gradient", "gradwise_weight"),
                f"stresswise_weight is {cfg.stresswise_weight} but gradients are off "
                f"(calculate_gradient={cfg.calculate_gradient}, "
                f"gradwise_weight={cfg.gradwise_weight}): alignn computes stress only with forces.",
            )
        )
    if cfg.gradwise_weight == 0:
        found.append(
            Finding(
                "warning",
                ("gradwise_weight", "calculate_gradient"),
                "gradwise_weight is 0, so alignn switches calculate_gradient off by itself: "
                "no forces and no stress are computed.",
            )
        )
    if cfg.alignn_layers == 0 and cfg.gcn_layers == 0 and not cfg.use_penalty:
        found.append(
            Finding(
                "warning",
                ("alignn_layers", "gcn_layers", "use_penalty"),
                "with no ALIGNN or GCN layer and no penalty, nothing reads the bonds: the energy "
                "ignores atom positions and every force is zero.",
            )
        )
    if cfg.additional_output_weight > 0 and cfg.additional_output_features == 0:
        found.append(
            Finding(
                "error",
                ("additional_output_weight", "additional_output_features"),
                f"additional_output_weight is {cfg.additional_output_weight} but "
                "additional_output_features is 0: there is no additional output to weigh.",
            )
        )
    return found


def _flavour(cfg: ALIGNNAtomWiseConfig) -> list[Finding]:
    """The DGL model without DGL, and attention heads that do not divide the width."""
    from alignn_nb.config.rules import DGL_MISSING, dgl_installed, heads_problem

    found = []
    if cfg.name == DGL_MODEL and not dgl_installed():
        found.append(
            Finding(
                "error",
                ("name",),
                f"{DGL_MISSING}; choose {PURE_MODEL!r} to build a model here.",
            )
        )
    problem = heads_problem(cfg)
    if problem is not None:
        found.append(Finding("error", ("hidden_features", "num_heads", "conv_type"), problem))
    return found


#: Mirror values that alignn's pure model accepts but never acts on, with what it does.
_PURE_IGNORES = {
    "include_pos_deriv": (True, "forces always come from the bond vectors"),
    "batch_stress": (False, "stress is always computed per structure"),
}


def _pure(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> list[Finding]:
    """What alignn's pure model ignores, ZBL without atomic numbers, a mismatched cutoff."""
    if cfg.name != PURE_MODEL:
        return []
    found = [
        Finding(
            "warning",
            (name, "name"),
            f"{name} is {value} but alignn_atomwise_pure never reads it: {what}.",
        )
        for name, (value, what) in _PURE_IGNORES.items()
        if getattr(cfg, name) == value
    ]
    if cfg.extra_features:
        found.append(
            Finding(
                "warning",
                ("extra_features", "name"),
                f"extra_features is {cfg.extra_features} but alignn_atomwise_pure has no layer "
                "for extra features: it ignores them.",
            )
        )
    if resolved_use_zbl(cfg) and graph.neighbor_strategy != "pure_torch":
        found.append(
            Finding(
                "warning",
                ("use_zbl", "neighbor_strategy"),
                f"ZBL repulsion is on (use_zbl={cfg.use_zbl}) but alignn applies it only to graphs "
                f"with atomic numbers, which its {graph.neighbor_strategy} builder does not store: "
                "the model adds no ZBL energy.",
            )
        )
    tbc = graph.triplet_cutoff()
    if graph.neighbor_strategy == "pure_torch" and cfg.model_three_body_cutoff != tbc:
        found.append(
            Finding(
                "warning",
                ("model_three_body_cutoff", "three_body_cutoff"),
                f"the model block's three_body_cutoff ({cfg.model_three_body_cutoff} Å, "
                f"model_three_body_cutoff here) differs from the graph's ({tbc} Å): alignn says "
                "they must match, or its TorchScript/LAMMPS forward builds other triplets.",
            )
        )
    return found


def check(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig | None = None) -> list[Finding]:
    """Every cross-field finding for ``cfg`` with ``graph`` (defaults if None)."""
    graph = GraphConfig() if graph is None else graph
    return (
        _flavour(cfg)
        + _cutoffs(cfg, graph)
        + _features(cfg, graph)
        + _weights(cfg)
        + _pure(cfg, graph)
    )
