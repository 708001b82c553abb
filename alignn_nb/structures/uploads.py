"""Uploaded files (a name and its bytes) to structures and configs, safely.

Uploads are parsed, never evaluated or unpickled: structures by ASE's text readers,
configs by `json.loads`. Anything larger than `MAX_UPLOAD_BYTES` is refused before it
is read. `accepts` is the name rule an upload button applies before any byte is sent;
`size_refusal` and `name_refusal` are its messages.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

import ase
import ase.io

from alignn_nb.config.alignn_io import AlignnConfigError, LoadedConfig, load_alignn_config
from alignn_nb.structures.cif import read_cif
from alignn_nb.structures.loading import load_structure

_MB = 1024 * 1024
MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * _MB
#: What a structure upload is and may be, as shown in messages.
STRUCTURE_KIND = "a structure file alignn-nb reads"
ACCEPTED_STRUCTURES = (
    "CIF (.cif), POSCAR/CONTCAR (or .vasp, .poscar), extxyz (.extxyz) or xyz (.xyz)"
)
#: File suffix to the ASE format read; ASE reads .xyz with its extxyz reader, which also
#: takes plain xyz.
_SUFFIX_FORMATS = {
    ".cif": "cif",
    ".vasp": "vasp",
    ".poscar": "vasp",
    ".extxyz": "extxyz",
    ".xyz": "extxyz",
}
#: File suffixes a structure upload may have (matched case-insensitively).
STRUCTURE_SUFFIXES = tuple(_SUFFIX_FORMATS)
#: File names a structure upload may start with instead (VASP's, matched case-insensitively).
STRUCTURE_NAMES = ("POSCAR", "CONTCAR")
#: File suffixes a config upload may have.
CONFIG_SUFFIXES = (".json",)
_BINARY_FORMATS = ("cif",)
_JSON_KINDS = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}


def size_refusal(name: str, size: int, limit: int = MAX_UPLOAD_BYTES) -> str:
    """Why a file of ``size`` bytes is refused, e.g. ``"a.cif is 21.0 MB (22,020,096 bytes);
    uploads are limited to 20 MB"`` (MB here is 1024 × 1024 bytes)."""
    return f"{name} is {_file_size(size)}; uploads are limited to {_limit_size(limit)}"


def _file_size(size: int) -> str:
    return f"{size / _MB:.1f} MB ({size:,} bytes)" if size >= _MB else f"{size:,} bytes"


def _limit_size(limit: int) -> str:
    return f"{limit // _MB} MB" if limit % _MB == 0 else f"{limit:,} bytes"


def check_size(name: str, content: bytes) -> None:
    """Refuse ``content`` larger than `MAX_UPLOAD_BYTES`.

    Raises:
        ValueError: naming the file, its size and the limit.
    """
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValueError(size_refusal(name, len(content)))


def accepts(name: str, suffixes: Sequence[str] = (), names: Sequence[str] = ()) -> bool:
    """True when ``name`` ends with one of ``suffixes`` or starts with one of ``names``
    (both case-insensitive); with neither given, every name is accepted."""
    if not suffixes and not names:
        return True
    base = PurePath(name).name
    return base.lower().endswith(tuple(s.lower() for s in suffixes)) or base.upper().startswith(
        tuple(n.upper() for n in names)
    )


def accepted_text(suffixes: Sequence[str] = (), names: Sequence[str] = ()) -> str:
    """The rule of `accepts` in words, e.g. ``"a file ending in .cif or .xyz, or named
    POSCAR…"``."""
    parts = []
    if suffixes:
        parts.append(f"a file ending in {_either(suffixes)}")
    if names:
        parts.append(f"named {_either([f'{n}…' for n in names])}")
    return ", or ".join(parts) or "any file"


def _either(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def name_refusal(name: str, kind: str, accepted: str) -> str:
    """Why a file named ``name`` is refused, e.g. ``"a.txt is not an alignn config.json;
    give a file ending in .json"``."""
    return f"{name} is not {kind}; give {accepted}"


def structure_format(name: str) -> str:
    """The ASE format of a structure file named ``name``, from its suffix or VASP name.

    Raises:
        ValueError: naming the file and the accepted formats.
    """
    path = PurePath(name)
    suffix = path.suffix.lower()
    if suffix in _SUFFIX_FORMATS:
        return _SUFFIX_FORMATS[suffix]
    if accepts(path.name, names=STRUCTURE_NAMES):
        return "vasp"
    raise ValueError(name_refusal(name, STRUCTURE_KIND, ACCEPTED_STRUCTURES))


def _decode(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{name} is not UTF-8 text (byte {err.start}); is it binary?") from None


def _ase_read(name: str, content: bytes, fmt: str) -> ase.Atoms:
    """The first frame ASE reads from ``content`` in format ``fmt``."""
    if not content.strip():
        raise ValueError(f"{name} is empty")
    text = content if fmt in _BINARY_FORMATS else _decode(name, content)
    stream = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    try:
        atoms = read_cif(stream) if fmt == "cif" else ase.io.read(stream, format=fmt, index=0)
    except Exception as exc:  # ASE raises many types for bad files
        reason = str(exc) or type(exc).__name__
        raise ValueError(f"ASE could not read {name} as {fmt}: {reason}") from exc
    if not isinstance(atoms, ase.Atoms):
        raise ValueError(f"ASE could not read {name} as {fmt}: no structure in it")
    return atoms


def structure_from_upload(name: str, content: bytes) -> ase.Atoms:
    """A checked ``ase.Atoms`` (positions in Å) from an uploaded structure file.

    Args:
        name: the file name as uploaded; its suffix (or a POSCAR/CONTCAR name) picks
            the format.
        content: the file's bytes.

    Raises:
        ValueError: for a file over the size limit, a format not accepted, a file ASE
            cannot parse (quoting ASE) or a structure alignn cannot use; each names the file.
    """
    check_size(name, content)
    atoms = _ase_read(name, content, structure_format(name))
    try:
        return load_structure(atoms)
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None


def config_from_upload(name: str, content: bytes) -> LoadedConfig:
    """An alignn training ``config.json`` upload as new configs, via `load_alignn_config`.

    Raises:
        AlignnConfigError: (a `ValueError`) naming the file, for a file over the size
            limit, text that is not a JSON object, or a config alignn-nb cannot load.
    """
    try:
        check_size(name, content)
        data = json.loads(_decode(name, content))
    except ValueError as err:
        problem = str(err).removeprefix(f"{name} ")
        if isinstance(err, json.JSONDecodeError):
            problem = f"is not JSON: {err}"
        raise AlignnConfigError(name, [problem]) from None
    if not isinstance(data, dict):
        kind = _JSON_KINDS.get(type(data), "a number")
        raise AlignnConfigError(name, [f"holds {kind}, not an alignn config object"])
    try:
        return load_alignn_config(data)
    except AlignnConfigError as err:
        raise AlignnConfigError(name, err.problems) from None


def upload_content(item: Mapping[str, Any]) -> tuple[str, bytes]:
    """The name and bytes of one entry of a file-upload widget's value.

    Accepts the dicts ipywidgets' ``FileUpload`` holds (``name`` and ``content`` as a
    memoryview or bytes).
    """
    return str(item["name"]), bytes(item["content"])
