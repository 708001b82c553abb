"""Read and write alignn training configs (``config.json``) for the traitlets mirrors.

This module is the one place where an alignn training config meets the mirrors. It
decides which keys are graph options (`GraphConfig`), which are model fields
(`ALIGNNAtomWiseConfig`), which are training settings (`TrainingSettings`) and which are
other training keys, kept verbatim. It also
relates alignn-nb's line-graph options to alignn's graph builders:

- alignn's k-nearest and radius_graph builders take DGL's line graph of every bond, so
  every triplet is kept, u→v→u ones included. Loading therefore sets lighten_edges off
  and backtracking on.
- alignn's ``three_body_cutoff`` (Å) limits triplets only in its pure_torch builder.
  Exporting with lighten_edges on and another builder writes inner_cutoff there.
- A model block names either alignn_atomwise or alignn_atomwise_pure. The pure block's
  own ``three_body_cutoff`` is the mirror's ``model_three_body_cutoff``. Where the pure
  block leaves out a field whose default differs between the flavours (penalty_factor),
  alignn's pure default is filled in and a note says so.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, get_args

from traitlets import TraitError

from alignn_nb.config.alignn_notes import load_notes, pure_default_note
from alignn_nb.config.fields import DGL_MODEL, MODEL_NAMES, PURE_DEFAULTS, PURE_MODEL
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.config.rules import (
    ALIGNN_NAMES,
    NOT_ALIGNN_MODEL_FIELDS,
    alignn_model_block,
    training_config,
    training_defaults,
)
from alignn_nb.config.training_settings import SETTINGS_KEYS, TrainingSettings

MODEL_NAME = DGL_MODEL
GRAPH_KEYS = tuple(GraphConfig.field_names())
#: The model block's keys for alignn_atomwise, in alignn's names.
MODEL_KEYS = tuple(alignn_model_block(ALIGNNAtomWiseConfig()))
#: The model block's keys for alignn_atomwise_pure, in alignn's names.
PURE_MODEL_KEYS = tuple(alignn_model_block(ALIGNNAtomWiseConfig(name=PURE_MODEL)))
#: Mirror field of each alignn model-block key that is named differently.
MIRROR_NAMES = {alignn: mirror for mirror, alignn in ALIGNN_NAMES.items()}

#: alignn's other model blocks, by name, with what each one is.
OTHER_MODELS = {
    "alignn_atomwise_pure_smooth": (
        "alignn's pure-torch twin of alignn_atomwise with smooth bases, not supported yet"
    ),
    "alignn": "alignn's original ALIGNN property model, which predicts no forces",
    "ealignn_atomwise": "alignn's eALIGNN variant of alignn_atomwise, not supported",
}

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "null",
}


class AlignnConfigError(ValueError):
    """An alignn config that cannot be loaded or written; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            text = f"{source}: {self.problems[0]}"
        else:
            lines = [f"{source}: {len(self.problems)} problems:"]
            text = "\n- ".join(lines + self.problems)
        super().__init__(text)


class LoadedConfig(tuple[ALIGNNAtomWiseConfig, GraphConfig]):
    """``(cfg, graph)`` from an alignn config, plus the training settings, the training
    keys and notes.

    Attributes:
        settings: the training settings on the mirror (alignn's defaults where the file
            has none).
        training: every training key that is neither a graph option nor the model block,
            verbatim, in file order (the training settings among them too); to be
            written back out with `settings`, which takes the place of those.
        notes: how lighten_edges, backtracking and three_body_cutoff were set and why.
    """

    settings: TrainingSettings
    training: dict[str, Any]
    notes: list[str]

    def __new__(
        cls,
        cfg: ALIGNNAtomWiseConfig,
        graph: GraphConfig,
        training: dict[str, Any],
        notes: list[str],
        settings: TrainingSettings | None = None,
    ) -> LoadedConfig:
        loaded = super().__new__(cls, (cfg, graph))
        loaded.settings = TrainingSettings() if settings is None else settings
        loaded.training = training
        loaded.notes = notes
        return loaded

    def __repr__(self) -> str:
        return (
            f"LoadedConfig({self.cfg!r}, {self.graph!r}, training keys: {len(self.training)}, "
            f"notes: {len(self.notes)})"
        )

    @property
    def cfg(self) -> ALIGNNAtomWiseConfig:
        """The model block as the mirror."""
        return self[0]

    @property
    def graph(self) -> GraphConfig:
        """The graph options."""
        return self[1]


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _read(source: str | os.PathLike | Mapping) -> tuple[str, Mapping[str, Any]]:
    """A label for messages and the decoded config object."""
    if isinstance(source, Mapping):
        return "config", source
    label = os.fspath(source)
    try:
        data = json.loads(Path(label).read_bytes())
    except OSError as err:
        raise AlignnConfigError(label, [f"cannot be read: {err.strerror}"]) from err
    except ValueError as err:
        raise AlignnConfigError(label, [f"is not JSON: {err}"]) from err
    if not isinstance(data, dict):
        problem = f"holds {_json_type(data)}, not an alignn config object"
        raise AlignnConfigError(label, [problem])
    return label, data


