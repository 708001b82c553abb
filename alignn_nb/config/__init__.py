"""The configuration stage: the traitlets mirror of alignn's model config, its graph
options and its training settings, alignn's rules that need no torch, cross-field
findings, alignn's ``config.json`` I/O, presets, diff and undo.

Importing it loads neither torch nor DGL nor ipywidgets; `to_alignn_model_config` imports
alignn's model configs (and with them torch) when it is first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.config.fields import FORWARD, GRAPH, NEIGHBOR_STRATEGIES, NOWHERE, PURE_MODEL
from alignn_nb.config.mirror import PURE_ONLY_FIELDS, ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.config.training_settings import SETTINGS_KEYS, TrainingSettings
from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.config.alignn_export import save_alignn_config, to_alignn_config
    from alignn_nb.config.alignn_io import (
        AlignnConfigError,
        LoadedConfig,
        apply_alignn_config,
        load_alignn_config,
    )
    from alignn_nb.config.alignn_model import to_alignn_model_config
    from alignn_nb.config.diff import DiffRow, config_diff, diff_from_defaults, diff_from_loaded
    from alignn_nb.config.findings import Finding, atom_feature_length, check
    from alignn_nb.config.presets import load_preset, named_presets
    from alignn_nb.config.rules import (
        DGL_MISSING,
        LINE_GRAPH_FIELDS,
        SHAPE_FIELDS,
        dgl_installed,
        heads_problem,
        is_pure,
        resolved_use_zbl,
        shape_changes,
        training_defaults,
    )
    from alignn_nb.config.traits import (
        StrictFloat,
        StrictInt,
        StrictTraits,
        StrictUnicode,
        allowed_text,
    )
    from alignn_nb.config.undo import ConfigHistory

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
