"""Binder: what mybinder's repo2docker builds from ``binder/`` alone runs the dashboard.

repo2docker creates a Python 3.11 environment, runs ``pip install -r
binder/requirements.txt`` and then ``binder/postBuild``. The requirements file is the
lock that ``make setup`` installs and that this suite runs on, made by ``make
binder-requirements``: every pin the same, but torch's CPU-only build (``torch==2.2.1+cpu``
from PyTorch's CPU wheel index) and none of the CUDA wheels (``nvidia-*``, ``triton``).
That index cannot be reached from the machines this suite runs on, so the install itself
is not run here: these tests check the file against the lock pin for pin, then run the
real ``postBuild`` in a fresh venv on top of the locked stack and execute the dashboard
notebook with that venv's interpreter and kernel. The teaching and loss notebooks run on
the same lock in ``test_notebook_*.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.repo import REPO
from tests.support.stack_venv import clean_env, stack_venv

pytestmark = pytest.mark.slow

BINDER = REPO / "binder"
CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"
CUDA_ONLY = re.compile(r"^(nvidia-.*|triton)$")
RUN_TIMEOUT_S = 600


def run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )
    if done.returncode:
        tail = (done.stdout + done.stderr)[-4000:]
        pytest.fail(f"{' '.join(command)} failed with status {done.returncode}:\n{tail}")
    return done.stdout


def requirement_lines(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pins(lines: list[str]) -> dict[str, str]:
    """``{name: version}`` of ``name==version`` lines, names as written."""
    found = dict(line.split("==", 1) for line in lines)
    assert len(found) == len(lines), "a requirement is pinned twice or not with =="
    return found


def test_binder_installs_the_lock_with_torchs_cpu_build_and_python_the_suite_runs_on():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    lock = pins(requirement_lines(REPO / "requirements.lock"))
    first, *rest = requirement_lines(BINDER / "requirements.txt")
    binder = pins(rest)
    assert first == CPU_INDEX
    left_out = sorted(name for name in lock if CUDA_ONLY.match(name))
    assert len(left_out) == 13 and "triton" in left_out
    assert lock["torch"] == "2.2.1" and binder["torch"] == "2.2.1+cpu"
    assert {n: v for n, v in binder.items() if n != "torch"} == {
        n: v for n, v in lock.items() if n != "torch" and n not in left_out
    }
    assert [n for n in binder] == [n for n in lock if n not in left_out]
    build = requirement_lines(BINDER / "postBuild")
    assert build[-1] == "python -m pip install --no-deps --no-build-isolation -e ."


def test_postbuild_installs_alignn_nb_and_the_dashboard_notebook_runs(tmp_path):
    venv = stack_venv(tmp_path)
    env = clean_env(venv)
    run(["bash", "binder/postBuild"], env, REPO)
    python = str(venv / "bin" / "python")
    probe = "import json, alignn_nb, dgl; print(json.dumps([alignn_nb.__file__, dgl.__version__]))"
    where, dgl_version = json.loads(run([python, "-c", probe], env, tmp_path))
    assert Path(where).resolve().parent == REPO / "alignn_nb"
    assert dgl_version == "2.1.0"
    command = [python, "-m", "nbconvert", "--to", "notebook", "--execute"]
    command += [f"--ExecutePreprocessor.timeout={RUN_TIMEOUT_S}", "--output-dir", str(tmp_path)]
    run([*command, str(REPO / "notebooks" / "dashboard.ipynb")], env, REPO / "notebooks")
    executed = json.loads((tmp_path / "dashboard.ipynb").read_text())
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    results = [o for o in outputs if o["output_type"] == "execute_result"]
    shown = ["".join(o["data"]["text/plain"]) for o in results]
    assert len(shown) == 1 and shown[0].startswith("Dashboard(")
