"""Bad input, every verb the same: one line on stderr, exit status 2, nothing started.

Per verb (every verb that reads a file, train and check included): a missing file, a file
that is not JSON, CIF, POSCAR or extxyz, an id_prop with no readable entry, a config whose
model is eALIGNN, a value out of its bounds. ``--debug`` adds the traceback; an error no
verb expected is one line too, with exit status 70.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignn_nb.cli import INTERNAL_ERROR, main
from alignn_nb.cli import serve as _serve
from tests.real_configs import EALIGNN, EALIGNN_REFUSAL, config_data, config_path, write_run

PURE = "sample_data_ff/mlearn_data/Si/config.json"
VERBS = (
    "graph-stats",
    "loss-terms",
    "dataset-stats",
    "sweep",
    "train",
    "evaluate",
    "explore",
    "check",
)
OUT_OF_BOUNDS = "cutoff = -1 refused: cutoff (Å) must be a finite number > 0.0"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The bad inputs, a good id_prop and POSCAR, and run folders (pure Si config, eALIGNN,
    and the Si config with a cutoff of -1 Å)."""
    from tests.real_configs import write_si_inputs

    folder = tmp_path_factory.mktemp("bad")
    si, poscar = write_si_inputs(folder / "si")
    (folder / "notes.txt").write_text("hello\nthis is not a structure\n")
    (folder / "empty.json").write_text("[]")
    (folder / "unreadable.json").write_text(json.dumps([{"jid": "a"}, {"jid": "b"}]))
    negative = {**config_data(PURE), "cutoff": -1}
    (folder / "negative.json").write_text(json.dumps(negative))
    bad_run = write_run(PURE, folder / "negative_run")
    model = {**negative["model"], "hidden_features": 16}
    (bad_run / "config.json").write_text(json.dumps({**negative, "model": model}))
    return {
        "si": si,
        "poscar": poscar,
        "missing": folder / "missing.json",
        "notes": folder / "notes.txt",
        "empty": folder / "empty.json",
        "unreadable": folder / "unreadable.json",
        "negative": folder / "negative.json",
        "negative_run": bad_run,
        "run": write_run(PURE, folder / "run"),
        "ealignn_run": write_run(EALIGNN, folder / "ealignn_run"),
    }


def argv(verb: str, files: dict[str, Path], data: Path, *extra: str, run: str = "run") -> list:
    """``verb`` on ``data`` (the structure for graph-stats, else the dataset)."""
    where = {
        "graph-stats": [data],
        "loss-terms": ["--data", data],
        "dataset-stats": [data, "--no-calibrate", "--workers", "1"],
        "sweep": ["--data", data, "--param", "cutoff=4:5", "--trials", "1", "--steps", "1"],
        "evaluate": [files[run], "--data", data],
        "explore": [files[run], "--data", data],
        "check": [files[run], "--data", data, "--checks", "ev", "--workers", "1"],
        "train": ["--data", data, "--output", data.parent / "trained", "--set", "epochs=1"],
    }[verb]
    if verb == "train" and "--config" not in extra:
        where += ["--config", config_path(PURE)]
    if verb == "sweep":
        where += ["--workers", "1", "--storage", data.parent / "study.journal"]
    return [verb, *map(str, where), *extra]


@pytest.fixture
def voila(monkeypatch):
    calls: list = []
    monkeypatch.setattr(_serve, "run_voila", lambda command, env: calls.append(command) or 0)
    return calls


def refused(capsys, voila, verb: str, command: list, *parts: str) -> str:
    """Run ``command``; check one line, exit 2, nothing started; return the message."""
    status = main(command)
    out, err = capsys.readouterr()
    assert (status, out, voila) == (2, "", []), err
    assert err.startswith(f"alignn-nb {verb}: error: ") and err.count("\n") == 1, err
    for part in parts:
        assert part in err
    return err[len(f"alignn-nb {verb}: error: ") : -1]


@pytest.mark.parametrize("verb", VERBS)
def test_a_missing_file(capsys, voila, files, verb):
    path = files["missing"]
    message = refused(capsys, voila, verb, argv(verb, files, path), str(path))
    assert not (path.parent / "study.journal").exists()
    assert not (path.parent / "trained").exists()
    if verb == "graph-stats":
        assert message.startswith(f"'{path}' is neither a structure file nor a built-in")
    elif verb in ("dataset-stats", "train"):
        assert message == f"no dataset at {path}"
    else:
        assert message == f"no dataset file at {path}"


