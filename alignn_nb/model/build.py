"""Build alignn's own model from the mirror.

`to_alignn_model_config` is the one boundary where the traitlets mirror meets alignn's
pydantic configs. Nothing here re-implements the model.
"""

from __future__ import annotations

import threading
from typing import Any

import torch

from alignn_nb.config import rules
from alignn_nb.config.mirror import PURE_MODEL, ALIGNNAtomWiseConfig
from alignn_nb.config.rules import (
    DGL_MISSING,
    alignn_model_block,
    heads_problem,
    is_pure,
)


class MissingDGLError(ValueError):
    """The DGL model was asked for where DGL is not installed."""


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


_SEED_LOCK = threading.Lock()
"""Seeded builds fork torch's CPU generator, which is process-wide: one at a time."""


def build_model(cfg: ALIGNNAtomWiseConfig, *, seed: int | None = None) -> torch.nn.Module:
    """alignn's `ALIGNNAtomWise` or `ALIGNNAtomWisePure` for ``cfg``, in eval mode.

    alignn switches ``calculate_gradient`` off on its own config when gradwise_weight is 0;
    it gets a fresh pydantic copy, so the mirror is never mutated.

    With a ``seed`` the weights are those ``torch.manual_seed(seed)`` would give, drawn
    from a fork of torch's CPU generator: the caller's random state is left as it was.
    Seeded builds on several threads take turns. (torch draws from the process-wide
    generator meanwhile, so other code drawing random numbers during a seeded build
    shares its stream and finds its own draws undone afterwards.)

    Raises:
        MissingDGLError: for alignn_atomwise where DGL is not installed.
        ValueError: when hidden_features does not split into num_heads attention heads.
    """
    problem = heads_problem(cfg)
    if problem is not None:
        raise ValueError(problem)
    if is_pure(cfg):
        from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePure as Model
    elif not rules.dgl_installed():
        raise MissingDGLError(f"{DGL_MISSING}: choose {PURE_MODEL!r} or install DGL")
    else:
        from alignn.models.alignn_atomwise import ALIGNNAtomWise as Model
    conf = to_alignn_model_config(cfg)
    if seed is None:
        return Model(conf).eval()
    with _SEED_LOCK, torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        return Model(conf).eval()
