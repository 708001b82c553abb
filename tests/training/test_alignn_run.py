"""Loading a trained run: alignn's output folder, refusals that run nothing, and
alignn-nb's own training runs."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.config.alignn_export import save_alignn_config
from alignn_nb.model.build import build_model
from alignn_nb.training.alignn_run import from_training, load_run, run_dataset
from alignn_nb.training.datasets import Dataset, Skipped, load_dataset
from alignn_nb.training.example_data import default_dataset

PURE = {
    "name": "alignn_atomwise_pure",
    "alignn_layers": 1,
    "gcn_layers": 1,
    "hidden_features": 16,
    "embedding_features": 16,
}


class _Hostile:
    """Unpickling this would create the file ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _folder(tmp_path: Path, **fields) -> tuple[Path, ALIGNNAtomWiseConfig]:
    """An output folder with a pure-model config.json (no DGL needed) and no weights yet."""
    cfg = ALIGNNAtomWiseConfig(**{**PURE, **fields})
    folder = tmp_path / "run"
    folder.mkdir()
    save_alignn_config(folder / "config.json", cfg, GraphConfig(neighbor_strategy="pure_torch"))
    return folder, cfg


def test_a_hostile_pickle_as_best_model_is_refused_and_runs_nothing(tmp_path):
    folder, _ = _folder(tmp_path)
    marker = tmp_path / "marker"
    torch.save({"fc.weight": _Hostile(marker)}, folder / "best_model.pt")
    assert not marker.exists()
    with pytest.raises(ValueError) as refused:
        load_run(folder)
    assert str(refused.value) == (
        "best_model.pt needs more than tensors to load (it asks for io.open): refused, nothing "
        "in it was run; alignn's best_model.pt, last_model.pt and current_model.pt are plain "
        "state dicts"
    )
    assert not marker.exists()
    with pytest.raises(FileNotFoundError):  # the pickle really creates it when run
        marker.stat()
    pickle.loads(pickle.dumps(_Hostile(marker))).close()
    assert marker.exists()


def test_weights_that_do_not_fit_the_config_name_the_parameters(tmp_path):
    folder, cfg = _folder(tmp_path)
    wider = cfg.copy()
    wider.update(hidden_features=cfg.hidden_features * 2)
    torch.save(build_model(wider, seed=0).state_dict(), folder / "best_model.pt")
    with pytest.raises(ValueError, match=r"best_model\.pt does not fit the config's model: ") as e:
        load_run(folder)
    assert f"fc.weight is [1, {2 * cfg.hidden_features}] in the file but [1, " in str(e.value)
    state = build_model(cfg, seed=0).state_dict()
    del state["fc.bias"]
    state["extra"] = torch.zeros(1)
    torch.save(state, folder / "last_model.pt")
    with pytest.raises(ValueError, match=r"missing fc\.bias; not in the config's model: extra$"):
        load_run(folder, "last_model.pt")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([1, 2], "best_model.pt holds list, not a model's state dict of tensors"),
        ({"epoch": 3}, "best_model.pt holds a dict of epoch, not a model's state dict"),
        (b"not a torch file", "best_model.pt is not a torch weights file: "),
    ],
)
def test_files_that_are_not_state_dicts_are_refused(tmp_path, content, message):
    folder, _ = _folder(tmp_path)
    if isinstance(content, bytes):
        (folder / "best_model.pt").write_bytes(content)
    else:
        torch.save(content, folder / "best_model.pt")
    with pytest.raises(ValueError, match=message):
        load_run(folder)


def test_missing_folder_config_and_weights_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no alignn output folder at .*nowhere"):
        load_run(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"has no config\.json; alignn's train_dgl"):
        load_run(tmp_path)
    folder, cfg = _folder(tmp_path)
    torch.save(build_model(cfg, seed=0).state_dict(), folder / "current_model.pt")
    with pytest.raises(FileNotFoundError, match=r"no weights file .*best_model.pt; .* holds "):
        load_run(folder)
    run = load_run(folder, "current_model.pt")
    assert run.weights == folder / "current_model.pt" and run.ids is None
    assert run.history is None


