"""A dataset file cut into its entries' raw bytes, without parsing the entries.

A scan's driver reads a file block by block and hands each entry's bytes to a worker,
which parses them (`json_item`, `extxyz_atoms`): the driver never holds more than a
block and one entry, and spends no time on parsing.

- `split_json_array` finds the top-level elements of a JSON list (alignn's id_prop.json)
  with a few numpy passes per block: quotes not escaped by a backslash open and close
  strings, brackets outside strings change the depth, and a comma or the closing bracket
  at depth 1 ends an element. Each element is then parsed on its own by Python's
  ``json`` (as alignn's ``json.load`` reads the file, so ``NaN`` is read as a number and
  refused later as a target, never as the whole file).
- `split_extxyz` cuts an extxyz file into frames by their atom-count lines.

Offsets are byte positions in the (decompressed) stream.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

BLOCK = 1 << 20
"""Bytes read at a time."""
_QUOTE, _BACKSLASH, _COMMA = ord('"'), ord("\\"), ord(",")
_OPEN = (ord("["), ord("{"))
_CLOSE = (ord("]"), ord("}"))
_WHITE = b" \t\r\n"


class NotAList(ValueError):
    """The file is not a JSON list of entries."""


def _unescaped_quotes(data: np.ndarray) -> np.ndarray:
    """Positions of the quotes not preceded by an odd run of backslashes."""
    quotes = np.flatnonzero(data == _QUOTE)
    after = quotes[(quotes > 0) & (data[np.maximum(quotes - 1, 0)] == _BACKSLASH)]
    if not len(after):
        return quotes
    escaped = []
    for quote in after.tolist():  # rare: a quote right after a backslash
        run = 0
        while quote - run - 1 >= 0 and data[quote - run - 1] == _BACKSLASH:
            run += 1
        if run % 2:
            escaped.append(quote)
    return np.setdiff1d(quotes, np.array(escaped, dtype=np.int64), assume_unique=True)


def _boundaries(data: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(positions of element ends, their kinds (0 comma, 1 closing bracket), final depth)
    for ``data`` scanned from outside any string at ``depth``."""
    quotes = _unescaped_quotes(data)
    opening = (data == _OPEN[0]) | (data == _OPEN[1])
    closing = (data == _CLOSE[0]) | (data == _CLOSE[1])
    marks = np.flatnonzero(opening | closing | (data == _COMMA))
    marks = marks[np.searchsorted(quotes, marks) % 2 == 0]  # outside strings
    step = opening[marks].astype(np.int64) - closing[marks]
    after = depth + np.cumsum(step)
    before = after - step
    ends = ((step == 0) & (before == 1)) | ((step < 0) & (after == 0))
    if (after < 0).any():
        raise NotAList("a closing bracket without its opening one")
    final = int(after[-1]) if len(after) else depth
    return marks[ends], (step[ends] != 0).astype(np.int8), final


def json_blocks(
    stream: IO[bytes], name: str, block: int = BLOCK
) -> Iterator[tuple[int, bytes, np.ndarray, np.ndarray]]:
    """The elements of the JSON list in ``stream``, a block at a time: ``(offset, data,
    starts, ends)`` where element ``e`` is ``data[starts[e]:ends[e]]`` (whitespace
    stripped) and ``offset`` is where ``data`` begins in the stream. An empty element
    (``[1,,2]``) is listed too, as no bytes, which are not valid JSON.

    Raises:
        ValueError: naming ``name``, when the stream does not hold one JSON list (something
            else first, something after it, or a list never closed).
    """
    data = stream.read(block)
    body = data.lstrip(_WHITE)
    if body[:1] != b"[":
        found = repr(body[:20].decode(errors="replace")) if body else "nothing"
        raise ValueError(
            f"{name}: expected a JSON list of entries like alignn's id_prop.json, found {found}"
        )
    position = len(data) - len(body) + 1
    data, size = body[1:], block
    while True:
        array = np.frombuffer(data, dtype=np.uint8)
        try:
            seps, kinds, _ = _boundaries(array, 1)
        except NotAList as failure:
            raise ValueError(f"{name} is not valid JSON: {failure}") from None
        closing = np.flatnonzero(kinds == 1)
        if len(closing):
            seps, kinds = seps[: closing[0] + 1], kinds[: closing[0] + 1]
        starts, ends = _stripped(array, np.concatenate([[0], seps[:-1] + 1]), seps)
        listed = (kinds == 0) | (ends > starts)  # "]" after nothing ends the list only
        if listed.any():
            yield position, data, starts[listed], ends[listed]
        if len(closing):
            _check_tail(data[int(seps[-1]) + 1 :], stream, name)
            return
        used = int(seps[-1]) + 1 if len(seps) else 0
        position += used
        size = block if len(seps) else 2 * size  # an entry larger than a block
        more = stream.read(size)
        if not more:
            raise ValueError(f"{name} is not valid JSON: the list is never closed")
        data = data[used:] + more


def _white(array: np.ndarray, at: np.ndarray) -> np.ndarray:
    found = array[at]
    return (found == 32) | (found == 10) | (found == 13) | (found == 9)


def _stripped(
    array: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The spans ``[starts, ends)`` without leading and trailing whitespace."""
    starts, ends = starts.astype(np.int64), ends.astype(np.int64)
    while True:
        move = starts < ends
        move[move] = _white(array, starts[move])
        if not move.any():
            break
        starts = starts + move
    while True:
        move = ends > starts
        move[move] = _white(array, ends[move] - 1)
        if not move.any():
            break
        ends = ends - move
    return starts, ends


def split_json_array(
    stream: IO[bytes], name: str, block: int = BLOCK
) -> Iterator[tuple[int, bytes]]:
    """``(offset, bytes)`` of each element of the JSON list in ``stream``, in order (see
    `json_blocks`)."""
    for offset, data, starts, ends in json_blocks(stream, name, block):
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            yield offset + start, data[start:end]


def _check_tail(rest: bytes, stream: IO[bytes], name: str) -> None:
    while True:
        if rest.strip(_WHITE):
            raise ValueError(f"{name} is not valid JSON: more follows the list of entries")
        rest = stream.read(BLOCK)
        if not rest:
            return


def json_item(raw: bytes) -> Any:
    """One entry's bytes parsed as Python's ``json`` (alignn's ``json.load``) parses them.

    Raises:
        ValueError: naming the JSON error.
    """
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as failure:
        raise ValueError(f"the entry is not valid JSON: {failure}") from None


def split_extxyz(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(offset, bytes)`` of each frame of an extxyz file: a line with the atom count, a
    comment line and one line per atom. A frame whose count line is not a number ends the
    file: the rest is yielded as one last piece (which ASE then refuses)."""
    offset = 0
    while True:
        first = stream.readline()
        if not first:
            return
        if not first.strip():
            offset += len(first)
            continue
        try:
            count = int(first.split()[0])
        except ValueError:
            yield offset, first + stream.read()
            return
        lines = [first, stream.readline()]
        lines += [stream.readline() for _ in range(max(count, 0))]
        frame = b"".join(lines)
        yield offset, frame
        offset += len(frame)


def extxyz_atoms(raw: bytes) -> Any:
    """One frame's bytes read by ASE (``ase.io.read``, extxyz) as ``ase.Atoms``.

    Raises:
        ValueError: quoting ASE's reason.
    """
    from ase.io import read

    try:
        return read(io.StringIO(raw.decode()), index=0, format="extxyz")
    except Exception as failure:  # ASE raises many types for a malformed frame
        raise ValueError(str(failure) or type(failure).__name__) from None