def _is_full_config(data: Mapping[str, Any]) -> bool:
    """True for a whole training config, False for just its model block."""
    return "model" in data or any(k in training_defaults() for k in data)


def _split_top_level(data: Mapping[str, Any]) -> tuple[dict, dict, list[str]]:
    """Graph options, other training keys and problems from a full config's top level."""
    graph, training, problems = {}, {}, []
    known = [*training_defaults(), "model"]
    for key, value in data.items():
        if key == "model":
            continue
        if key in GRAPH_KEYS:
            graph[key] = value
        elif key in training_defaults():
            training[key] = value
        elif key in MODEL_KEYS:
            problems.append(f"{key!r} is a model field: it belongs inside 'model'")
        else:
            problems.append(
                f"unknown key {key!r}: alignn's TrainingConfig has no such field"
                + _suggest(key, known)
            )
    return graph, training, problems


_LOADABLE = " or ".join(repr(n) for n in MODEL_NAMES)


def _name_problem(block: Mapping[str, Any]) -> str | None:
    """Why the model block's name is neither alignn_atomwise nor its pure twin, or None."""
    if "name" not in block:
        return f"model has no 'name'; alignn needs name {MODEL_NAME!r} to build this model"
    name = block["name"]
    if name in MODEL_NAMES:
        return None
    if name in OTHER_MODELS:
        what = OTHER_MODELS[name]
        return f"model name {name!r} is {what}; only {_LOADABLE} load"
    if not isinstance(name, str):
        return f"model name must be the string {MODEL_NAME!r}, not {_json_type(name)}"
    return f"model name {name!r} is not an alignn model; only {_LOADABLE} load"


def _unknown_model_key(key: str, name: str) -> str:
    if key in NOT_ALIGNN_MODEL_FIELDS:
        return (
            f"model: {key!r} is not an alignn model field (it is alignn-nb's line-graph "
            "option, set from the graph builder)"
        )
    if name == DGL_MODEL and key in PURE_MODEL_KEYS:
        return (
            f"model: {key!r} is a field of {PURE_MODEL!r} only; alignn's ALIGNNAtomWiseConfig "
            f"({DGL_MODEL!r}) has no such field"
        )
    if key in GRAPH_KEYS:
        return f"model: {key!r} is a graph option: it belongs at the top level"
    config = "ALIGNNAtomWisePureConfig" if name == PURE_MODEL else "ALIGNNAtomWiseConfig"
    keys = PURE_MODEL_KEYS if name == PURE_MODEL else MODEL_KEYS
    return f"model: unknown field {key!r}: alignn's {config} has no such field" + _suggest(
        key, keys
    )


def _model_values(block: Any) -> tuple[dict[str, Any], list[str], list[str]]:
    """The mirror fields of a model block, the problems found in it and notes."""
    if not isinstance(block, Mapping):
        return {}, [f"model must be an object (the model block), not {_json_type(block)}"], []
    name_problem = _name_problem(block)
    if name_problem is not None:
        return {}, [name_problem], []
    name = block["name"]
    keys = PURE_MODEL_KEYS if name == PURE_MODEL else MODEL_KEYS
    values = {k: v for k, v in block.items() if k != "name"}
    problems = [_unknown_model_key(k, name) for k in values if k not in keys]
    known = {MIRROR_NAMES.get(k, k): v for k, v in values.items() if k in keys}
    problems += _field_problems(ALIGNNAtomWiseConfig, known, "model: ")
    notes = []
    if name == PURE_MODEL:
        filled = {k: v for k, v in PURE_DEFAULTS.items() if k not in known}
        notes = [pure_default_note(k, v) for k, v in filled.items()]
        known = {**filled, **known}
    return {"name": name, **known}, problems, notes


