"""Imports are cheap: the package, its config and structure stages and the command-line
parser load neither torch nor DGL (each checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.repo import REPO

PACKAGE = REPO / "alignn_nb"

HEAVY = ("torch", "dgl")

PROBES = {
    "alignn_nb": "import alignn_nb",
    "alignn_nb.config": "import alignn_nb.config",
    "alignn_nb.structures": "import alignn_nb.structures",
    "alignn-nb --help": (
        "import contextlib, io\n"
        "from alignn_nb.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])"
    ),
    "every package face": "; ".join(
        f"import alignn_nb.{p.parent.name}" for p in sorted(PACKAGE.glob("*/__init__.py"))
    ),
}


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("what", PROBES)
def test_import_loads_neither_torch_nor_dgl(what):
    loaded = _loaded_after(PROBES[what])
    assert [name for name in HEAVY if name in loaded] == []


def test_the_package_face_still_offers_the_readme_names():
    code = (
        "from alignn_nb import ALIGNNAtomWiseConfig, GraphConfig, Finding, check, "
        "load_structure, build_graphs, build_model, Dashboard\n"
        "from alignn_nb.model import model_summary, predict\n"
        "assert callable(predict) and callable(model_summary)"
    )
    loaded = _loaded_after(code)
    assert "torch" in loaded
