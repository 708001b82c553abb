"""The configuration: the traitlets mirror of alignn's model config and its graph options."""

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig

__all__ = ["ALIGNNAtomWiseConfig", "GraphConfig"]
