"""A child process's pipes: the frames it and its parent talk in, and its output streams.

Frames are length-prefixed pickles: an 8-byte big-endian length and a pickle of that many
bytes. Only a parent and the child it started read each other's frames, so pickle's trust
is theirs. `OutputTail` splits a child's stdout or stderr into lines, keeps its tail and
logs all of it.
"""

from __future__ import annotations

import pickle
import struct
from collections import deque
from typing import Any, BinaryIO

HEADER = struct.Struct(">Q")


def pack(value: Any) -> bytes:
    """One frame holding ``value``.

    Raises:
        TypeError: when ``value`` cannot be pickled (a lambda, a local function, a lock).
    """
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as failure:
        raise TypeError(f"cannot be pickled: {failure}") from failure
    return HEADER.pack(len(data)) + data


def read_frame(stream: BinaryIO) -> Any:
    """The next frame's value from a blocking ``stream``.

    Raises:
        EOFError: when the stream ends before a whole frame.
    """
    header = _read_exactly(stream, HEADER.size)
    (size,) = HEADER.unpack(header)
    return pickle.loads(_read_exactly(stream, size))


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError("the stream ended inside a frame")
        data += chunk
    return data


class FrameBuffer:
    """Collects bytes as they arrive and hands back the whole frames among them."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """The pickled payloads completed by ``data``, in order (unpickle each with
        `pickle.loads`; one that fails does not spoil the others)."""
        self._buffer += data
        payloads = []
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            payloads.append(bytes(self._buffer[HEADER.size : end]))
            del self._buffer[:end]
        return payloads

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame."""
        return len(self._buffer)


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
