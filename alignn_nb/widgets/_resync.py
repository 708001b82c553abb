"""A page that loads while a worker thread updates its widgets still shows the newest state.

A page (Voilà, a reloaded notebook) asks the kernel for every widget's state at once, and
ipywidgets builds that reply on the kernel thread. An update sent from a worker thread
while the reply is built reaches the page before the page knows the widget, so the page
drops it and shows the older value from the reply, until the next change, which may never
come. `resync_on_display` closes that gap: the page reports each view it draws (through
ipywidgets' ``_view_count``), and on that report the kernel sends the state of every
ipywidgets control under the root again, under the same lock the worker holds while it
publishes, so the page ends with the newest values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import ipywidgets as widgets

CORE_MODULES = ("@jupyter-widgets/controls", "@jupyter-widgets/base", "@jupyter-widgets/output")
"""Models whose state is plain values, safe to send again. Others (nglview) keep a camera or
a message log that their own front end owns, and are left to it."""


def resync_on_display(root: widgets.Widget, lock: AbstractContextManager) -> None:
    """Send every core widget's state under ``root`` again whenever a page draws ``root``.

    ``lock`` must be held by whatever publishes to these widgets from another thread.
    """

    def on_view_count(change: dict[str, Any]) -> None:
        if (change["new"] or 0) > (change["old"] or 0):
            resend_states(root, lock)

    root._view_count = 0
    root.observe(on_view_count, "_view_count")


def resend_states(root: widgets.Widget, lock: AbstractContextManager) -> int:
    """Send the state of each core widget under ``root``; the number of widgets sent."""
    with lock:
        sent = [widget for widget in widget_tree(root) if widget._model_module in CORE_MODULES]
        for widget in sent:
            widget.send_state()
    return len(sent)


def widget_tree(root: widgets.Widget) -> Iterator[widgets.Widget]:
    """``root`` and every widget reachable through its synced traits, each once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        widget = stack.pop()
        if id(widget) in seen or widget.comm is None:
            continue
        seen.add(id(widget))
        yield widget
        for name in widget.keys:
            stack.extend(_widgets_in(getattr(widget, name, None)))


def _widgets_in(value: Any) -> list[widgets.Widget]:
    if isinstance(value, widgets.Widget):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, widgets.Widget)]
    return []
