"""Write the mirrors as an alignn training ``config.json``, keeping the other training keys."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alignn_nb.config.alignn_io import GRAPH_KEYS, AlignnConfigError, _suggest, _training_problems
from alignn_nb.config.mirror import (
    ALIGNNAtomWiseConfig,
    GraphConfig,
)
from alignn_nb.config.rules import training_defaults
from alignn_nb.config.training_settings import SETTINGS_KEYS, TrainingSettings


def _export_training_problems(training: Mapping[str, Any]) -> list[str]:
    """Why ``training`` cannot be written beside the mirrors' model block and graph options."""
    problems = []
    for key in training:
        if key == "model":
            problems.append("'model' comes from cfg, not from the training keys")
        elif key in GRAPH_KEYS:
            problems.append(f"{key!r} is a graph option: it comes from graph, not training")
        elif key not in training_defaults():
            problems.append(
                f"unknown key {key!r}: alignn's TrainingConfig has no such field"
                + _suggest(key, list(training_defaults()))
            )
    known = {k: v for k, v in training.items() if k in training_defaults()}
    return problems + _training_problems(known)


def _graph_block(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> dict[str, Any]:
    """The top-level graph options; with lighten_edges on, three_body_cutoff is inner_cutoff.

    For the pure_torch builder, which reads three_body_cutoff itself, it is written as is.
    """
    block = graph.to_dict()
    if cfg.lighten_edges and graph.neighbor_strategy != "pure_torch":
        block["three_body_cutoff"] = cfg.inner_cutoff
    return block


def to_alignn_config(
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    training: Mapping[str, Any] | None = None,
    settings: TrainingSettings | None = None,
) -> dict[str, Any]:
    """A whole alignn training config that ``alignn.config.TrainingConfig(**d)`` accepts.

    The ``training`` keys that are not training settings come first, verbatim; then every
    training setting of ``settings`` (output_dir only when set), which take the place of
    the same keys in ``training``; then every graph option; then ``"model"`` with every
    field alignn's config of the chosen flavour has (`ALIGNNAtomWiseConfig` or
    `ALIGNNAtomWisePureConfig`, whose three_body_cutoff is model_three_body_cutoff).
    Without ``settings``, the training settings are those among the ``training`` keys
    (alignn's defaults for the others). Other training keys not given take alignn's
    defaults when alignn reads the dict. `export_notes` says how lighten_edges and
    backtracking map.

    Raises:
        AlignnConfigError: when ``training`` holds the model, a graph option, an unknown
            key, or a value alignn (or, for a training setting, the mirror) refuses.
    """
    from alignn_nb.config.alignn_model import to_alignn_model_config

    given = dict(training or {})
    problems = _export_training_problems(given)
    if problems:
        raise AlignnConfigError("training keys", problems)
    if settings is None:
        settings = TrainingSettings(**{k: v for k, v in given.items() if k in SETTINGS_KEYS})
    kept = {k: v for k, v in given.items() if k not in SETTINGS_KEYS}
    return {
        **copy.deepcopy(kept),
        **settings.alignn_keys(),
        **_graph_block(cfg, graph),
        "model": to_alignn_model_config(cfg).model_dump(),
    }


def save_alignn_config(
    path: str | os.PathLike,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    training: Mapping[str, Any] | None = None,
    settings: TrainingSettings | None = None,
) -> None:
    """Write `to_alignn_config` as JSON (indent 2); an existing file is replaced whole or kept."""
    text = json.dumps(to_alignn_config(cfg, graph, training, settings), indent=2) + "\n"
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
