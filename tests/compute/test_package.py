"""The compute package sits under every other one: it imports only alignn_nb.lazy and
itself, and importing it (or its job classes) loads neither torch, DGL nor Dask."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from tests.support.repo import REPO

PACKAGE = REPO / "alignn_nb" / "compute"
HEAVY = ("torch", "dgl", "dask", "distributed")


def _alignn_nb_imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("alignn_nb")}


def test_compute_imports_nothing_of_alignn_nb_but_lazy_and_itself():
    crossing = {
        path.name: sorted(
            name
            for name in _alignn_nb_imports(path)
            if name != "alignn_nb.lazy" and not name.startswith("alignn_nb.compute")
        )
        for path in sorted(PACKAGE.glob("*.py"))
    }
    assert {name: found for name, found in crossing.items() if found} == {}


@pytest.mark.parametrize(
    "code",
    [
        "import alignn_nb.compute",
        "from alignn_nb.compute import Job, ThreadJob, SubprocessJob, DaskJob, DaskMapJob, "
        "TerminalBar, follow, run_module",
    ],
)
def test_importing_compute_loads_no_heavy_library(code):
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert [name for name in HEAVY if name in loaded] == []


def test_every_public_name_is_listed_once_and_resolves():
    import alignn_nb.compute as compute

    assert compute.__all__ == sorted(set(compute.__all__))
    assert all(getattr(compute, name) is not None for name in compute.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        compute.Nothing  # noqa: B018
