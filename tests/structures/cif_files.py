"""CIF texts for the reader tests: crystals written as an asymmetric unit with the
symmetry operations of their space group, as databases write them (ASE writes P1)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from ase.spacegroup import Spacegroup

CELL_TAGS = ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma")


def _xyz(rotation: np.ndarray, translation: np.ndarray) -> str:
    """One symmetry operation as CIF's ``x,y,z`` text, e.g. ``-y+1/2,x,z+1/4``."""
    terms = []
    for row, shift in zip(rotation, translation, strict=True):
        text = "".join(
            f"{'+' if c > 0 else '-'}{axis}" for c, axis in zip(row, "xyz", strict=True) if c
        )
        if abs(shift) > 1e-9:
            text += f"+{Fraction(float(shift)).limit_denominator(12)}"
        terms.append(text.lstrip("+"))
    return ",".join(terms)


def symmetric_cif(
    number: int,
    cellpar: Sequence[float],
    symbols: Sequence[str],
    sites: Sequence[Sequence[float]],
    occupancies: Sequence[float] | None = None,
    name: str = "crystal",
) -> str:
    """A CIF data block of space group ``number`` (ASE's setting 1) listing every
    symmetry operation and the given sites, with an occupancy column when given."""
    group = Spacegroup(number)
    lines = [f"data_{name}"]
    lines += [f"_cell_{tag} {value}" for tag, value in zip(CELL_TAGS, cellpar, strict=True)]
    lines += [
        f"_symmetry_space_group_name_H-M '{group.symbol}'",
        f"_symmetry_Int_Tables_number {number}",
        "loop_",
        "_symmetry_equiv_pos_as_xyz",
    ]
    lines += [f"'{_xyz(rotation, shift)}'" for rotation, shift in group.get_symop()]
    columns = ["label", "type_symbol", "fract_x", "fract_y", "fract_z"]
    if occupancies is not None:
        columns.append("occupancy")
    lines += ["loop_", *(f"_atom_site_{column}" for column in columns)]
    for index, (symbol, site) in enumerate(zip(symbols, sites, strict=True)):
        row = [f"{symbol}{index + 1}", symbol, *(f"{x:.6f}" for x in site)]
        if occupancies is not None:
            row.append(f"{occupancies[index]:g}")
        lines.append("  ".join(row))
    return "\n".join(lines) + "\n"


def crystals() -> dict[str, str]:
    """CIF texts of crystals with symmetry operations, by name."""
    rng = np.random.default_rng(7)
    general = rng.random((3, 3))
    many = rng.random((60, 3))
    return {
        "NaCl_225": symmetric_cif(225, [5.64] * 3 + [90] * 3, ["Na", "Cl"], [[0] * 3, [0.5] * 3]),
        "Si_227": symmetric_cif(227, [5.43] * 3 + [90] * 3, ["Si"], [[0, 0, 0]], [1.0]),
        "rutile_136": symmetric_cif(
            136, [4.594, 4.594, 2.959, 90, 90, 90], ["Ti", "O"], [[0, 0, 0], [0.3053, 0.3053, 0]]
        ),
        "CoSb3_204": symmetric_cif(
            204, [9.04] * 3 + [90] * 3, ["Co", "Sb"], [[0.25] * 3, [0, 0.335, 0.158]], [1, 1]
        ),
        "Mg_194": symmetric_cif(
            194, [3.21, 3.21, 5.21, 90, 90, 120], ["Mg"], [[1 / 3, 2 / 3, 0.25]]
        ),
        "Bi2Se3_166": symmetric_cif(
            166,
            [4.14, 4.14, 28.64, 90, 90, 120],
            ["Bi", "Se", "Se"],
            [[0, 0, 0.4008], [0, 0, 0], [0, 0, 0.2117]],
        ),
        "P21c_14": symmetric_cif(
            14, [7.1, 8.3, 9.2, 90, 101.5, 90], ["C", "N", "O"], general.tolist()
        ),
        "P-1_many_sites": symmetric_cif(
            2, [15.0, 16.0, 17.0, 84.0, 95.0, 101.0], ["C", "H"] * 30, many.tolist()
        ),
    }
