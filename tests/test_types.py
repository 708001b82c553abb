"""The type check that `make test` runs (mypy, configured in pyproject.toml) sees the config
mirror's optional fields: an Optional used as a number is reported, a None-checked one not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.repo import REPO

api = pytest.importorskip("mypy.api", reason="mypy is not installed (it runs in .venv only)")

SNIPPET = """\
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig

graph = GraphConfig()
doubled = graph.max_neighbors * 2
if graph.max_neighbors is not None:
    checked = graph.max_neighbors * 2
reveal_type(graph.three_body_cutoff)
reveal_type(graph.cutoff)
reveal_type(ALIGNNAtomWiseConfig().use_zbl)
reveal_type(ALIGNNAtomWiseConfig().copy())
"""


def test_an_optional_field_used_as_a_number_fails_the_check(tmp_path: Path, monkeypatch) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(SNIPPET)
    monkeypatch.setenv("MYPYPATH", str(REPO))  # this checkout's alignn_nb, not an installed one
    config = str(REPO / "pyproject.toml")
    cache = str(tmp_path / "mypy_cache")
    out, err, status = api.run([str(snippet), "--config-file", config, "--cache-dir", cache])
    lines = [line.replace(str(snippet), "snippet.py") for line in out.splitlines()]
    assert (status, err) == (1, "")
    assert lines == [
        'snippet.py:4: error: Unsupported operand types for * ("None" and "int")  [operator]',
        'snippet.py:4: note: Left operand is of type "int | None"',
        'snippet.py:7: note: Revealed type is "float | None"',
        'snippet.py:8: note: Revealed type is "float"',
        'snippet.py:9: note: Revealed type is "bool | None"',
        'snippet.py:10: note: Revealed type is "alignn_nb.config.mirror.ALIGNNAtomWiseConfig"',
        "Found 1 error in 1 file (checked 1 source file)",
    ]
