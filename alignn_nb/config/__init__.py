"""The configuration stage: the traitlets mirror of alignn's model config and its graph
options, cross-field findings, alignn's ``config.json`` I/O, presets, diff and undo.

Importing it loads neither torch nor DGL nor ipywidgets; `to_alignn_model_config` imports
alignn's model configs (and with them torch) when it is first called.
"""

from __future__ import annotations

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.lazy import lazy_names

_LAZY = {
    "Finding": "alignn_nb.config.findings",
    "check": "alignn_nb.config.findings",
    "AlignnConfigError": "alignn_nb.config.alignn_io",
    "LoadedConfig": "alignn_nb.config.alignn_io",
    "load_alignn_config": "alignn_nb.config.alignn_io",
    "apply_alignn_config": "alignn_nb.config.alignn_io",
    "to_alignn_config": "alignn_nb.config.alignn_export",
    "save_alignn_config": "alignn_nb.config.alignn_export",
    "load_preset": "alignn_nb.config.presets",
    "to_alignn_model_config": "alignn_nb.config.alignn_model",
    "ConfigHistory": "alignn_nb.config.undo",
    "config_diff": "alignn_nb.config.diff",
}
"""Public names and the module each lives in, imported on first use."""

__all__ = [
    "ALIGNNAtomWiseConfig",
    "AlignnConfigError",
    "ConfigHistory",
    "Finding",
    "GraphConfig",
    "LoadedConfig",
    "apply_alignn_config",
    "check",
    "config_diff",
    "load_alignn_config",
    "load_preset",
    "save_alignn_config",
    "to_alignn_config",
    "to_alignn_model_config",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
