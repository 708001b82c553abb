"""ExploreView: an evaluation's parity plot and worst-first table, as widget state."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from traitlets import TraitError

from alignn_nb.training.evaluation import Evaluation, StructureErrors
from alignn_nb.viz.parity import parity_points
from alignn_nb.widgets.explore_view import ExploreView


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


def test_an_evaluation_fills_the_summary_plot_and_worst_first_table(evaluation):
    view = ExploreView(evaluation)
    summary = view.children[0].get_state()["value"]
    assert summary.startswith("<b>run</b> (last_model.pt) on test: 3 structures; ")
    assert "energy MAE 0.2 eV/atom, force MAE 0.175 eV/Å, stress MAE 0.5 GPa" in summary
    assert _png(view).startswith(b"\x89PNG")
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
