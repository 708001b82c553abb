"""Small trainings for the tests of ``alignn-nb train``: data, configs, the command.

`SUBSET` mlearn Si cells and the shipped example run's recipe with hidden_features 32: 16
structures train, 4 validate and 4 test, in batches of 4. On one torch thread of a quiet
core an epoch takes about 0.5 s at cutoff 3.5 Å and 1.4 s at 4 Å (long enough for a stop
to land in the epoch after the one whose line it follows); the losses are the same, since
the model's smooth cutoff (inner_cutoff 3 Å) gives the second neighbours no weight.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.repo import REPO

SUBSET = 24
QUICK = {"cutoff": 3.5}
"""Training keys of the quick runs."""
SLOW = {"cutoff": 4.0}
"""Training keys of runs with epochs long enough to stop one in its middle."""


def si_entries() -> list[dict[str, Any]]:
    """The first `SUBSET` entries of the shipped mlearn Si id_prop.json."""
    from alignn_nb.training import example_run_data

    return json.loads(example_run_data().read_text())[:SUBSET]


def write_data(folder: Path, entries: list[dict[str, Any]] | None = None) -> Path:
    """``folder/id_prop.json`` of ``entries`` (default: `si_entries`)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "id_prop.json"
    path.write_text(json.dumps(si_entries() if entries is None else entries))
    return path


def config(**changes: Any) -> dict[str, Any]:
    """The example run's recipe, hidden_features 32, 3 epochs, with top-level ``changes``."""
    from alignn_nb.training.example_run import recipe

    found = recipe()
    found.update({"epochs": 3, **QUICK, **changes})
    found["model"] = {**found["model"], "hidden_features": 32}
    found.pop("output_dir")
    return found


def tiny_config(epochs: int) -> dict[str, Any]:
    """The example run's recipe on 6/2/2 structures (10 in all) in batches of 2, 16
    features wide, at the `SLOW` cutoff (epochs long enough to stop one in its middle)."""
    from alignn_nb.training.example_run import recipe

    found = recipe()
    found.pop("output_dir")
    found.update(n_train=6, n_val=2, n_test=2, batch_size=2, epochs=epochs, **SLOW)
    found["model"] = {**found["model"], "hidden_features": 16}
    return found


def write_config(path: Path, **changes: Any) -> Path:
    path.write_text(json.dumps(config(**changes)))
    return path


THREADS = 1
"""torch threads of the test trainings: on cores shared with other work, two threads that
wait for each other make an epoch many times slower, one does not."""


def env() -> dict[str, str]:
    """The environment of an ``alignn-nb`` process running this checkout, on `THREADS`
    torch thread(s)."""
    found = dict(os.environ)
    found["OMP_NUM_THREADS"] = str(THREADS)
    found["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), found.get("PYTHONPATH")) if p)
    found["DGLBACKEND"] = "pytorch"
    return found


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "alignn_nb.cli", "train", *args]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``alignn-nb train ARGS`` in a process of its own, to its end."""
    return subprocess.run(command(*args), cwd=cwd, env=env(), capture_output=True, text=True)


def rows(folder: Path, split: str) -> list[list[float]]:
    return json.loads((folder / f"history_{split}.json").read_text())
