"""The vocabulary of the config mirror: where alignn reads a field (its effects), the form's
sections, alignn's model names and choices, and the helpers that tag a trait with them.
"""

from __future__ import annotations

from typing import Any

from alignn_nb.config.traits import StrictBool, StrictFloat, StrictInt

SHAPE = "model shape"
FORWARD = "forward pass"
GRAPH = "graph construction"
LOSS = "loss"
NOWHERE = "nowhere"
PURE_ONLY = "pure only"

BASIC = "Basic Info"
ARCH = "Model Architecture"
OUTPUT = "Output Control and Loss Weighting"
PHYSICS = "Physics-Aware Settings"
GRAPHOPT = "Graph Construction Options"
PENALTY = "Loss Penalty Options"
MISC = "Miscellaneous"
PURE = "Pure-torch Model (alignn_atomwise_pure)"

DGL_MODEL = "alignn_atomwise"
PURE_MODEL = "alignn_atomwise_pure"
MODEL_NAMES = (DGL_MODEL, PURE_MODEL)
ATOM_FEATURES = ("atomic_number", "cgcnn", "basic", "cfid")
NEIGHBOR_STRATEGIES = ("k-nearest", "radius_graph", "pure_torch")
CONV_TYPES = ("alignn", "n_alignn", "t_alignn")
#: alignn_atomwise_pure's defaults where they differ from alignn_atomwise's (the mirror's).
PURE_DEFAULTS = {"penalty_factor": 0.5}


def _tag(section: str, effect: tuple[str, ...], unit: str = "", **bounds: float) -> dict[str, Any]:
    return {"section": section, "effect": effect, "unit": unit, **bounds}


def _int(
    default: int, help: str, section: str, effect: tuple[str, ...], **bounds: float
) -> StrictInt[int, int]:
    return StrictInt(default, help=help).tag(**_tag(section, effect, "", **bounds))


def _float(
    default: float,
    help: str,
    section: str,
    effect: tuple[str, ...],
    unit: str = "",
    **bounds: float,
) -> StrictFloat[float, float]:
    return StrictFloat(default, help=help).tag(**_tag(section, effect, unit, **bounds))


def _bool(
    default: bool, help: str, section: str, effect: tuple[str, ...]
) -> StrictBool[bool, bool]:
    return StrictBool(default, help=help).tag(**_tag(section, effect))
