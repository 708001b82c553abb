"""alignn's rules about a config that need neither torch nor alignn's model: the model block
alignn reads, the fields that shape the model, the flavour, heads and ZBL.
"""

from __future__ import annotations

import functools
import importlib.util
import subprocess
from functools import cache
from typing import Any

from alignn_nb.config.fields import PURE_MODEL
from alignn_nb.config.mirror import PURE_ONLY_FIELDS, ALIGNNAtomWiseConfig

#: Mirror fields that alignn's model configs do not have (alignn-nb's line-graph options).
NOT_ALIGNN_MODEL_FIELDS = ("lighten_edges", "backtracking")
#: Mirror fields whose name in alignn's model block differs.
ALIGNN_NAMES = {"model_three_body_cutoff": "three_body_cutoff"}
#: Mirror fields that shape alignn-nb's line graph (with the graph options).
LINE_GRAPH_FIELDS = ("inner_cutoff", "lighten_edges", "backtracking")
#: Fields read when alignn constructs the model: a change needs a new model.
SHAPE_FIELDS = (
    *(
        n
        for n in ALIGNNAtomWiseConfig.field_names()
        if "model shape" in ALIGNNAtomWiseConfig.field_trait(n).metadata["effect"]
    ),
    "link",
)
#: What the DGL model needs and an environment without DGL lacks.
DGL_MISSING = "DGL is not installed; alignn_atomwise needs it"


@cache
def dgl_installed() -> bool:
    """Whether the ``dgl`` package can be found (it is not imported here)."""
    return importlib.util.find_spec("dgl") is not None


def is_pure(conf: Any) -> bool:
    """True for alignn's pure-torch flavour (a mirror, an alignn config or a model)."""
    conf = getattr(conf, "config", conf)
    return conf.name == PURE_MODEL


def alignn_model_block(cfg: ALIGNNAtomWiseConfig) -> dict[str, Any]:
    """The model block alignn reads for ``cfg``: its flavour's fields, in alignn's names.

    The DGL model's block leaves out the pure-only fields; the pure block names
    model_three_body_cutoff ``three_body_cutoff``. Neither has the line-graph options.
    """
    pure = is_pure(cfg)
    return {
        ALIGNN_NAMES.get(name, name): value
        for name, value in cfg.to_dict().items()
        if name not in NOT_ALIGNN_MODEL_FIELDS and (pure or name not in PURE_ONLY_FIELDS)
    }


def shape_changes(before: ALIGNNAtomWiseConfig, after: ALIGNNAtomWiseConfig) -> list[str]:
    """Each field that shapes the model (`SHAPE_FIELDS`, the flavour ``name`` among them)
    and differs between the two configs, as ``"field old → new"``; empty when a model
    built for ``before`` can run ``after``."""
    changes = []
    for name in SHAPE_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append(f"{name} {old!r} → {new!r}")
    return changes


def heads_problem(cfg: ALIGNNAtomWiseConfig) -> str | None:
    """Why alignn's attention layers cannot split hidden_features into num_heads, or None."""
    if not is_pure(cfg) or cfg.conv_type == "alignn" or cfg.alignn_layers + cfg.gcn_layers == 0:
        return None
    if cfg.hidden_features % cfg.num_heads == 0:
        return None
    return (
        f"hidden_features {cfg.hidden_features} is not a multiple of num_heads {cfg.num_heads}: "
        f"alignn's {cfg.conv_type} layers split the features evenly across heads"
    )


def resolved_use_zbl(conf: Any) -> bool:
    """Whether alignn's pure model built from ``conf`` has ZBL repulsion switched on.

    use_zbl None means on exactly when forces are computed: calculate_gradient, after
    gradwise_weight 0 has switched it off.
    """
    if conf.use_zbl is not None:
        return bool(conf.use_zbl)
    return bool(conf.calculate_gradient) and conf.gradwise_weight != 0


@cache
def training_config() -> Any:
    """alignn's pydantic `TrainingConfig` class.

    Importing ``alignn.config`` runs ``git rev-parse HEAD`` to record a version; outside
    a git repository git's "fatal: not a git repository" would reach the user's terminal
    on every command. Its stderr is discarded here (alignn then records "NA").
    """
    import unittest.mock

    quiet = functools.partial(subprocess.check_output, stderr=subprocess.DEVNULL)
    with unittest.mock.patch.object(subprocess, "check_output", quiet):
        from alignn.config import TrainingConfig
    return TrainingConfig


@cache
def training_defaults() -> dict[str, Any]:
    """Every field of alignn's `TrainingConfig` except the model, with its default."""
    fields = training_config().model_fields
    return {k: f.default for k, f in fields.items() if k != "model"}
