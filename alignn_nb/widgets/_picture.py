"""`Picture`: a PNG, or a sentence saying what to do until there is one.

An `ipywidgets.Image` with no bytes draws as a broken image in the page. A `Picture`
holds its `image` only while `value` has bytes; until then it shows its `hint` (as text),
or nothing when the hint is empty.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from traitlets import Bytes, Unicode, observe

HINT_CLASS = "alignn-nb-hint"
"""The CSS class of a hint's ``<div>``."""


class Picture(widgets.VBox):
    """A PNG picture (`image`, shown while `value` holds bytes) or its `hint`."""

    value = Bytes(b"", help="The PNG on display; empty shows `hint` instead.")
    hint = Unicode("", help="What to do to get a picture, shown while there is none.")

    def __init__(self, hint: str = "", max_width: str = "640px", **kwargs: Any) -> None:
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width=max_width))
        self._hint_html = widgets.HTML()
        super().__init__(**kwargs)
        self.hint = hint
        self._render()

    @observe("value", "hint")
    def _on_value_changed(self, change: dict) -> None:
        self._render()

    def _render(self) -> None:
        self.image.value = self.value
        text = html.escape(self.hint)
        self._hint_html.value = f"<div class='{HINT_CLASS}' style='color:#666'>{text}</div>"
        shown: tuple[widgets.Widget, ...] = ()
        if self.value:
            shown = (self.image,)
        elif self.hint:
            shown = (self._hint_html,)
        self.children = shown
