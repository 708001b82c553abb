"""The wheel: ``pip wheel --no-deps .`` ships the served notebooks and the example data,
and an install of it alone serves the dashboard."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.support.repo import REPO
from tests.support.stack_venv import clean_env, stack_venv

pytestmark = pytest.mark.slow

NOTEBOOKS = ("dashboard.ipynb", "graph_construction.ipynb", "index.ipynb", "loss_terms.ipynb")
DATA = (
    "datasets/examples/README.md",
    "datasets/examples/jarvis_ff_sample_id_prop.json",
    "datasets/examples/mlearn_Si_id_prop.json",
    "datasets/examples/mlearn_Si_run/README.md",
    "datasets/examples/mlearn_Si_run/best_model.pt",
    "datasets/examples/mlearn_Si_run/config.json",
    "datasets/examples/mlearn_Si_run/history_train.json",
    "datasets/examples/mlearn_Si_run/history_val.json",
    "datasets/examples/mlearn_Si_run/ids_train_val_test.json",
    "config/presets/README.md",
    "config/presets/mlearn_Si_config.json",
    "config/presets/pure/recipes_forcefield_config.json",
    "py.typed",
)
SERVE_TIMEOUT_S = 180


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from the repository (with the installed hatchling)."""
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*command, "--quiet", "--wheel-dir", str(out), str(REPO)], check=True, timeout=600
    )
    (found,) = out.glob("alignn_nb-*.whl")
    return found


def test_the_wheel_holds_the_notebooks_and_the_example_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [
        f"alignn_nb/notebooks/{n}" for n in NOTEBOOKS if f"alignn_nb/notebooks/{n}" not in names
    ]
    missing += [f"alignn_nb/{d}" for d in DATA if f"alignn_nb/{d}" not in names]
    assert missing == []
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "benchmarks/"))]


def _venv_with(wheel: Path, root: Path) -> Path:
    """A venv holding only the wheel, on top of the locked stack installed here."""
    venv = stack_venv(root)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    subprocess.run([*install, str(wheel)], check=True, env=clean_env(), timeout=600)
    return venv


def _printed_url(log: Path, process: subprocess.Popen) -> re.Match | None:
    """The URL that ``alignn-nb serve`` prints first (its output goes to a file: an undrained
    pipe would block the server once full)."""
    for _ in range(600):
        found = re.search(r"http://\S+/", log.read_text())
        if found or process.poll() is not None:
            return found
        time.sleep(0.1)
    return None


def _wait_for_page(url: str, process: subprocess.Popen) -> bytes:
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"alignn-nb serve exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.read()
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {SERVE_TIMEOUT_S} s")


def test_an_installed_wheel_serves_the_dashboard(wheel, tmp_path):
    venv = _venv_with(wheel, tmp_path)
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import alignn_nb; print(alignn_nb.__file__)"],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv)
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(venv / "bin" / "alignn-nb"), "serve"],
            env=clean_env(),
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        found = _printed_url(log, process)
        assert found, f"alignn-nb serve printed no URL: {log.read_text()[-2000:]!r}"
        page = _wait_for_page(found.group(0), process)
        assert b"dashboard" in page.lower()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
