"""Shared fixtures: where alignn's example files live in the package, hypothesis profiles.

Tests marked ``dgl`` need DGL; where it is not installed (``make test-nodgl``) they skip
with the reason "DGL is not installed".
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("DGLBACKEND", "pytorch")

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[1]
PRESETS = REPO / "alignn_nb" / "config" / "presets"
"""alignn's example training configs, shipped as presets."""
EXAMPLE_DATA = REPO / "alignn_nb" / "training" / "examples"
"""alignn's example force-field datasets (JARVIS sample, mlearn Si), shipped as package data."""
TINY_PURE_MODEL = {
    "name": "alignn_atomwise_pure",
    "conv_type": "n_alignn",
    "num_heads": 2,
    "alignn_layers": 1,
    "gcn_layers": 1,
    "hidden_features": 8,
    "embedding_features": 8,
    "edge_input_features": 8,
    "triplet_input_features": 8,
}
"""A tiny pure-torch model block for sweep tests: its trials train in a fraction of a
second, and with 2 attention heads a hidden_features of 5 cannot be split (a failing trial)."""

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if IN_CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


DGL_MISSING = "DGL is not installed"


USER_FOLDERS = {
    "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
    "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
    "IPYTHONDIR": "ipython",
    "XDG_CONFIG_HOME": "config",
    "XDG_CACHE_HOME": "cache",
    "npm_config_cache": "npm",
    "TORCHINDUCTOR_CACHE_DIR": "torch-cache",
}
"""Folders that the tools the tests start would otherwise make or fill in the user's home
or in /tmp: Jupyter servers' and kernels' connection files and cookie secret, JupyterLab's
workspace file, kernels' IPython history, chromium's crash-report settings and dconf,
matplotlib's font list, the npm log JupyterLab leaves when it asks npm for its prefix, and
newer torch's compile cache. Each points into one folder of this run, removed at its end."""

_RUN_FOLDERS = pytest.StashKey[tuple[pytest.MonkeyPatch, Path]]()


def pytest_configure(config: pytest.Config) -> None:
    """Point ``USER_FOLDERS`` into a fresh folder, for this process and every process the
    tests start, before any test module is imported."""
    home = Path(tempfile.mkdtemp(prefix="alignn-nb-tests-"))
    patch = pytest.MonkeyPatch()
    for variable, name in USER_FOLDERS.items():
        (home / name).mkdir()
        patch.setenv(variable, str(home / name))
    config.stash[_RUN_FOLDERS] = (patch, home)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put the environment back and remove the run's folder."""
    patch, home = config.stash[_RUN_FOLDERS]
    patch.undo()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def dask_cluster(tmp_path: Path):
    """A real Dask cluster of separate processes: a scheduler and two single-threaded
    workers on 127.0.0.1, stopped by PID at the end; scratch files stay in ``tmp_path``."""
    from tests.dask_processes import dask_processes

    folder = tmp_path / "dask"
    folder.mkdir()
    with dask_processes(folder, workers=2) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def shared_dask_cluster(tmp_path_factory: pytest.TempPathFactory):
    """One real Dask cluster for the whole session (a scheduler and one single-threaded
    worker process, stopped by PID at the end), for tests that need somewhere to run work
    rather than a fresh cluster: its worker imports torch and alignn once."""
    from tests.dask_processes import dask_processes

    with dask_processes(tmp_path_factory.mktemp("shared_dask"), workers=1) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def alignn_trained(tmp_path_factory: pytest.TempPathFactory):
    """alignn's own train_for_folder, once per session: a small force-field run
    (`tests.alignn_training.SMALL_RUN`) whose files all stay in a temporary folder."""
    from tests.alignn_training import train_small_run

    return train_small_run(tmp_path_factory.mktemp("alignn_trained"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``dgl`` when DGL is not installed."""
    from alignn_nb.config.rules import dgl_installed

    if dgl_installed():
        return
    skip = pytest.mark.skip(reason=DGL_MISSING)
    for item in items:
        if "dgl" in item.keywords:
            item.add_marker(skip)


def execute_notebook(path: Path, limit_seconds: float):
    """Run the notebook at ``path`` top to bottom in the ``python3`` kernel.

    Returns the executed notebook and the seconds it took; a cell running past
    ``limit_seconds`` fails it.
    """
    import time

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=limit_seconds,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.monotonic()
    client.execute()
    return nb, time.monotonic() - start
