"""What an `UploadButton`'s page side sends, as the kernel receives it; what a page shows."""

from __future__ import annotations

import html
import math
import re

import ipywidgets as widgets

from alignn_nb.widgets import UploadButton
from alignn_nb.widgets._picture import HINT_CLASS
from alignn_nb.widgets._resync import widget_tree


def page_message(button: UploadButton, content: dict, buffers: tuple[bytes, ...] = ()) -> None:
    """Deliver ``content`` (and binary ``buffers``) as a custom message from the page."""
    message = {"content": {"data": {"method": "custom", "content": content}}}
    button._handle_msg({**message, "buffers": [memoryview(b) for b in buffers]})


def page_sends(button: UploadButton, name: str, content: bytes) -> None:
    """The messages the page sends for a file it accepted: its bytes in pieces."""
    piece = button.chunk_bytes
    count = max(1, math.ceil(len(content) / piece))
    head = {"event": "chunk", "name": name, "size": len(content), "count": count}
    for index in range(count):
        bytes_ = content[index * piece : (index + 1) * piece]
        page_message(button, {**head, "index": index}, (bytes_,))


def page_refuses(button: UploadButton, name: str, size: int) -> None:
    """The message the page sends for a file it refused: its name and size only."""
    page_message(button, {"event": "refused", "name": name, "size": size})


def shown_images(root: widgets.Widget) -> list[widgets.Image]:
    """The `ipywidgets.Image` widgets a page displays under ``root``."""
    return [w for w in widget_tree(root) if isinstance(w, widgets.Image)]


def shown_hints(root: widgets.Widget) -> list[str]:
    """The text of each `Picture` hint a page displays under ``root``."""
    marker = f"<div class='{HINT_CLASS}'"
    return [
        html.unescape(re.sub(r"<[^>]+>", "", w.get_state()["value"]))
        for w in widget_tree(root)
        if isinstance(w, widgets.HTML) and w.get_state()["value"].startswith(marker)
    ]
