"""A package's public names, declared once and imported on first use.

Each package's ``__init__`` declares its names as imports from its own modules: at the top
for the few that are cheap, under ``if TYPE_CHECKING:`` for the rest. The type checker
reads those imports, so every name keeps its type; at run time `lazy_package` reads the
same block back from the ``__init__``'s source and imports each name from its module only
when it is first used, so ``import alignn_nb.graphs`` (or ``alignn-nb --help``) loads none
of the heavy modules (torch, DGL, ipywidgets) behind them. The declared names are the
package's ``__all__``: there is no second list to keep in step.

A name that moved keeps working from its old package for one release, with a
`DeprecationWarning` naming where it went.
"""

from __future__ import annotations

import ast
import importlib
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Declared = tuple[dict[str, tuple[str, str]], list[str]]
"""A package's lazily imported names, each with its module and the name there, and the
names it imports eagerly."""


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
    )


def _body(node: ast.stmt) -> list[ast.stmt]:
    return node.body if isinstance(node, ast.If) else []


def _names(node: ast.stmt, package: str) -> list[tuple[str, str, str]]:
    """(exported name, module, name in the module) of one ``from alignn_nb... import``."""
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join([*base, *([node.module] if node.module else [])])
    else:
        module = node.module or ""
    if not module.startswith("alignn_nb") or module == "alignn_nb.lazy":
        return []
    return [(alias.asname or alias.name, module, alias.name) for alias in node.names]


def declared_names(package: str, source: str) -> Declared:
    """The names the ``__init__`` source of ``package`` declares.

    Imports from ``alignn_nb`` at the top of the source are eager; those in an
    ``if TYPE_CHECKING:`` block are lazy. ``from <package> import module`` there declares
    one of the package's modules public as a whole (for names used as ``module.name``).
    ``alignn_nb.lazy`` itself declares nothing.
    """
    lazy: dict[str, tuple[str, str]] = {}
    eager: list[str] = []
    for node in ast.parse(source).body:
        if _is_type_checking(node):
            for inner in _body(node):
                lazy.update({name: (module, real) for name, module, real in _names(inner, package)})
        else:
            eager += [name for name, _, _ in _names(node, package)]
    return lazy, eager


def lazy_package(
    package: str,
    init_file: str,
    namespace: Mapping[str, Any],
    moved: Mapping[str, str] | None = None,
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__all__``, module-level ``__getattr__`` and ``__dir__`` of ``package``.

    Args:
        package: the package's ``__name__``.
        init_file: its ``__init__``'s ``__file__``, whose imports declare the names.
        namespace: the package's ``globals()``, listed by ``__dir__`` beside the names.
        moved: names that moved away, each with its new dotted path
            (``{"load_dataset": "alignn_nb.datasets.load_dataset"}``): they still resolve,
            with a `DeprecationWarning`, and are in neither ``__all__`` nor ``__dir__``.
    """
    table, eager = declared_names(package, Path(init_file).read_text(encoding="utf-8"))
    moved = dict(moved or {})

    def __getattr__(name: str) -> Any:
        if name in table:
            module, real = table[name]
            if module == package:
                return importlib.import_module(f"{package}.{real}")
            return getattr(importlib.import_module(module), real)
        if name in moved:
            warnings.warn(
                f"{package}.{name} is deprecated: use {moved[name]} "
                "(the old path goes in the next release)",
                DeprecationWarning,
                stacklevel=2,
            )
            module, _, real = moved[name].rpartition(".")
            return getattr(importlib.import_module(module), real)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return sorted({*table, *eager}), __getattr__, __dir__
