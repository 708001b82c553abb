"""`UploadButton`: one file from the page to the kernel, refused in the browser when too big.

ipywidgets' ``FileUpload`` reads the chosen file and sends it as one message whatever its
size; a message above the server's websocket limit (tornado's default is 10 MiB) closes
the kernel's websocket and the page loses its state. This button's page side checks the
file's name and size first and sends only the name and size of a file it refuses. An
accepted file goes in messages of `CHUNK_BYTES` (binary buffers), so no server setting
limits an upload below `max_bytes`. The kernel checks the name, size and pieces again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anywidget
from ipywidgets import CallbackDispatcher
from traitlets import Bool, Int, List, TraitError, Unicode, validate

from alignn_nb.structures import (
    MAX_UPLOAD_BYTES,
    accepted_text,
    accepts,
    name_refusal,
    size_refusal,
)

CHUNK_BYTES = 1024 * 1024
"""Bytes per message: far below tornado's default 10 MiB websocket message limit."""
MAX_CHUNK_BYTES = 8 * 1024 * 1024
"""The most `UploadButton.chunk_bytes` may be: a piece and its header stay under 10 MiB."""

_ESM = """
function accepted(name, suffixes, names) {
  if (!suffixes.length && !names.length) return true;
  const base = name.split(/[\\\\/]/).pop();
  return (
    suffixes.some((s) => base.toLowerCase().endsWith(s.toLowerCase())) ||
    names.some((n) => base.toUpperCase().startsWith(n.toUpperCase()))
  );
}

async function sendInPieces(model, file) {
  const piece = model.get("chunk_bytes");
  const count = Math.max(1, Math.ceil(file.size / piece));
  for (let index = 0; index < count; index++) {
    const bytes = await file.slice(index * piece, (index + 1) * piece).arrayBuffer();
    const head = { event: "chunk", name: file.name, size: file.size, index, count };
    model.send(head, undefined, [bytes]);
  }
}

function render({ model, el }) {
  const input = document.createElement("input");
  input.type = "file";
  input.style.display = "none";
  const button = document.createElement("button");
  button.className = "jupyter-widgets jupyter-button widget-button alignn-nb-upload";
  const icon = document.createElement("i");
  const label = document.createElement("span");
  button.append(icon, label);
  el.append(button, input);
  let sending = false;
  const sync = () => {
    input.accept = model.get("accept_names").length ? "" : model.get("accept").join(",");
    icon.className = model.get("icon") ? `fa fa-${model.get("icon")}` : "";
    const text = model.get("description");
    label.textContent = sending ? `${text} (sending…)` : text;
    button.title = model.get("tooltip");
    button.disabled = model.get("disabled") || sending;
  };
  const choose = async () => {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    const named = accepted(file.name, model.get("accept"), model.get("accept_names"));
    if (!named || file.size > model.get("max_bytes")) {
      model.send({ event: "refused", name: file.name, size: file.size });
      return;
    }
    sending = true;
    sync();
    try {
      await sendInPieces(model, file);
    } finally {
      sending = false;
      sync();
    }
  };
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", choose);
  const traits = ["accept", "accept_names", "icon", "description", "tooltip", "disabled"];
  for (const name of traits) model.on(`change:${name}`, sync);
  sync();
  return () => {
    for (const name of traits) model.off(`change:${name}`, sync);
  };
}

export default { render };
"""


_CSS = ".alignn-nb-upload.widget-button { width: auto; }"


@dataclass
class _Incoming:
    """A file arriving in pieces."""

    name: str
    size: int
    count: int
    pieces: list[bytes] = field(default_factory=list)
    received: int = 0

    @property
    def head(self) -> tuple[str, int, int]:
        """What each piece's message repeats: the name, size and count."""
        return self.name, self.size, self.count


