"""What an `UploadButton`'s page side sends, as the kernel receives it."""

from __future__ import annotations

import math

from alignn_nb.widgets.upload import UploadButton


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
