"""The example run alignn-nb ships: alignn's own output folder, small, made by its recipe."""

from __future__ import annotations

import json
import os

import pytest
import torch

from alignn_nb.evaluation.run_folder import check_fit, load_state
from alignn_nb.training import example_run, example_run_data, example_run_path
from alignn_nb.training.example_run import KEPT, SUBSET, recipe, train_example_run
from tests.support.repo import REPO

MAX_BYTES = 200_000


def test_the_shipped_run_holds_what_explore_reads_and_a_readme_in_little_space():
    folder = example_run_path()
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted([*KEPT, "README.md"])
    assert sum(p.stat().st_size for p in folder.iterdir()) < MAX_BYTES
    readme = (folder / "README.md").read_text()
    assert "alignn 2026.8.11" in readme and "`make example-run`" in readme


def test_the_shipped_run_is_alignns_output_of_the_recipe_on_the_first_entries():
    folder = example_run_path()
    written = json.loads((folder / "config.json").read_text())
    wanted = recipe()
    assert {k: written[k] for k in wanted if k not in ("model", "version")} == {
        k: v for k, v in wanted.items() if k not in ("model", "version")
    }
    assert {k: written["model"][k] for k in wanted["model"]} == wanted["model"]
    assert written["output_dir"] == "mlearn_Si_run"
    ids = json.loads((folder / "ids_train_val_test.json").read_text())
    first = [str(e["jid"]) for e in json.loads(example_run_data().read_text())[:SUBSET]]
    assert ids["id_train"] + ids["id_val"] + ids["id_test"] == first
    assert [len(ids[f"id_{s}"]) for s in ("train", "val", "test")] == [16, 4, 4]
    for split in ("train", "val"):
        rows = json.loads((folder / f"history_{split}.json").read_text())
        assert len(rows) == wanted["epochs"] == 8


@pytest.mark.dgl
def test_the_shipped_weights_fit_the_config_and_the_readme_is_the_recipes():
    from alignn_nb.config import load_alignn_config

    assert (example_run_path() / "README.md").read_text() == example_run.readme()
    state = load_state(example_run_path() / "best_model.pt")
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    check_fit(state, load_alignn_config(example_run_path() / "config.json").cfg, "best_model.pt")


def test_make_example_run_runs_the_recipe():
    makefile = (REPO / "Makefile").read_text()
    assert "example-run: setup\n\t$(BIN)/python -m alignn_nb.training.example_run\n" in makefile


@pytest.mark.dgl
@pytest.mark.slow
def test_the_recipe_trains_with_alignn_and_keeps_only_what_explore_reads(tmp_path, monkeypatch):
    """The recipe cut down to 6 structures and 1 epoch, so that it runs in seconds; the
    working directory, environment and default dtype are as they were."""
    monkeypatch.setattr(example_run, "SUBSET", 6)
    small = {"n_train": 4, "n_val": 1, "n_test": 1, "epochs": 1, "batch_size": 2}
    monkeypatch.setattr(example_run, "CHANGES", {**example_run.CHANGES, **small})
    where, environ = os.getcwd(), dict(os.environ)
    made = train_example_run(tmp_path / "run")
    assert (os.getcwd(), dict(os.environ), torch.get_default_dtype()) == (
        where,
        environ,
        torch.float32,
    )
    assert sorted(p.name for p in made.iterdir()) == sorted([*KEPT, "README.md"])
    ids = json.loads((made / "ids_train_val_test.json").read_text())
    assert ids == {"id_train": ["1", "2", "3", "4"], "id_val": ["5"], "id_test": ["6"]}
    assert len(json.loads((made / "history_val.json").read_text())) == 1
    assert "the first 6 entries" in (made / "README.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
