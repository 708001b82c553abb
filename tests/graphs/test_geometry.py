"""The geometry alignn's builders read: jarvis's values, without jarvis objects."""

from __future__ import annotations

import ase
import numpy as np
import pytest
from jarvis.core.atoms import ase_to_atoms

from alignn_nb.graphs.geometry import geometry_from_ase, jarvis_distances, search_pairs


def _random_cells(count: int, seed: int) -> list[ase.Atoms]:
    rng = np.random.default_rng(seed)
    cells = []
    for index in range(count):
        n = int(rng.integers(1, 12))
        cell = rng.normal(size=(3, 3)) * rng.uniform(1, 15) + np.eye(3) * rng.uniform(3, 15)
        if index % 3 == 0:
            cell = np.around(cell, 3)
        positions = rng.normal(size=(n, 3)) * 4
        cells.append(ase.Atoms(f"Si{n}", positions=positions, cell=cell, pbc=True))
    return cells


@pytest.mark.parametrize("atoms", _random_cells(60, seed=3))
def test_geometry_holds_jarvis_values(atoms):
    geom = geometry_from_ase(atoms)
    jat = ase_to_atoms(atoms)
    lat = jat.lattice
    close = {"rtol": 0, "atol": 1e-12}
    np.testing.assert_allclose(geom.cart, jat.cart_coords, **close)
    np.testing.assert_allclose(geom.frac, jat.frac_coords, **close)
    np.testing.assert_allclose(geom.lattice, jat.lattice_mat, **close)
    np.testing.assert_allclose(geom.lattice_rounded, lat.matrix, **close)
    np.testing.assert_allclose(geom.cell_lengths, (lat.a, lat.b, lat.c), **close)
    np.testing.assert_allclose(geom.recip_lengths, lat.reciprocal_lattice().abc, **close)
    assert geom.volume == pytest.approx(jat.volume, rel=1e-12)
    assert geom.symbols == tuple(jat.elements)


@pytest.mark.parametrize("atoms", _random_cells(20, seed=4))
def test_distances_are_jarvis_sum_of_squares(atoms):
    geom = geometry_from_ase(atoms)
    i, j, image = search_pairs(geom, 15.0, 1e9)
    assert len(i)
    shifted = np.array([np.dot(row, geom.lattice) for row in image.astype(float)]).reshape(-1, 3)
    expected = np.sum((shifted + geom.cart[j] - geom.cart[i]) ** 2, axis=-1) ** 0.5
    np.testing.assert_allclose(jarvis_distances(geom, i, j, image), expected, rtol=0, atol=1e-12)