def _field_problems(cls: type, values: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The refusal of every value that ``cls``'s traits do not accept."""
    scratch = cls()
    problems = []
    for name, value in values.items():
        try:
            setattr(scratch, name, value)
        except TraitError as err:
            problems.append(f"{prefix}{err}{_unsupported_builder(name, value)}")
    return problems


def _unsupported_builder(name: str, value: Any) -> str:
    """A remark when a refused neighbor_strategy is one of alignn's other builders."""
    if name == "neighbor_strategy" and value in _alignn_neighbor_strategies():
        return f" (alignn's {value!r} builder is not supported)"
    return ""


@cache
def _alignn_neighbor_strategies() -> tuple[str, ...]:
    """Every neighbor_strategy alignn's `TrainingConfig` accepts."""
    return get_args(training_config().model_fields["neighbor_strategy"].annotation)


def _training_problems(training: Mapping[str, Any]) -> list[str]:
    """What the training keys hold that is refused, in key order: the training settings by
    `TrainingSettings`, the other keys by alignn's own `TrainingConfig`."""
    settings = {k: v for k, v in training.items() if k in SETTINGS_KEYS}
    others = {k: v for k, v in training.items() if k not in SETTINGS_KEYS}
    refused = _field_problems(TrainingSettings, settings) + _alignn_problems(others)
    order = list(training)
    return sorted(refused, key=lambda problem: order.index(problem.split(" ", 1)[0]))


def _alignn_problems(training: Mapping[str, Any]) -> list[str]:
    """What alignn's own `TrainingConfig` refuses among the training keys, in key order.

    Remembered per set of keys and values: the dashboard writes its save link on every
    edit, while the training keys rarely change and alignn's check takes milliseconds.
    """
    try:
        text = json.dumps(dict(training))
    except (TypeError, ValueError):
        return _check_training(training)
    return list(_check_training_json(text))


@lru_cache(maxsize=64)
def _check_training_json(text: str) -> tuple[str, ...]:
    return tuple(_check_training(json.loads(text)))


def _check_training(training: Mapping[str, Any]) -> list[str]:
    from pydantic import ValidationError

    try:
        training_config()(**training)
    except ValidationError as err:
        found = {str(e["loc"][0]): e for e in err.errors()}
        return [
            f"{key} = {found[key]['input']!r} refused by alignn's TrainingConfig: "
            f"{found[key]['msg']}"
            for key in training
            if key in found
        ]
    return []


def _graph_values(
    given: Mapping[str, Any], full: bool
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Graph option values, problems and notes; missing keys take alignn's defaults."""
    problems = _field_problems(GraphConfig, given)
    if not full:
        return (
            dict(given),
            problems,
            ["only a model block was given, so the graph options are alignn-nb's defaults."],
        )
    pure_torch = given.get("neighbor_strategy") == "pure_torch"
    missing = [k for k in GRAPH_KEYS if k not in given and (k != "three_body_cutoff" or pure_torch)]
    defaults = {k: training_defaults()[k] for k in missing}
    notes = []
    if defaults:
        listed = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
        notes.append(f"not in the config, so alignn's defaults apply: {listed}.")
    return {**defaults, **given}, problems, notes


def load_alignn_config(source: str | os.PathLike | Mapping) -> LoadedConfig:
    """Load an alignn training ``config.json`` (a path, or an already decoded dict).

    ``source`` may be a whole training config or just its ``"model"`` block; a mapping
    with a ``"model"`` key or any alignn training key is a whole config. Graph
    options missing from a whole config take alignn's `TrainingConfig` defaults, except
    three_body_cutoff, which stays None unless the builder is pure_torch (the only one
    that reads it; then alignn's default 3.5 Å applies). The model block may be
    alignn_atomwise or alignn_atomwise_pure. lighten_edges is set off and backtracking on,
    matching the line graph alignn's builders make. Training settings missing from the
    config take alignn's defaults (output_dir stays None, alignn's starting folder).

    Returns:
        New ``(cfg, graph)`` objects with ``.settings``, ``.training`` and ``.notes``.

    Raises:
        AlignnConfigError: listing every problem (unknown keys, refused values, a model
            other than the two ALIGNN-atomwise flavours, a file that cannot be read or is
            not JSON).
    """
    label, data = _read(source)
    full = _is_full_config(data)
    if full:
        given_graph, training, problems = _split_top_level(data)
        block = data.get("model", {"name": MODEL_NAME})
        problems += _training_problems(training)
        notes = (
            []
            if "model" in data
            else ["no model block, so alignn's default alignn_atomwise model applies."]
        )
    else:
        given_graph, training, problems, block, notes = {}, {}, [], data, []
    model_values, model_problems, model_notes = _model_values(block)
    graph_values, graph_problems, graph_notes = _graph_values(given_graph, full)
    problems = model_problems + graph_problems + problems
    if problems:
        raise AlignnConfigError(label, problems)
    cfg = ALIGNNAtomWiseConfig(**model_values, lighten_edges=False, backtracking=True)
    graph = GraphConfig(**graph_values)
    notes += model_notes + graph_notes + load_notes(cfg, graph, given_graph, full)
    settings = TrainingSettings(**{k: v for k, v in training.items() if k in SETTINGS_KEYS})
    return LoadedConfig(cfg, graph, training, notes, settings)


def apply_alignn_config(
    source: str | os.PathLike | Mapping,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    settings: TrainingSettings | None = None,
) -> LoadedConfig:
    """Load ``source`` into the existing ``cfg``, ``graph`` and, if given, ``settings``; on
    any problem none changes.

    Raises:
        AlignnConfigError: as `load_alignn_config`, before anything is set.
    """
    loaded = load_alignn_config(source)
    cfg.update(**loaded.cfg.to_dict())
    graph.update(**loaded.graph.to_dict())
    if settings is None:
        settings = loaded.settings
    else:
        settings.update(**loaded.settings.to_dict())
    return LoadedConfig(cfg, graph, loaded.training, loaded.notes, settings)
