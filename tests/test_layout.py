"""The package layout's rules: modules stay short, private names stay in their package,
and no tracked file reads the shared folder beside a development checkout."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from tests.support.repo import REPO

PACKAGE = REPO / "alignn_nb"
MAX_MODULE_LINES = 500


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(source: str, parts: tuple[str, ...]) -> list[tuple[str, str]]:
    """(module, name) for each import of alignn_nb in ``source``, the text of the module
    whose dotted path is ``parts``; relative imports are made absolute."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = parts[: len(parts) - node.level] if node.level else ()
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            found += [(module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return [(module, name) for module, name in found if module.startswith("alignn_nb")]


def _crossings(source: str, parts: tuple[str, ...]) -> list[str]:
    """The private modules and names of another package that ``source`` imports."""
    own = parts[:2]
    crossing = []
    for module, name in _imports(source, parts):
        private = any(part.startswith("_") for part in module.split(".")[1:])
        if tuple(module.split(".")[:2]) != own and (private or name.startswith("_")):
            crossing.append(f"{module} {name}".strip())
    return crossing


def test_no_module_is_over_500_lines():
    lines = {str(p.relative_to(REPO)): len(p.read_text().splitlines()) for p in _modules()}
    assert {path: n for path, n in lines.items() if n > MAX_MODULE_LINES} == {}


def test_private_modules_and_names_stay_in_their_package():
    found = {}
    for path in _modules():
        parts = path.relative_to(REPO).with_suffix("").parts
        if crossing := _crossings(path.read_text(), parts):
            found[str(path.relative_to(REPO))] = crossing
    assert found == {}


def test_the_check_finds_a_private_import_from_another_package_only():
    source = (
        "from alignn_nb.cli import _settings\n"
        "from alignn_nb.widgets._resync import resync_on_display\n"
        "from ..graphs import _private\n"
        "import alignn_nb.app._hidden\n"
        "from ..graphs import build_graphs\n"
    )
    assert _crossings(source, ("alignn_nb", "cli", "verb")) == [
        "alignn_nb.widgets._resync resync_on_display",
        "alignn_nb.graphs _private",
        "alignn_nb.app._hidden",
    ]


SHARED_FOLDER = r"(\.\.|/work)/shared"
"""A path to the shared folder beside a development checkout, relative or absolute (as a
regular expression, so that this file does not name the folder itself)."""


def test_no_tracked_file_reads_the_shared_folder():
    command = ["git", "grep", "-l", "-E", "-e", SHARED_FOLDER, "--", "."]
    found = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert found.returncode in (0, 1), found.stderr
    assert found.stdout.split() == []
