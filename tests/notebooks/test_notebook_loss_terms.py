"""The loss-terms notebook runs top to bottom in a real kernel, and its 20-step run goes down."""

from __future__ import annotations

import re

import nbformat
import pytest

from tests.support.notebooks import execute_notebook
from tests.support.repo import REPO

NOTEBOOK = REPO / "notebooks" / "loss_terms.ipynb"
CELL_TIMEOUT_SECONDS = 900
"""nbclient's per-cell timeout: a guard against a hanging kernel, not a speed test."""
STEP_LINE = re.compile(r"^(\w+)\s+step 1:\s+([\d.]+)\s+step (\d+):\s+([\d.]+)$", re.MULTILINE)


def _outputs(nb: nbformat.NotebookNode) -> tuple[str, int, list[str]]:
    """All printed text, the number of PNG images shown and the error names."""
    printed, images, errors = [], 0, []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                printed.append(output.text)
            elif output.output_type == "error":
                errors.append(f"{output.ename}: {output.evalue}")
            elif "image/png" in output.get("data", {}):
                images += 1
    return "".join(printed), images, errors


@pytest.mark.slow
@pytest.mark.dgl
def test_notebook_runs_and_training_brings_the_terms_down():
    nb, seconds = execute_notebook(NOTEBOOK, CELL_TIMEOUT_SECONDS)
    printed, images, errors = _outputs(nb)
    print(f"loss_terms.ipynb: {seconds:.1f} s, {images} images")
    assert errors == []
    assert "training finished after 20 steps" in printed
    runs = STEP_LINE.findall(printed)
    emt = {
        name: (float(first), int(last_step), float(last))
        for name, first, last_step, last in runs[:4]
    }
    assert list(emt) == ["graphwise", "gradwise", "stresswise", "total"]
    for name, (first, last_step, last) in emt.items():
        assert last_step == 20 and last < first, name
    assert "alignn history: 3 epochs from" in printed
    assert "Dataset('jarvis_ff_sample_id_prop.json', 50 samples, 500 atoms" in printed
    assert "training finished after 10 steps" in printed
    assert "alignn history: 2 epochs from" in printed
    assert images == 11
