"""The one boundary where the traitlets mirror meets alignn's pydantic model configs.

alignn's model configs import torch (and, for the DGL flavour, DGL) with their module, so
they are imported when a config is first converted.
"""

from __future__ import annotations

import threading
from typing import Any

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig
from alignn_nb.config.rules import (
    alignn_model_block,
    is_pure,
)


def to_alignn_model_config(cfg: ALIGNNAtomWiseConfig) -> Any:
    """alignn's pydantic config for the mirror ``cfg`` (a fresh object).

    `ALIGNNAtomWiseConfig` for alignn_atomwise, `ALIGNNAtomWisePureConfig` for
    alignn_atomwise_pure; both import without DGL.

    alignn's configs are pydantic settings, whose constructor also reads the environment
    and costs about a millisecond: the live dashboard would pay it on every edit. So
    alignn validates the first block of each flavour, and later ones are copies of the
    last with the changed values put in. Every value comes from the mirror's strict
    traits, whose types are alignn's; the tests compare both paths on random configs.
    """
    kind = _alignn_config_class(cfg)
    block = alignn_model_block(cfg)
    with _LAST_LOCK:
        last = _LAST_CONFIGS.get(kind)
    if last is None:
        fresh = kind(**block)
    else:
        changed = {key: value for key, value in block.items() if _differs(last, key, value)}
        fresh = last.model_copy(update=changed)
    with _LAST_LOCK:
        _LAST_CONFIGS[kind] = fresh.model_copy()
    return fresh


_LAST_CONFIGS: dict[type, Any] = {}
_LAST_LOCK = threading.Lock()


def _alignn_config_class(cfg: ALIGNNAtomWiseConfig) -> type:
    if is_pure(cfg):
        from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePureConfig

        return ALIGNNAtomWisePureConfig
    from alignn.models.alignn_atomwise import ALIGNNAtomWiseConfig as AlignnConfig

    return AlignnConfig


def _differs(config: Any, key: str, value: Any) -> bool:
    current = getattr(config, key)
    return type(current) is not type(value) or current != value
