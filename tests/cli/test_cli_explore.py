"""``alignn-nb explore``: the run is checked before any server starts; a good one is handed to
Voila through one environment variable (the server itself is not started here)."""

from __future__ import annotations

import json

import pytest
import torch

from alignn_nb.cli import explore as _explore
from alignn_nb.cli import main
from alignn_nb.cli import serve as _serve


@pytest.fixture
def started(monkeypatch):
    calls = []
    monkeypatch.setattr(_serve, "run_voila", lambda command, env: calls.append((command, env)) or 0)
    return calls


def _explore_cli(capsys, *argv) -> tuple[int, str, str]:
    status = main(["explore", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


class _Hostile:
    def __reduce__(self):
        return (print, ("ran",))


def test_a_bad_folder_exits_2_with_one_line_and_starts_nothing(capsys, started, tmp_path):
    status, out, err = _explore_cli(capsys, tmp_path / "nowhere")
    assert (status, out, started) == (2, "", [])
    assert err == f"alignn-nb explore: error: no alignn output folder at {tmp_path / 'nowhere'}\n"
    status, out, err = _explore_cli(capsys, tmp_path)
    assert (status, out, started) == (2, "", [])
    assert err == (
        f"alignn-nb explore: error: {tmp_path} has no config.json; alignn's train_dgl writes "
        "it into its output_dir\n"
    )


@pytest.mark.dgl
def test_bad_weights_data_and_split_exit_2_before_any_server(
    capsys, started, alignn_trained, tmp_path
):
    out = alignn_trained.output
    torch.save(_Hostile(), tmp_path / "hostile.pt")
    cases = {
        (out, "--weights", tmp_path / "hostile.pt"): "hostile.pt needs more than tensors to load "
        "(it asks for __builtin__.print): refused, nothing in it was run; alignn's best_model.pt, "
        "last_model.pt and current_model.pt are plain state dicts",
        (out, "--data", tmp_path / "none.json"): f"no dataset file at {tmp_path / 'none.json'}",
        (out, "--split", "val"): "--split needs --data: alignn records no data folder in its run",
        (out, "--compare", tmp_path): f"{tmp_path} has no config.json; alignn's train_dgl "
        "writes it into its output_dir",
    }
    for argv, message in cases.items():
        status, printed, error = _explore_cli(capsys, *argv)
        assert (status, printed, started) == (2, "", []), argv
        assert error == f"alignn-nb explore: error: {message}\n"


@pytest.mark.dgl
def test_a_good_run_is_served_alone_with_its_paths_in_the_environment(
    capsys, started, alignn_trained
):
    argv = (alignn_trained.output, "--data", alignn_trained.data, "--weights", "last_model.pt")
    status, out, err = _explore_cli(capsys, *argv, "--split", "val")
    (command, env) = started[0]
    port = int(next(a for a in command if a.startswith("--port=")).split("=")[1])
    assert (status, err) == (0, "")
    assert out == f"alignn-nb explore: http://127.0.0.1:{port}/\n"
    assert command[1:4] == ["-m", "alignn_nb.cli.serve", str(_explore.NOTEBOOK)]
    assert _explore.NOTEBOOK.is_file() and "--Voila.ip=127.0.0.1" in command
    assert json.loads(env["ALIGNN_NB_EXPLORE"]) == {
        "folder": str(alignn_trained.output.resolve()),
        "data": str(alignn_trained.data.resolve()),
        "weights": str((alignn_trained.output / "last_model.pt").resolve()),
        "split": "val",
        "compare": "",
    }
    assert env["DGLBACKEND"] == "pytorch"


@pytest.mark.dgl
def test_a_second_run_to_compare_is_passed_on(capsys, started, alignn_trained):
    status, _, _ = _explore_cli(capsys, alignn_trained.output, "--compare", alignn_trained.output)
    request = json.loads(started[0][1]["ALIGNN_NB_EXPLORE"])
    assert status == 0 and request["compare"] == str(alignn_trained.output.resolve())
    assert request["data"] == request["split"] == ""


@pytest.mark.dgl
def test_without_a_folder_the_example_run_is_served_on_its_data(capsys, started):
    from alignn_nb.training import example_run_data, example_run_path

    status, out, err = _explore_cli(capsys)
    assert (status, err) == (0, "") and out.startswith("alignn-nb explore: http://127.0.0.1:")
    assert json.loads(started[0][1]["ALIGNN_NB_EXPLORE"]) == {
        "folder": str(example_run_path()),
        "data": str(example_run_data()),
        "weights": str(example_run_path() / "best_model.pt"),
        "split": "",
        "compare": "",
    }
