"""The force scene of one evaluated structure and the error map, as arrays."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from alignn_nb.evaluation import Evaluation, StructureErrors
from alignn_nb.viz import ARROW_LENGTH, build_force_scene, error_map_figure, map_points
from alignn_nb.viz.force_scene import ERROR_COLORMAP
from alignn_nb.viz.layers import _color_table, element_colors


def _structure() -> StructureErrors:
    atoms = bulk("Cu", cubic=True)
    target = np.array([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, -1.0, 0.0], [0.2, 0.2, 0.2]])
    pred = target + np.array([[0.3, 0, 0], [0, 0.05, 0], [0, 0, 0.9], [0.1, 0, 0]])
    pred[3] = 0.0
    return StructureErrors(
        id="cu",
        atoms=atoms,
        energy_unit="eV/atom",
        energy_pred=-3.5,
        energy_target=-3.6,
        forces_pred=pred,
        forces_target=target,
    )


def test_atoms_are_coloured_by_their_force_error_worst_on_top():
    row = _structure()
    scene = build_force_scene(row)
    atoms = scene.layer("atoms")
    errors = row.force_errors
    assert len(atoms) == 4 and np.allclose(atoms.start, row.atoms.positions)
    np.testing.assert_allclose(scene.errors, errors)
    table = _color_table(ERROR_COLORMAP)
    index = [int(np.flatnonzero((table == c).all(axis=1))[0]) for c in atoms.color]
    assert np.argsort(index, kind="stable").tolist() == np.argsort(errors).tolist()
    assert index[int(np.argmax(errors))] == len(table) - 1 and index[int(np.argmin(errors))] == 0
    assert scene.error_scale.vmin == pytest.approx(errors.min())
    assert scene.error_scale.vmax == pytest.approx(errors.max())
    assert scene.error_scale.label.endswith("(eV/Å)")


def test_arrows_follow_the_nonzero_forces_on_one_scale():
    row = _structure()
    scene = build_force_scene(row)
    pred, target = scene.layer("forces_pred"), scene.layer("forces_target")
    assert (pred.kind, target.kind) == ("arrow", "arrow")
    assert len(pred) == 3 and len(target) == 3  # atom 3 has no predicted, atom 0 no target
    np.testing.assert_allclose(pred.start, row.atoms.positions[:3], atol=1e-5)
    np.testing.assert_allclose(target.start, row.atoms.positions[1:], atol=1e-5)
    np.testing.assert_allclose(
        (pred.end - pred.start) / scene.arrow_scale, row.forces_pred[:3], atol=1e-4
    )
    np.testing.assert_allclose(
        (target.end - target.start) / scene.arrow_scale, row.forces_target[1:], atol=1e-4
    )
    longest = max(np.linalg.norm(row.forces_pred, axis=1).max(), 1.0)
    assert scene.arrow_scale == pytest.approx(ARROW_LENGTH / longest)
    assert not np.allclose(pred.color[0], target.color[0])


def test_a_structure_without_forces_is_drawn_in_element_colours_without_arrows():
    row = StructureErrors(id="x", atoms=bulk("Si"), energy_unit="eV/atom", energy_pred=-5.0)
    scene = build_force_scene(row)
    assert scene.errors is None and scene.error_scale is None and scene.arrow_scale == 0
    np.testing.assert_allclose(scene.layer("atoms").color, element_colors([14, 14]))
    assert len(scene.layer("forces_pred")) == len(scene.layer("forces_target")) == 0


def test_the_map_holds_each_structure_volume_energy_and_error():
    a = _structure()
    b = StructureErrors(id="si", atoms=bulk("Si"), energy_unit="eV", energy_pred=-10.0)
    evaluation = Evaluation("run", "all", "w", (a, b), "eV/atom")
    points = map_points(evaluation, "force_mae", "si")
    np.testing.assert_allclose(points.volume, [a.volume_per_atom, b.volume_per_atom])
    np.testing.assert_allclose(points.energy, [-3.6, -5.0])
    assert points.error[0] == pytest.approx(a.force_mae) and np.isnan(points.error[1])
    assert points.highlight == 1 and map_points(evaluation, "energy_error").highlight is None
    assert error_map_figure(points).axes[0].get_title() == "2 structures by force_mae"
    with pytest.raises(ValueError, match="error 'volume' is not one of force_mae, "):
        map_points(evaluation, "volume")
