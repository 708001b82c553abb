"""Notebooks run top to bottom in a kernel, as the notebook tests run them."""

from __future__ import annotations

from pathlib import Path


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