class UploadButton(anywidget.AnyWidget):
    """A button that uploads one file; the page refuses a bad name or size before sending.

    A file is accepted when its name ends with one of `accept` or starts with one of
    `accept_names` (both case-insensitive; with neither, any name) and it has at most
    `max_bytes` bytes. For an accepted file the `on_file` callbacks get ``(name,
    content)``; for a refused one `error` says why and the `on_refused` callbacks get
    that message. Nothing else changes either way.
    """

    _esm = _ESM
    _css = _CSS
    accept = List(
        Unicode(), help="File suffixes accepted, e.g. ['.json']; also the file dialog's filter."
    ).tag(sync=True)
    accept_names = List(
        Unicode(),
        help="File-name starts accepted whatever the suffix, e.g. ['POSCAR']; with any, the "
        "file dialog shows every file.",
    ).tag(sync=True)
    max_bytes = Int(MAX_UPLOAD_BYTES, min=1, help="The largest file accepted, in bytes.").tag(
        sync=True
    )
    chunk_bytes = Int(
        CHUNK_BYTES,
        min=1,
        max=MAX_CHUNK_BYTES,
        help="Bytes per message from the page; at most 8 MiB, under tornado's default limit.",
    ).tag(sync=True)
    description = Unicode("Upload", help="The button's text.").tag(sync=True)
    icon = Unicode("upload", help="A Font Awesome icon name shown before the text, or empty.").tag(
        sync=True
    )
    tooltip = Unicode("", help="The button's hover text.").tag(sync=True)
    disabled = Bool(False, help="Grey out the button.").tag(sync=True)
    kind = Unicode("a file this button takes", help="What the button takes, named in refusals.")
    accept_text = Unicode(
        "", help="What is accepted, as refusals say it; empty: worded from the two lists."
    )
    error = Unicode("", help="Why the last file was refused; empty after an accepted file.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._file_handlers = CallbackDispatcher()
        self._refusal_handlers = CallbackDispatcher()
        self._incoming: _Incoming | None = None
        self.on_msg(self._on_page_message)

    @validate("accept")
    def _validate_accept(self, proposal: dict) -> list[str]:
        bad = [s for s in proposal["value"] if not s.startswith(".") or len(s) < 2]
        if bad:
            raise TraitError(f"accept takes file suffixes such as '.json', not {bad}")
        return proposal["value"]

    def _on_page_message(self, _: Any, content: Any, buffers: list) -> None:
        """A refused file's name and size, or one piece of an accepted file."""
        if not isinstance(content, dict):
            return
        try:
            name, size = str(content["name"]), int(content["size"])
            if content.get("event") == "refused":
                self._refuse(self.check(name, size) or f"{name} was refused by the page")
            elif content.get("event") == "chunk":
                piece = bytes(buffers[0]) if buffers else b""
                self._receive(name, size, int(content["index"]), int(content["count"]), piece)
        except (KeyError, TypeError, ValueError):
            self._incoming = None

    def _receive(self, name: str, size: int, index: int, count: int, piece: bytes) -> None:
        if index == 0:
            self._incoming = None
            refusal = self.check(name, size)
            if refusal:
                self._refuse(refusal)
                return
            self._incoming = _Incoming(name, size, count)
        incoming = self._incoming
        if incoming is None or (name, size, count) != incoming.head:
            return
        if index != len(incoming.pieces) or incoming.received + len(piece) > size:
            self._incoming = None
            self._refuse(f"{name} arrived incomplete; upload it again")
            return
        incoming.pieces.append(piece)
        incoming.received += len(piece)
        if index + 1 == count:
            self._finish(incoming)

    def _finish(self, incoming: _Incoming) -> None:
        self._incoming = None
        if incoming.received != incoming.size:
            self._refuse(f"{incoming.name} arrived incomplete; upload it again")
            return
        self.error = ""
        self._file_handlers(incoming.name, b"".join(incoming.pieces))

    def _refuse(self, message: str) -> None:
        self.error = message
        self._refusal_handlers(message)

    def check(self, name: str, size: int) -> str:
        """Why a file named ``name`` of ``size`` bytes would be refused, or empty."""
        if not accepts(name, self.accept, self.accept_names):
            listed = self.accept_text or accepted_text(self.accept, self.accept_names)
            return name_refusal(name, self.kind, listed)
        if size > self.max_bytes:
            return size_refusal(name, size, self.max_bytes)
        return ""

    def on_file(self, callback: Callable[[str, bytes], Any], remove: bool = False) -> None:
        """Call ``callback(name, content)`` for each accepted file (or stop, with ``remove``)."""
        self._file_handlers.register_callback(callback, remove=remove)

    def on_refused(self, callback: Callable[[str], Any], remove: bool = False) -> None:
        """Call ``callback(message)`` for each refused file (or stop, with ``remove``)."""
        self._refusal_handlers.register_callback(callback, remove=remove)
