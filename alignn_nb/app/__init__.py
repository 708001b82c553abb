"""The live engine: a `LiveSession` recomputes only the stages a change touches, on worker
threads that are joined at exit.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "LiveSession": "alignn_nb.app.live",
    "LiveResult": "alignn_nb.app.stages",
    "StageError": "alignn_nb.app.stages",
    "start_worker": "alignn_nb.app.workers",
}
"""Public names and the module each lives in, imported on first use (the engine needs torch)."""

__all__ = [
    "LiveResult",
    "LiveSession",
    "StageError",
    "start_worker",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
