"""Build alignn's own model from the mirror.

The mirror becomes alignn's pydantic config in `alignn_nb.config.alignn_model`; nothing
here re-implements the model.
"""

from __future__ import annotations

import threading

import torch

from alignn_nb.config import (
    DGL_MISSING,
    PURE_MODEL,
    ALIGNNAtomWiseConfig,
    dgl_installed,
    heads_problem,
    is_pure,
    to_alignn_model_config,
)


class MissingDGLError(ValueError):
    """The DGL model was asked for where DGL is not installed."""


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
    elif not dgl_installed():
        raise MissingDGLError(f"{DGL_MISSING}: choose {PURE_MODEL!r} or install DGL")
    else:
        from alignn.models.alignn_atomwise import ALIGNNAtomWise as Model
    conf = to_alignn_model_config(cfg)
    if seed is None:
        return Model(conf).eval()
    with _SEED_LOCK, torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        return Model(conf).eval()