@pytest.mark.parametrize("verb", VERBS)
def test_a_file_that_is_no_structure_or_dataset(capsys, voila, files, verb):
    message = refused(capsys, voila, verb, argv(verb, files, files["notes"]), "notes.txt")
    if verb in ("dataset-stats", "train"):
        assert message == (
            "notes.txt: expected a dataset folder, alignn's id_prop.json or an extxyz file"
        )
    elif verb != "graph-stats":
        assert message == "notes.txt: expected alignn's id_prop .json or an .xyz/.extxyz file"


@pytest.mark.parametrize("which", ["empty", "unreadable"])
@pytest.mark.parametrize("verb", VERBS)
def test_an_id_prop_without_a_readable_entry(capsys, voila, files, verb, which):
    path = files[which]
    message = refused(capsys, voila, verb, argv(verb, files, path), path.name)
    if verb != "graph-stats":
        assert message.startswith(
            f"{path.name}: the dataset is empty: it holds no readable structure"
        )
    if verb != "graph-stats" and which == "empty":
        assert message == f"{path.name}: the dataset is empty: it holds no readable structure"


@pytest.mark.parametrize("verb", VERBS)
def test_an_ealignn_config_is_refused_by_name(capsys, voila, files, verb):
    data = files["poscar" if verb == "graph-stats" else "si"]
    if verb in ("evaluate", "explore", "check"):
        command = argv(verb, files, data, run="ealignn_run")
    else:
        command = argv(verb, files, data, "--config", str(config_path(EALIGNN)))
    assert refused(capsys, voila, verb, command).endswith(EALIGNN_REFUSAL)


@pytest.mark.parametrize("verb", VERBS)
def test_a_value_out_of_its_bounds(capsys, voila, files, verb):
    data = files["poscar" if verb == "graph-stats" else "si"]
    if verb in ("evaluate", "explore", "check"):
        command = argv(verb, files, data, run="negative_run")
        assert refused(capsys, voila, verb, command).endswith(OUT_OF_BOUNDS)
        return
    for extra in (["--set", "cutoff=-1"], ["--config", str(files["negative"])]):
        message = refused(capsys, voila, verb, argv(verb, files, data, *extra))
        assert message.endswith(OUT_OF_BOUNDS)


@pytest.mark.parametrize("verb", ["serve", "explore"])
def test_a_port_out_of_its_bounds(capsys, voila, files, verb):
    command = ["serve"] if verb == "serve" else argv(verb, files, files["si"])
    message = refused(capsys, voila, verb, [*command, "--port", "70000"])
    assert message == "--port 70000 refused: give 1 to 65535, or 0 for a free port"


def test_serve_refuses_a_missing_notebook(capsys, voila, tmp_path):
    command = ["serve", "--notebook", str(tmp_path / "none.ipynb")]
    assert refused(capsys, voila, "serve", command) == f"no notebook at {tmp_path / 'none.ipynb'}"


@pytest.mark.parametrize("verb", VERBS)
def test_debug_adds_the_traceback(capsys, voila, files, verb):
    status = main([*argv(verb, files, files["missing"]), "--debug"])
    out, err = capsys.readouterr()
    assert (status, out, voila) == (2, "", [])
    head, _, last = err.rstrip("\n").rpartition("\n")
    assert head.startswith("Traceback (most recent call last):")
    assert last.startswith(f"alignn-nb {verb}: error: ") and str(files["missing"]) in last


def test_an_unexpected_error_is_one_line_and_debug_shows_it(capsys, monkeypatch):
    from alignn_nb.cli import graph_stats

    def broken(name: str):
        raise TypeError(f"cannot read {name}")

    monkeypatch.setattr(graph_stats, "read_structure", broken)
    assert main(["graph-stats", "Si"]) == INTERNAL_ERROR
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        "alignn-nb graph-stats: error: unexpected TypeError: cannot read Si "
        "(--debug shows the traceback)\n",
    )
    assert main(["graph-stats", "Si", "--debug"]) == INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "TypeError: cannot read Si\n" in err
    assert err.endswith("alignn-nb graph-stats: error: unexpected TypeError: cannot read Si\n")
