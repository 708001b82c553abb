"""ExploreView: an evaluation's parity plot and worst-first table, as widget state."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from traitlets import TraitError

from alignn_nb.evaluation import Evaluation, StructureErrors
from alignn_nb.viz.parity import parity_points
from alignn_nb.widgets import ExploreView
from tests.support.pages import shown_images


def _row(name: str, natoms: int, energy_error: float, force_error: float) -> StructureErrors:
    atoms = bulk("Cu", cubic=True).repeat((1, 1, natoms // 4))
    forces = np.zeros((natoms, 3))
    return StructureErrors(
        id=name,
        atoms=atoms,
        energy_unit="eV/atom",
        energy_pred=-3.0 + energy_error,
        energy_target=-3.0,
        forces_pred=forces + force_error,
        forces_target=forces,
        stress_pred=np.full((3, 3), 0.5),
        stress_target=np.zeros((3, 3)),
    )


@pytest.fixture
def evaluation() -> Evaluation:
    rows = (_row("a", 4, 0.1, 0.2), _row("b", 8, 0.3, 0.05), _row("c", 4, 0.2, 0.4))
    return Evaluation("run", "test", "last_model.pt", rows, "eV/atom")


def _png(view: ExploreView) -> bytes:
    return bytes(view.children[2].value)


def _table(view: ExploreView) -> list[str]:
    return [value for _, value in view.children[3].options]


def test_empty_view_says_so():
    view = ExploreView()
    assert view.children[0].get_state()["value"] == "<i>no evaluation yet</i>"
    assert _png(view) == b"" and _table(view) == []
    assert shown_images(view) == []


def test_an_evaluation_fills_the_summary_plot_and_worst_first_table(evaluation):
    view = ExploreView(evaluation)
    summary = view.children[0].get_state()["value"]
    assert summary.startswith("<b>run</b> (last_model.pt) on test: 3 structures; ")
    assert "energy MAE 0.2 eV/atom, force MAE 0.175 eV/Å, stress MAE 0.5 GPa" in summary
    assert _png(view).startswith(b"\x89PNG")
    assert [bytes(i.value)[:4] for i in shown_images(view)] == [b"\x89PNG", b"\x89PNG"]
    assert _table(view) == ["c", "a", "b"]
    view.sort_by = "energy_error"
    assert _table(view) == ["b", "c", "a"]
    assert view.children[1].children[1].value == "energy_error"
    view.rows = 2
    assert _table(view) == ["b", "c"]


def test_the_quantity_toggle_redraws_the_parity_plot(evaluation):
    view = ExploreView(evaluation)
    energy = _png(view)
    view.children[1].children[0].value = "forces"
    assert view.quantity == "forces" and _png(view) != energy
    target, pred = parity_points(evaluation, "forces")
    assert target.shape == pred.shape == (3 * 16,)
    assert np.mean(np.abs(pred - target)) == pytest.approx(evaluation.force_mae)
    with pytest.raises(TraitError):
        view.quantity = "charge"


def test_picking_a_row_selects_its_structure_and_a_new_evaluation_clears_it(evaluation):
    view = ExploreView(evaluation)
    view.children[3].value = "a"
    assert view.selected == "a"
    view.selected = "b"
    assert view.children[3].value == "b"
    with pytest.raises(TraitError, match="no structure 'zz' in this evaluation"):
        view.selected = "zz"
    assert view.selected == "b"
    view.evaluation = Evaluation(
        "other", "all", "best_model.pt", evaluation.structures[:1], "eV/atom"
    )
    assert view.selected == "" and _table(view) == ["a"]


def _with_spread_forces(row: StructureErrors, seed: int) -> StructureErrors:
    rng = np.random.default_rng(seed)
    target = rng.normal(size=(row.natoms, 3))
    pred = target + rng.normal(scale=0.3, size=(row.natoms, 3))
    return StructureErrors(
        id=row.id,
        atoms=row.atoms,
        energy_unit="eV/atom",
        energy_pred=row.energy_pred,
        energy_target=row.energy_target,
        forces_pred=pred,
        forces_target=target,
    )


def test_selecting_a_row_shows_it_in_3d_and_rings_it_on_the_map(evaluation):
    rows = tuple(_with_spread_forces(r, i) for i, r in enumerate(evaluation.structures))
    view = ExploreView(Evaluation("run", "test", "w", rows, "eV/atom"))
    force_view = view.force_view
    assert force_view.scene is None and force_view.layer_components() == []
    assert view.map.highlight is None
    np.testing.assert_allclose(view.map.volume, [r.volume_per_atom for r in rows])
    np.testing.assert_allclose(view.map.energy, [-3.0] * 3)
    np.testing.assert_allclose(view.map.error, [r.force_mae for r in rows])
    map_png = bytes(view.children[4].value)
    view.children[3].value = "c"
    scene = force_view.scene
    assert scene.id == "c" and view.map.highlight == 2
    assert bytes(view.children[4].value) != map_png
    assert force_view.layer_components() == ["cell", "atoms", "forces_pred", "forces_target"]
    queued = [c._method_name for c in force_view.view._ngl_displayed_callbacks_before_loaded]
    assert queued[-6:] == [*["addBuffer"] * 4, "autoView", "alignn-nb:flushed"]
    assert int(np.argmax(scene.errors)) == int(np.argmax(rows[2].force_errors))
    assert len(scene.layer("forces_pred")) == rows[2].natoms
    legend = force_view.children[1].children[0].value
    assert "<b>c</b>" in legend and "force error |F_pred − F_target| (eV/Å)" in legend
    assert f"{scene.arrow_scale:.3g} Å per eV/Å" in legend
    c = rows[2]
    numbers = (
        "<table class='alignn-nb-structure-numbers'><tr><td>atoms</td>"
        "<td style='text-align:right'>4</td></tr><tr><td>energy target (eV/atom)</td>"
        "<td style='text-align:right'>-3</td></tr><tr><td>energy predicted (eV/atom)</td>"
        "<td style='text-align:right'>-2.8</td></tr><tr><td>energy error (eV/atom)</td>"
        f"<td style='text-align:right'>{c.energy_error:.6g}</td></tr><tr><td>force MAE (eV/Å)</td>"
        f"<td style='text-align:right'>{np.mean(np.abs(c.forces_pred - c.forces_target)):.6g}"
        "</td></tr><tr><td>stress MAE (GPa)</td><td style='text-align:right'>-</td></tr></table>"
    )
    assert numbers in legend
    view.selected = "b"
    assert force_view.scene.id == "b" and view.map.highlight == 1
    assert len(force_view.scene.layer("atoms")) == 8
    queued = [c._method_name for c in force_view.view._ngl_displayed_callbacks_before_loaded]
    assert queued.count("autoView") == 2 and queued[-2:] == ["autoView", "alignn-nb:flushed"]
    with pytest.raises(TraitError, match="no structure 'zz' in this evaluation"):
        view.selected = "zz"
    with pytest.raises(TraitError, match="no structure 'zz' in this evaluation"):
        force_view.selected = "zz"
    assert force_view.scene.id == "b" and view.map.highlight == 1
    view.sort_by = "energy_error"
    np.testing.assert_allclose(view.map.error, [0.1, 0.3, 0.2])
    view.selected = ""
    assert force_view.scene is None and force_view.layer_components() == []
