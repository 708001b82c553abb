"""Names a package exports but imports only on first use.

Each package's ``__init__`` maps its public names to the modules that define them, so
``import alignn_nb.graphs`` (or ``alignn-nb --help``) loads none of the heavy modules
(torch, DGL, ipywidgets) behind them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, table: Mapping[str, str], namespace: Mapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``.

    Args:
        package: the package's ``__name__``, for the error message.
        table: each lazily exported name and the module that defines it.
        namespace: the package's ``globals()``, listed by ``__dir__`` beside ``table``.
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted([*namespace, *table])

    return __getattr__, __dir__
