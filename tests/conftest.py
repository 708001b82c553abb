"""Shared fixtures: the real alignn example data beside the repo, seeds, hypothesis profiles.

Tests marked ``dgl`` need DGL; where it is not installed (``make test-nodgl``) they skip
with the reason "DGL is not installed".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("DGLBACKEND", "pytorch")

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[1]
SHARED_EXAMPLES = REPO.parent / "shared" / "data" / "alignn_examples"

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``dgl`` when DGL is not installed."""
    from alignn_nb.model import dgl_installed

    if dgl_installed():
        return
    skip = pytest.mark.skip(reason=DGL_MISSING)
    for item in items:
        if "dgl" in item.keywords:
            item.add_marker(skip)


def need_shared(path: Path) -> Path:
    """``path`` if it exists; otherwise skip with a reason, or fail under CI=true."""
    if path.exists():
        return path
    message = f"{path} is missing: the alignn example data sits in ../shared beside the repo"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


@pytest.fixture
def alignn_examples() -> Path:
    """The folder of alignn's example configs and force-field data."""
    return need_shared(SHARED_EXAMPLES)


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
