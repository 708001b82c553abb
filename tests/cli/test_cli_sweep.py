"""``alignn-nb sweep``: a bad spec, field, range or option exits 2 with one line, untouched.

The sweep itself runs on a real cluster in tests/app/test_tuning.py.
"""

from __future__ import annotations

import pytest

from alignn_nb.cli import main
from tests.support.repo import EXAMPLE_DATA

DATA = str(EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--param", "hidden_features=0:8"],
            "hidden_features=0:8: hidden_features = 0 refused: "
            "hidden_features must be an integer >= 1",
        ),
        (["--param", "hiden=1:2"], "hiden=1:2: no field 'hiden' to tune; known fields: name, "),
        (["--param", "cutoff=6:4"], "cutoff=6:4: cutoff: LOW 6 is above HIGH 4"),
        (
            ["--param", "lighten_edges=yes"],
            "lighten_edges=yes: one value is no search: give lighten_edges=a,b or use --set yes",
        ),
        ([], "nothing to tune: give at least one --param FIELD=LOW:HIGH"),
        (
            ["--param", "cutoff=4:6", "--set", "learning_rate=0"],
            "learning_rate = 0 refused: learning_rate must be a finite number > 0.0",
        ),
        (["--param", "cutoff=4:6", "--set", "cutof=4"], "--set cutof=4: no field 'cutof'"),
        (
            ["--param", "cutoff=4:6", "--scheduler", "localhost:8786"],
            "scheduler 'localhost:8786' refused: an address looks like tcp://HOST:PORT",
        ),
    ],
)
def test_a_bad_sweep_exits_2_with_one_line_before_anything_runs(tmp_path, capsys, extra, message):
    storage = tmp_path / "study.journal"
    argv = ["sweep", "--data", DATA, "--trials", "2", "--steps", "2", "--storage", str(storage)]
    assert main([*argv, *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"alignn-nb sweep: error: {message}")
    assert captured.err.count("\n") == 1
    assert not storage.exists()