def test_a_split_needs_the_runs_ids_and_the_datas_structures(tmp_path):
    folder, cfg = _folder(tmp_path)
    torch.save(build_model(cfg, seed=0).state_dict(), folder / "best_model.pt")
    dataset = default_dataset(size=3)
    with pytest.raises(ValueError, match=r"records no split \(ids_train_val_test.json is "):
        load_run(folder).split(dataset, "test")
    ids = {"id_train": ["Cu-00"], "id_val": ["Al-01"], "id_test": ["Cu-02", "X-1", "X-2"]}
    (folder / "ids_train_val_test.json").write_text(json.dumps(ids))
    run = load_run(folder)
    assert [s.id for s in run.split(dataset, "val")] == ["Al-01"]
    assert len(run.split(dataset, "all")) == 3
    with pytest.raises(ValueError, match=r"lacks 2 of the 3 test ids of run \(X-1, X-2\)"):
        run.split(dataset, "test")
    twice = Dataset("twice", (*dataset.samples, dataclasses.replace(dataset[1], id="Cu-00")))
    with pytest.raises(ValueError) as refused:
        run.split(twice, "train")
    assert str(refused.value) == (
        "1 of the train ids name several structures in twice (Cu-00 ×2): alignn's "
        "ids_train_val_test.json cannot say which; use split 'all'"
    )
    assert [s.id for s in run.split(twice, "val")] == ["Al-01"]


def test_a_split_leaves_out_the_structures_the_data_could_not_read(tmp_path):
    folder, cfg = _folder(tmp_path)
    torch.save(build_model(cfg, seed=0).state_dict(), folder / "best_model.pt")
    ids = {"id_train": ["Cu-00"], "id_val": ["Al-01"], "id_test": ["Cu-02", "bad", "X-1"]}
    (folder / "ids_train_val_test.json").write_text(json.dumps(ids))
    run = load_run(folder)
    unread = (Skipped("bad", "coords contains NaN or infinity"), Skipped("other", "no atoms"))
    dataset = dataclasses.replace(default_dataset(size=3), skipped=unread)
    with pytest.raises(ValueError, match=r"lacks 1 of the 3 test ids of run \(X-1\)"):
        run.split(dataset, "test")
    ids["id_test"].remove("X-1")
    (folder / "ids_train_val_test.json").write_text(json.dumps(ids))
    run = load_run(folder)
    test = run.split(dataset, "test")
    assert [s.id for s in test] == ["Cu-02"]
    assert test.skipped == unread[:1]
    assert run.split(dataset, "val").skipped == ()
    assert run.split(dataset, "all").skipped == unread
    ids["id_test"].remove("Cu-02")
    (folder / "ids_train_val_test.json").write_text(json.dumps(ids))
    with pytest.raises(ValueError) as refused:
        load_run(folder).split(dataset, "test")
    assert str(refused.value) == (
        "every test structure of run was skipped in default (EMT Cu/Al, seed 0) "
        "(bad: coords contains NaN or infinity)"
    )


def test_alignn_nbs_own_training_run_loads_with_its_weights():
    from alignn_nb.training.runs import train

    cfg, graph = ALIGNNAtomWiseConfig(**PURE), GraphConfig(neighbor_strategy="pure_torch")
    trained = train(default_dataset(size=2), cfg, graph, steps=1)
    run = from_training(trained, graph)
    model = run.model()
    for name, value in trained.model.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name
    assert run.folder is None and run.ids is None


def test_run_data_keeps_repeated_entries_as_alignn_did(tmp_path):
    from tests.alignn_training import write_id_prop

    folder, cfg = _folder(tmp_path)
    torch.save(build_model(cfg, seed=0).state_dict(), folder / "best_model.pt")
    dataset = default_dataset(size=2)
    twice = Dataset("twice", (*dataset.samples, dataclasses.replace(dataset[0], id="again")))
    path = write_id_prop(tmp_path / "data", twice, per_atom=True)
    assert len(load_dataset(path, energy="per_atom")) == 2
    loaded = run_dataset(load_run(folder), path.parent)
    assert [s.id for s in loaded] == [dataset[0].id, dataset[1].id, "again"]
    assert loaded[2].targets.energy == pytest.approx(dataset[0].targets.energy, rel=1e-12)
