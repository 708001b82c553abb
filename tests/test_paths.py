"""Every path into the package that text names still exists: the dotted names and folder
paths in the README, the architecture page and the notebooks, the modules run with
``python -m`` (the Makefile, the benchmarks, the code's own child processes) and the dotted
names the code keeps as strings (moved names, subprocess modules)."""

from __future__ import annotations

import ast
import re
import subprocess

import pytest

from alignn_nb.lazy import declared_names
from tests.support.repo import REPO

PACKAGE = REPO / "alignn_nb"
DOTTED = re.compile(r"alignn_nb(?:\.[A-Za-z_]\w*)+")
FOLDER_PATH = re.compile(r"alignn_nb(?:/[\w.-]+)+/?")
DOCS = ("README.md", "docs/architecture.md", "notebooks", "alignn_nb/datasets/examples")
"""Where people read paths into the package (the CHANGELOG keeps the old ones as history)."""
WHEEL_ONLY = ("alignn_nb/notebooks",)
"""Folders the wheel adds (pyproject's force-include), not in the repository."""


def _top_level_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def resolves(dotted: str) -> bool:
    """True when ``dotted`` is a module of alignn_nb, or a module (or package) followed by a
    name it defines or declares (and perhaps an attribute of that, such as a method)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = REPO.joinpath(*parts[:cut])
        module = base.with_suffix(".py")
        init = base / "__init__.py"
        if not (module.exists() or init.exists()):
            continue
        if cut == len(parts):
            return True
        source = (module if module.exists() else init).read_text()
        names = _top_level_names(source)
        if init.exists() and not module.exists():
            lazy, eager = declared_names(".".join(parts[:cut]), source)
            names |= set(lazy) | set(eager)
        return parts[cut] in names
    return False


def test_the_resolver_knows_modules_names_and_strays():
    assert resolves("alignn_nb.training.example_run")
    assert resolves("alignn_nb.loss.weight_response")
    assert resolves("alignn_nb.widgets.dashboard.TAB_GUIDE")
    assert resolves("alignn_nb.compute.Job.stop")
    assert not resolves("alignn_nb.training.entries")
    assert not resolves("alignn_nb.app.live")


def _tracked(*paths: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", *paths], cwd=REPO, capture_output=True, text=True, check=True
    )
    return [p for p in listed.stdout.split() if p.endswith((".md", ".ipynb", ".py", "Makefile"))]


@pytest.mark.parametrize("path", _tracked(*DOCS))
def test_the_docs_name_paths_that_exist(path):
    text = (REPO / path).read_text()
    stale = sorted({d for d in DOTTED.findall(text) if not resolves(d.rstrip("."))})
    folders = {f for f in FOLDER_PATH.findall(text) if f.rstrip("/") not in WHEEL_ONLY}
    stale += sorted(f for f in folders if not (REPO / f).exists())
    assert stale == []


def test_every_python_m_module_exists():
    found = set()
    for path in _tracked("Makefile", "README.md", "docs", "benchmarks", "alignn_nb", "tests"):
        found |= set(re.findall(r"-m (alignn_nb(?:\.\w+)+)", (REPO / path).read_text()))
        found |= set(re.findall(r'"-m",\s*"(alignn_nb(?:\.\w+)+)"', (REPO / path).read_text()))
    assert {"alignn_nb.compute._child", "alignn_nb.training.example_run"} <= found
    assert sorted(m for m in found if not resolves(m)) == []


def test_every_dotted_string_in_the_code_exists():
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if DOTTED.fullmatch(node.value):
                    found.add(node.value)
    assert "alignn_nb.datasets.load_dataset" in found
    assert sorted(d for d in found if not resolves(d)) == []
