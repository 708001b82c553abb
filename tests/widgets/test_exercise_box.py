"""ExerciseBox: an answer typed on the page is checked, and a kernel-less copy gets HTML."""

from __future__ import annotations

import pytest

from alignn_nb.widgets import ExerciseBox
from alignn_nb.widgets.pictured import WIDGET_VIEW


def test_the_check_button_says_wrong_then_right():
    box = ExerciseBox("si_triplets")
    assert box.verdict is None and box.feedback_html.value == ""
    assert repr(box) == "ExerciseBox(si_triplets: not checked)"
    box.answer.value = "16"  # continuous_update=False: set on Enter, which checks
    assert box.verdict.correct is False
    assert "that is the count around one atom" in box.feedback_html.value
    box.answer.value = "32"
    box.verdict = None
    box.button.click()
    assert box.verdict.correct is True and "✔ right" in box.feedback_html.value


def test_an_answer_given_in_code_is_checked_at_once_and_shown_without_a_kernel():
    box = ExerciseBox("strongest_bin", 24)
    assert box.answer.value == "24" and box.verdict.correct is False
    bundle = box._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    assert bundle["text/html"].startswith("<div class='alignn-nb-question'")
    assert "which bin (counting from 0)" in bundle["text/html"]
    assert "✘ not yet" in bundle["text/html"]


def test_an_unknown_exercise_is_refused():
    with pytest.raises(KeyError, match="no exercise 'x'; the exercises are si_triplets, "):
        ExerciseBox("x")
