"""``alignn-nb graph-stats`` and the shared ``--config`` / ``--set`` handling."""

from __future__ import annotations

import json

import ase.io
import pytest

from alignn_nb.cli import main
from alignn_nb.cli._settings import apply_settings, load_settings, parse_assignment, parse_value
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.build import build_graphs, clear_cache
from alignn_nb.structures import example
from tests.conftest import PRESETS

JSON_KEYS = {
    "atoms",
    "edges",
    "triplets",
    "backtracking_triplets",
    "edges_within_inner_cutoff",
    "triplets_removed_by_lighten_edges",
    "degree_min",
    "degree_mean",
    "degree_max",
    "cutoff_used",
    "build_seconds",
    "bytes",
    "notes",
}


@pytest.fixture(autouse=True)
def _empty_cache():
    clear_cache()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["graph-stats", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("False", False),
        ("none", None),
        ("null", None),
        ("6", 6),
        ("6.5", 6.5),
        ("1e-3", 0.001),
        ("k-nearest", "k-nearest"),
        ('"6"', "6"),
        (" cgcnn ", "cgcnn"),
    ],
)
def test_set_values_are_json_ish(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_assignment_needs_an_equals_sign():
    assert parse_assignment("cutoff = 6") == ("cutoff", 6)
    with pytest.raises(ValueError, match=r"--set 'cutoff' is not field=value"):
        parse_assignment("cutoff")


def test_settings_go_to_the_right_config_and_inputs_stay():
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    new_cfg, new_graph = apply_settings(cfg, graph, ["cutoff=6", "lighten_edges=false"])
    assert (new_graph.cutoff, new_cfg.lighten_edges) == (6.0, False)
    assert (graph.cutoff, cfg.lighten_edges) == (8.0, True)


def test_nothing_is_half_applied():
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    with pytest.raises(ValueError, match=r"^--set: lighten_edges = 'maybe' refused"):
        apply_settings(cfg, graph, ["cutoff=6", "lighten_edges=maybe"])
    assert cfg == ALIGNNAtomWiseConfig() and graph == GraphConfig()


def test_config_file_then_settings():
    cfg, graph = load_settings(PRESETS / "mlearn_Si_config_dgl.json", ["cutoff=4.5"])
    assert (graph.neighbor_strategy, graph.cutoff, graph.max_neighbors) == (
        "radius_graph",
        4.5,
        None,
    )
    assert cfg.lighten_edges is False


def test_json_holds_the_build_stats(capsys):
    status, out, err = run(capsys, "Si64", "--json")
    assert status == 0 and err == ""
    stats = json.loads(out)
    assert JSON_KEYS <= set(stats)
    expected = build_graphs(example("Si64")).stats
    for key in JSON_KEYS - {"build_seconds"}:
        assert stats[key] == expected[key], key
    assert (stats["atoms"], stats["edges"], stats["triplets"]) == (64, 818, 1024)


def test_set_changes_the_graph(capsys):
    status, out, _ = run(
        capsys, "Si64", "--json", "--set", "cutoff=6", "--set", "lighten_edges=false"
    )
    stats = json.loads(out)
    assert status == 0
    assert (stats["cutoff"], stats["lighten_edges"]) == (6.0, False)
    assert stats["triplets"] == stats["candidate_triplets"] == 10_508
    assert stats["triplets_removed_by_lighten_edges"] == 0


def test_text_output_lists_stats_then_notes(capsys):
    status, out, _ = run(capsys, "Si")
    lines = out.splitlines()
    assert status == 0
    assert lines[0].split() == ["atoms", "2"]
    assert lines[2].split() == ["triplets", "32"]
    notes = lines.index("notes:")
    assert lines[notes + 1].startswith("- max_neighbors acted as a minimum: ties at the 12th")


def test_a_structure_file(capsys, tmp_path):
    path = tmp_path / "POSCAR"
    ase.io.write(path, example("NaCl"), format="vasp")
    status, out, _ = run(capsys, str(path), "--json", "--set", "lighten_edges=false")
    assert status == 0 and json.loads(out)["edges"] == 60


def test_a_config_file(capsys):
    config = str(PRESETS / "mlearn_Si_config_dgl.json")
    status, out, _ = run(capsys, "Si", "--json", "--config", config)
    stats = json.loads(out)
    assert status == 0
    assert (stats["neighbor_strategy"], stats["cutoff"]) == ("radius_graph", 5.0)


def test_a_null_max_neighbors_says_what_it_means_here(capsys):
    config = str(PRESETS / "mlearn_Si_config_dgl.json")
    status, out, _ = run(capsys, "Si64", "--config", config)
    assert status == 0
    degree = json.loads(run(capsys, "Si64", "--config", config, "--json")[1])["degree_max"]
    (line,) = [line for line in out.splitlines() if line.startswith("max_neighbors ")]
    assert line.split(maxsplit=1)[1] == f"None (no limit; up to {degree} per atom here)"
    status, _, err = run(capsys, "Si64", "--config", config, "--budget", "10")
    assert status == 1
    assert " and max_neighbors None (no limit); the budget is 10 triplets. " in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--set", "cutof=6"],
            "alignn-nb graph-stats: error: --set cutof=6: no field 'cutof'; known",
        ),
        (
            ["--set", "cutoff=-1"],
            "alignn-nb graph-stats: error: --set: cutoff = -1 refused: cutoff (Å) must be a finite "
            "number > 0.0",
        ),
        (["--set", "max_neighbors=2.5"], "error: --set: max_neighbors = 2.5 refused"),
        (["--set", "neighbor_strategy=voronoi"], "error: --set: neighbor_strategy = 'voronoi'"),
        (["--set", "cutoff"], "error: --set 'cutoff' is not field=value"),
        (["--config", "/nowhere/config.json"], "error: --config: /nowhere/config.json:"),
    ],
)
def test_bad_settings_exit_2_with_one_line(capsys, argv, message):
    status, out, err = run(capsys, "Si", *argv)
    assert status == 2 and out == ""
    assert message in err
    assert err.count("\n") == 1


def test_unknown_structure_exits_2(capsys):
    status, _, err = run(capsys, "Fe")
    assert status == 2
    assert err == (
        "alignn-nb graph-stats: error: 'Fe' is neither a structure file nor a built-in example "
        "(Si, NaCl, Cu, graphene, H2O, Si64)\n"
    )


def test_over_budget_exits_1(capsys):
    status, _, err = run(capsys, "Si64", "--set", "lighten_edges=false", "--budget", "100")
    assert status == 1
    assert err.startswith("alignn-nb graph-stats: error: Graph too large: about")
    assert err.count("\n") == 1


def test_set_without_a_value_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["graph-stats", "Si", "--set"])
    assert exited.value.code == 2
    assert "argument --set: expected one argument" in capsys.readouterr().err
