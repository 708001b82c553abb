"""Binder: a fresh environment built from ``binder/`` alone runs the three notebooks.

This does what mybinder's repo2docker does with this repository, without the Makefile:
a new Python 3.11 virtual environment, ``pip install -r binder/requirements.txt``, then
``binder/postBuild``; then it executes every notebook in ``notebooks/`` headless with
that environment's Jupyter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

BINDER = REPO / "binder"
NOTEBOOKS = ("dashboard.ipynb", "graph_construction.ipynb", "loss_terms.ipynb")
INSTALL_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 600


def python311() -> str:
    """A Python 3.11 interpreter outside any virtual environment (binder/runtime.txt)."""
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    found = shutil.which("python3.11") or sys._base_executable
    return found


def run(command: list[str], env: dict[str, str], cwd: Path, timeout: int) -> None:
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        tail = (done.stdout + done.stderr)[-4000:]
        pytest.fail(f"{' '.join(command)} failed with status {done.returncode}:\n{tail}")


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory) -> dict[str, str]:
    """The environment repo2docker would build, as variables that put it first on PATH."""
    venv = tmp_path_factory.mktemp("binder") / "venv"
    subprocess.run([python311(), "-m", "venv", str(venv)], check=True)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "DGLBACKEND": "pytorch",
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run([*pip, "-r", "binder/requirements.txt"], env, REPO, INSTALL_TIMEOUT_S)
    run(["bash", "binder/postBuild"], env, REPO, INSTALL_TIMEOUT_S)
    return env


def test_the_binder_environment_is_the_locked_stack(binder_env):
    python = Path(binder_env["VIRTUAL_ENV"]) / "bin" / "python"
    probe = (
        "import json, torch, dgl, alignn_nb, nglview, numpy;"
        "print(json.dumps([torch.__version__, dgl.__version__, nglview.__version__,"
        " numpy.__version__, alignn_nb.__file__]))"
    )
    done = subprocess.run(
        [str(python), "-c", probe], env=binder_env, capture_output=True, text=True, check=True
    )
    torch_version, dgl_version, ngl_version, numpy_version, where = json.loads(done.stdout)
    assert torch_version.startswith("2.2.1") and dgl_version == "2.1.0"
    assert ngl_version == "3.1.4" and numpy_version.startswith("1.")
    assert Path(where).resolve().parent == REPO / "alignn_nb"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_headless_in_the_binder_environment(binder_env, name, tmp_path):
    jupyter = Path(binder_env["VIRTUAL_ENV"]) / "bin" / "jupyter"
    command = [
        str(jupyter),
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        f"--ExecutePreprocessor.timeout={RUN_TIMEOUT_S}",
        "--output-dir",
        str(tmp_path),
        str(REPO / "notebooks" / name),
    ]
    run(command, binder_env, REPO / "notebooks", RUN_TIMEOUT_S)
    executed = json.loads((tmp_path / name).read_text())
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert outputs, f"{name} produced no output"
    assert not [o for o in outputs if o["output_type"] == "error"]
    if name == "dashboard.ipynb":
        shown = [
            "".join(o["data"]["text/plain"])
            for o in outputs
            if o["output_type"] == "execute_result"
        ]
        assert len(shown) == 1 and shown[0].startswith("Dashboard(")
