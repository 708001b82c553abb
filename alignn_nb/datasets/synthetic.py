"""Synthetic force-field datasets of any size, written as alignn's ``id_prop.json``.

`write_synthetic_id_prop` writes ``count`` rattled cells of 2 to 16 atoms, entry by entry
(nothing of the size of the file is ever held), deterministic for a seed: each cell is a
sheared box of about 11 to 20 Å³ per atom whose atoms sit on distinct sites of a small grid,
moved by up to a tenth of a grid step, with random elements, energy, forces and stress
(VASP's Voigt 6-vector, as alignn's examples hold). They are for measuring and testing the
scan of large datasets: the targets are noise, not physics.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ELEMENTS = ("Si", "Al", "Cu", "Ni", "Fe", "Mg", "Ti", "O", "C", "N", "Na", "Ge")
"""The elements the synthetic cells are made of."""
ATOMS = (2, 16)
"""Fewest and most atoms of a cell."""


def synthetic_entry(index: int, rng: np.random.Generator) -> dict[str, Any]:
    """One entry of alignn's id_prop.json: a jarvis atoms dict (fractional coordinates),
    ``jid``, ``total_energy`` (eV per cell), ``forces`` (eV/Å) and ``stresses`` (kbar)."""
    n = int(rng.integers(ATOMS[0], ATOMS[1] + 1))
    side = math.ceil(n ** (1 / 3)) + 1
    volume = n * rng.uniform(11.0, 20.0)
    lengths = volume ** (1 / 3) * rng.uniform(0.85, 1.15, 3)
    lengths *= (volume / lengths.prod()) ** (1 / 3)
    lattice = np.diag(lengths) + rng.uniform(-0.08, 0.08, (3, 3)) * lengths.mean()
    lattice[np.triu_indices(3, 1)] = 0.0  # a lower-triangular shear keeps the cell right-handed
    sites = rng.choice(side**3, size=n, replace=False)
    grid = np.stack(np.unravel_index(sites, (side, side, side)), axis=1) / side
    frac = (grid + rng.uniform(-0.1, 0.1, (n, 3)) / side) % 1.0
    elements = [ELEMENTS[k] for k in rng.integers(0, len(ELEMENTS), n)]
    return {
        "jid": f"syn-{index}",
        "atoms": {
            "lattice_mat": np.round(lattice, 6).tolist(),
            "coords": np.round(frac, 6).tolist(),
            "elements": elements,
            "cartesian": False,
            "props": [""] * n,
        },
        "total_energy": round(float(rng.normal(-4.0, 1.0) * n), 6),
        "forces": np.round(rng.normal(0.0, 0.5, (n, 3)), 6).tolist(),
        "stresses": np.round(rng.normal(0.0, 5.0, 6), 6).tolist(),
    }


def synthetic_entries(count: int, seed: int = 0, start: int = 0) -> Iterator[dict[str, Any]]:
    """Entries ``start`` .. ``start + count - 1`` of the synthetic set of ``seed``; entry
    ``i`` is the same whatever the range it is made in."""
    for index in range(start, start + count):
        yield synthetic_entry(index, np.random.default_rng([seed, index]))


def write_synthetic_id_prop(
    path: str | os.PathLike, count: int, seed: int = 0, start: int = 0
) -> Path:
    """Write `synthetic_entries` as alignn's id_prop.json (gzip-compressed when ``path``
    ends in ``.gz``), one entry per line; returns the path."""
    path = Path(path)
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as handle:
        handle.write("[")
        for number, entry in enumerate(synthetic_entries(count, seed, start)):
            handle.write(("\n" if number == 0 else ",\n") + json.dumps(entry))
        handle.write("\n]\n")
    return path
