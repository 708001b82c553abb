"""Named starting configs: alignn's defaults, alignn-nb's defaults and alignn's examples.

The example configs ship as package data in ``alignn_nb/presets/`` (their sources are
listed in the README there). alignn's defaults are read from the installed alignn each
time, so they follow the pinned version.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from alignn_nb.config.alignn_io import GRAPH_KEYS, LoadedConfig, load_alignn_config
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig

ALIGNN_DEFAULTS = "alignn defaults"
SEED_DEFAULTS = "seed defaults"
#: alignn's example configs in ``alignn_nb/presets/``; each preset is named after its file.
EXAMPLE_FILES = (
    "config_example_atomwise.json",
    "mlearn_Ni_config.json",
    "mlearn_Si_config.json",
    "mlearn_Si_config_dgl.json",
    "pure/mlearn_Si_config.json",
    "pure/recipes_forcefield_config.json",
    "pure/sample_data_ff_config_example_atomwise.json",
)

Preset = Callable[[], LoadedConfig] | Mapping[str, Any]


def alignn_defaults_config() -> dict[str, Any]:
    """The graph options and model block that alignn's `TrainingConfig` defaults give.

    Read from the installed alignn: every graph option's default (cutoffs in Å) and the
    default model's fields. Other training keys are left out; alignn fills them in.
    """
    from alignn_nb.config.rules import training_config

    fields = training_config().model_fields
    graph = {key: fields[key].default for key in GRAPH_KEYS}
    return {**graph, "model": fields["model"].default.model_dump()}


def _alignn_defaults() -> LoadedConfig:
    return load_alignn_config(alignn_defaults_config())


def _seed_defaults() -> LoadedConfig:
    """alignn-nb's defaults; not read through an alignn file, so lighten_edges stays on."""
    cfg = ALIGNNAtomWiseConfig()
    note = (
        "alignn-nb's own defaults (the design table): lighten_edges on, so angle triplets "
        f"are limited to bonds within inner_cutoff {cfg.inner_cutoff} Å."
    )
    return LoadedConfig(cfg, GraphConfig(), {}, [note])


def example_config(file_name: str) -> dict[str, Any]:
    """The decoded alignn example config ``file_name`` (one of `EXAMPLE_FILES`).

    Raises:
        ValueError: for a name not in `EXAMPLE_FILES`.
    """
    if file_name not in EXAMPLE_FILES:
        raise ValueError(f"no example config {file_name!r}; examples: {', '.join(EXAMPLE_FILES)}")
    text = (resources.files("alignn_nb.config") / "presets" / file_name).read_text("utf-8")
    return json.loads(text)


def presets() -> dict[str, Preset]:
    """Preset name to a callable returning a `LoadedConfig`, or to a decoded alignn config."""
    named: dict[str, Preset] = {ALIGNN_DEFAULTS: _alignn_defaults, SEED_DEFAULTS: _seed_defaults}
    named.update({name: example_config(name) for name in EXAMPLE_FILES})
    return named


def load_preset(name: str) -> LoadedConfig:
    """New configs for preset ``name``, with the training keys and the notes of loading.

    Raises:
        ValueError: for an unknown name, listing the presets.
    """
    available = presets()
    if name not in available:
        raise ValueError(f"no preset named {name!r}; presets: {', '.join(available)}")
    preset = available[name]
    return preset() if callable(preset) else load_alignn_config(preset)
