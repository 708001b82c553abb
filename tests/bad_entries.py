"""Ways to spoil one entry of alignn's id_prop.json, for the tests of bad entries.

Each function of `CORRUPTIONS` takes an entry (a dict as in alignn's force-field
``id_prop.json``) and returns a spoilt copy: a NaN, a zero volume, overlapping atoms, an
unknown element, a wrong shape, a missing key or a value of the wrong type.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any


def _atoms(key: str, value: Any) -> Callable[[dict], None]:
    return lambda entry: entry["atoms"].__setitem__(key, value)


def _flat_cell(entry: dict) -> None:
    entry["atoms"]["lattice_mat"] = [entry["atoms"]["lattice_mat"][0]] * 3


def _overlap(entry: dict) -> None:
    entry["atoms"]["coords"][1] = list(entry["atoms"]["coords"][0])


_CHANGES: dict[str, Callable[[dict], Any]] = {
    "NaN coordinate": lambda e: e["atoms"]["coords"][0].__setitem__(0, float("nan")),
    "zero cell": _atoms("lattice_mat", [[0.0] * 3] * 3),
    "flat cell": _flat_cell,
    "overlap": _overlap,
    "unknown element": lambda e: e["atoms"]["elements"].__setitem__(3, "Xx"),
    "no atoms": lambda e: e["atoms"].update(elements=[], coords=[]),
    "short coords": lambda e: e["atoms"]["coords"].pop(),
    "short forces": lambda e: e["forces"].pop(),
    "stress of 2": lambda e: e.__setitem__("stresses", [1.0, 2.0]),
    "no atoms dict": lambda e: e.pop("atoms"),
    "no coords": lambda e: e["atoms"].pop("coords"),
    "elements as text": lambda e: e["atoms"].__setitem__("elements", "Si12"),
    "energy as text": lambda e: e.__setitem__("total_energy", "low"),
    "cartesian as text": _atoms("cartesian", "no"),
    "null lattice": _atoms("lattice_mat", None),
    "coords as a dict": _atoms("coords", {"x": 1.0}),
}


def corrupt(entry: dict, kind: str) -> Any:
    """A copy of ``entry`` spoilt as ``kind`` says (a key of `CORRUPTIONS`)."""
    spoilt = copy.deepcopy(entry)
    if kind == "entry as a list":
        return [spoilt]
    _CHANGES[kind](spoilt)
    return spoilt


CORRUPTIONS = (*_CHANGES, "entry as a list")
"""The kinds `corrupt` knows."""
