"""`Pictured`: a widget shown live where widgets render and as a PNG everywhere else.

A displayed widget is a bundle with the widget-view type (rendered by Jupyter and Voilà
from the live kernel) and a plain-text repr. `Pictured` adds an ``image/png`` picture to
the same bundle: frontends that can render the widget prefer it, while GitHub, nbviewer,
an HTML or PDF export (nbconvert skips a widget view whose state was not saved) and any
other reader without a kernel show the picture.
"""

from __future__ import annotations

import base64
from typing import Any

import ipywidgets as widgets

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Pictured:
    """Display ``widget`` with ``png`` as its static fallback.

    Args:
        widget: any ipywidgets widget (a `GraphView`, a `GraphExplorer`, nglview's view).
        png: PNG bytes; None asks the widget for its own picture (its ``png()`` method).

    Raises:
        ValueError: when no picture is given and the widget cannot draw one.
    """

    def __init__(self, widget: widgets.Widget, png: bytes | None = None) -> None:
        if png is None:
            draw = getattr(widget, "png", None)
            if draw is None:
                raise ValueError(f"{type(widget).__name__} has no png(): pass the picture")
            png = draw()
        if not png.startswith(b"\x89PNG"):
            raise ValueError("png must be the bytes of a PNG image")
        self.widget = widget
        self.png = png

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        return bundle

    def __repr__(self) -> str:
        return f"Pictured({self.widget!r}, {len(self.png):,} bytes of PNG)"
