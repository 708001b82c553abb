"""A child process's output stream: split into lines, its tail kept, all of it logged."""

from __future__ import annotations

from collections import deque
from typing import BinaryIO


class OutputTail:
    """The last ``lines`` lines of one stream (decoded as UTF-8, undecodable bytes
    replaced); every byte also goes to ``log`` when one is given."""

    def __init__(self, lines: int, log: BinaryIO | None = None) -> None:
        self.lines: deque[str] = deque(maxlen=lines)
        self.log = log
        self._partial = b""

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the stream."""
        if self.log is not None:
            self.log.write(data)
            self.log.flush()
        *whole, self._partial = (self._partial + data).split(b"\n")
        self.lines.extend(_decode(line) for line in whole)

    def close(self) -> None:
        """The stream ended: keep its last line even without a newline."""
        if self._partial:
            self.lines.append(_decode(self._partial))
            self._partial = b""


def _decode(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r")
