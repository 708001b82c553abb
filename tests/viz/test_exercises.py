"""The notebook's exercises: each check passes the right answer and fails wrong ones, and
the right answers are the counts alignn's own builder and model give."""

from __future__ import annotations

import pytest

from alignn_nb.config import GraphConfig
from alignn_nb.graphs import alignn_graphs
from alignn_nb.structures import example
from alignn_nb.viz import EXERCISES, Verdict, check

RIGHT = {"si_triplets": 32, "strongest_bin": 23, "self_pairs": 144}


@pytest.mark.parametrize(
    ("name", "answer"), [*RIGHT.items(), ("si_triplets", "32"), ("si_triplets", 32.0)]
)
def test_the_right_answer_is_right(name, answer):
    verdict = check(name, answer)
    assert verdict.correct is True
    assert verdict.message.startswith(f"{RIGHT[name]}: ")
    assert "✔ right" in verdict._repr_html_()


@pytest.mark.parametrize(
    ("name", "answer", "hint"),
    [
        ("si_triplets", 16, "that is the count around one atom; the cell has two."),
        ("si_triplets", 33, "count the bonds arriving at an atom and the bonds leaving it."),
        ("strongest_bin", 24, "count from 0: the first bin, centred at 0 Å, is bin 0."),
        ("self_pairs", 132, "that is DGL's count; pure_torch treats a bond"),
    ],
)
def test_a_wrong_answer_is_wrong_with_a_hint_not_the_answer(name, answer, hint):
    verdict = check(name, answer)
    assert verdict.correct is False
    assert verdict.message.startswith(f"{answer} is not it; {hint}")
    assert str(RIGHT[name]) not in verdict.message
    assert "✘ not yet" in verdict._repr_html_()


@pytest.mark.parametrize("answer", ["thirty-two", 32.5, True, None, "<b>32</b>"])
def test_an_answer_that_is_no_whole_number_is_wrong_and_escaped(answer):
    verdict = check("si_triplets", answer)
    assert verdict == Verdict("si_triplets", False, f"answer with a whole number (got {answer!r}).")
    assert "<b>32" not in verdict._repr_html_()


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(KeyError, match="no exercise 'x'; the exercises are si_triplets, "):
        check("x", 1)


@pytest.mark.dgl
def test_the_graph_answers_are_alignns_own_counts():
    si = alignn_graphs(example("Si"), GraphConfig(max_neighbors=4))
    assert si.lg.num_edges() == EXERCISES["si_triplets"].solve() == 32
    cu = alignn_graphs(example("Cu"), GraphConfig(neighbor_strategy="radius_graph", cutoff=3.0))
    assert cu.lg.num_edges() == 132
    pure = alignn_graphs(example("Cu"), GraphConfig(neighbor_strategy="pure_torch", cutoff=3.0))
    assert pure.lg.num_edges() == EXERCISES["self_pairs"].solve() == 144
