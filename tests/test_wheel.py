"""The wheel: ``pip wheel --no-deps .`` ships the served notebooks and the example data,
and an install of it alone serves the dashboard."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

NOTEBOOKS = ("dashboard.ipynb", "graph_construction.ipynb", "index.ipynb", "loss_terms.ipynb")
DATA = (
    "training/examples/README.md",
    "training/examples/jarvis_ff_sample_id_prop.json",
    "training/examples/mlearn_Si_id_prop.json",
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
    """A venv holding only the wheel, that sees this interpreter's site-packages through a
    plain path line in a .pth file (whose own .pth files, the editable install among
    them, are not processed)."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3.*/site-packages"))
    (site / "shared_stack.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    subprocess.run([*install, str(wheel)], check=True, env=_clean_env(), timeout=600)
    return venv


def _clean_env() -> dict[str, str]:
    """This environment without the repository on PYTHONPATH or a virtualenv marker.

    Jupyter's data files (Voila's templates, the widget extensions) live under the shared
    environment's prefix, not in site-packages, so JUPYTER_PATH points there.
    """
    drop = ("PYTHONPATH", "VIRTUAL_ENV")
    data = Path(sysconfig.get_paths()["data"]) / "share" / "jupyter"
    kept = {k: v for k, v in os.environ.items() if k not in drop}
    return {**kept, "DGLBACKEND": "pytorch", "JUPYTER_PATH": str(data)}


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
        env=_clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv)
    process = subprocess.Popen(
        [str(venv / "bin" / "alignn-nb"), "serve"],
        env=_clean_env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        first = process.stdout.readline() if process.stdout else ""
        found = re.search(r"http://\S+/", first)
        assert found, f"alignn-nb serve printed no URL: {first!r}"
        page = _wait_for_page(found.group(0), process)
        assert b"dashboard" in page.lower()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
