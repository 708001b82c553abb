"""`ExerciseBox`: one exercise of the teaching notebook with an answer box and a check.

In Voilà (Binder's start page) the notebook's code is hidden, so a student cannot edit a
``check(...)`` call; the box takes the answer on the page. A reader without a kernel
(an HTML copy) sees the question as HTML instead of the widget.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from traitlets import Instance, Unicode

from alignn_nb.viz import EXERCISES, Verdict, check


class ExerciseBox(widgets.VBox):
    """The question, a text box for the answer and a Check button; Enter checks too.

    Args:
        exercise: the exercise's name in `alignn_nb.viz.exercises.EXERCISES`.
        answer: an answer to check at once (e.g. one typed into the notebook); None for
            an empty box.

    Raises:
        KeyError: for an unknown exercise, naming the known ones.

    ``feedback_html`` is the child that shows the last verdict.
    """

    exercise = Unicode(help="The exercise's name in EXERCISES.")
    verdict = Instance(Verdict, allow_none=True, help="The last check; None before the first.")

    def __init__(self, exercise: str, answer: Any = None, **kwargs: Any) -> None:
        if exercise not in EXERCISES:
            raise KeyError(f"no exercise {exercise!r}; the exercises are {', '.join(EXERCISES)}")
        super().__init__(**kwargs)
        self.exercise = exercise
        self.answer = widgets.Text(
            "" if answer is None else str(answer),
            placeholder="a whole number",
            description="answer",
            continuous_update=False,
        )
        self.button = widgets.Button(description="check", button_style="primary")
        self.feedback_html = widgets.HTML()
        self.add_class("alignn-nb-exercise")
        self.button.on_click(self._on_click)
        self.answer.observe(self._on_answer, "value")
        self.children = [
            widgets.HTML(self._question_html()),
            widgets.HBox([self.answer, self.button]),
            self.feedback_html,
        ]
        if answer is not None:
            self.check()

    def _on_click(self, button: widgets.Button) -> None:
        self.check()

    def _on_answer(self, change: dict) -> None:
        self.check()

    def _question_html(self) -> str:
        question = html.escape(EXERCISES[self.exercise].question)
        return f"<div class='alignn-nb-question' style='font-size:14px'>{question}</div>"

    def check(self) -> Verdict:
        """Check the answer in the box and show whether it is right."""
        self.verdict = check(self.exercise, self.answer.value)
        self.feedback_html.value = self.verdict._repr_html_()
        return self.verdict

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs))
        shown = self.verdict._repr_html_() if self.verdict else ""
        bundle["text/html"] = self._question_html() + shown
        return bundle

    def __repr__(self) -> str:
        state = "not checked" if self.verdict is None else repr(self.verdict)
        return f"ExerciseBox({self.exercise}: {state})"
