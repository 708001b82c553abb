"""PredictionView: energy, forces, stress, extra heads, timings and the stale mark."""

from __future__ import annotations

import re

import numpy as np
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import alignn_graphs
from alignn_nb.model import Prediction, Quantity, build_model, predict
from alignn_nb.structures import example
from alignn_nb.widgets import PredictionView


def shown(view: PredictionView) -> str:
    return view.children[0].get_state()["value"]


def span(view: PredictionView, css_class: str) -> str:
    return re.search(rf"class='{css_class}'[^>]*>([^<]*)<", shown(view)).group(1)


def made(natoms: int, stress: bool = False, seed: int = 0) -> Prediction:
    rng = np.random.default_rng(seed)
    return Prediction(
        energy=Quantity(-5.25 * natoms, "eV", ()),
        forces=Quantity(rng.normal(size=(natoms, 3)).tolist(), "eV/Å", (natoms, 3)),
        stress=Quantity([np.diag([1.5, -2.0, 0.25]).tolist()], "GPa", (1, 3, 3))
        if stress
        else None,
        atomwise=None,
        additional=None,
        seconds=0.0123,
        notes=("energy is the per-atom readout times 64 atoms (energy_mult_natoms)",),
    )


@pytest.fixture(scope="module")
def real_prediction() -> Prediction:
    cfg = ALIGNNAtomWiseConfig(
        hidden_features=16,
        embedding_features=16,
        stresswise_weight=1.0,
        atomwise_output_features=2,
        atomwise_weight=1.0,
        additional_output_features=3,
    )
    return predict(build_model(cfg), alignn_graphs(example("Si"), GraphConfig()))


def test_empty_view():
    view = PredictionView()
    assert "no prediction yet" in shown(view)


@pytest.mark.dgl
def test_real_prediction(real_prediction):
    view = PredictionView(real_prediction)
    energy = real_prediction.energy.value
    assert span(view, "alignn-nb-energy") == f"{energy:.6f} eV"
    assert span(view, "alignn-nb-energy-per-atom") == f"{energy / 2:.6f} eV/atom"
    forces = re.search(r"class='alignn-nb-forces'.*?</table>", shown(view)).group(0)
    assert forces.count("<tr>") == 3
    assert "alignn-nb-more" not in forces
    assert "class='alignn-nb-stress'" in shown(view)
    atomwise = re.search(r"class='alignn-nb-atomwise'.*?</table>", shown(view)).group(0)
    assert atomwise.count("<tr>") == 3
    assert f"{real_prediction.additional.value[0][2]:.5g}" in shown(view)
    wall = f"forward pass {real_prediction.seconds * 1000:.1f} ms"
    assert span(view, "alignn-nb-wall-time") == wall
    assert "times 2 atoms" in shown(view)


def test_forces_beyond_twenty_rows_are_summarised():
    prediction = made(64)
    view = PredictionView(prediction)
    forces = re.search(r"class='alignn-nb-forces'.*?</table>", shown(view)).group(0)
    assert forces.count("<tr>") == 21
    assert "… 44 more" in forces
    first = prediction.forces.value[0]
    assert f"{first[0]:.4g}" in forces
    assert f"{np.linalg.norm(first):.4g}" in forces
    assert span(view, "alignn-nb-energy") == "-336.000000 eV"
    assert span(view, "alignn-nb-energy-per-atom") == "-5.250000 eV/atom"


def test_stress_only_when_present():
    assert "alignn-nb-stress" not in shown(PredictionView(made(2)))
    view = PredictionView(made(2, stress=True))
    stress = re.search(r"class='alignn-nb-stress'.*?</table>", shown(view)).group(0)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", stress)
    assert cells == ["1.5", "0", "0", "0", "-2", "0", "0", "0", "0.25"]


def test_stale_mark_timings_and_error_keep_the_values():
    view = PredictionView(made(4))
    view.timings = {"graph": 0.003, "model": 0.04, "forward": 0.0125}
    assert span(view, "alignn-nb-timings") == (
        "graph 3.0 ms · model 40.0 ms · forward 12.5 ms · total 55.5 ms"
    )
    view.stale = True
    assert "alignn-nb-stale" in shown(view)
    view.error = "graph: the structure is empty: it has no atoms"
    assert span(view, "alignn-nb-error") == view.error
    assert span(view, "alignn-nb-energy") == "-21.000000 eV"
    view.show(made(8), {"forward": 0.01})
    assert (view.stale, view.error) == (False, "")
    assert "alignn-nb-stale" not in shown(view)
    assert span(view, "alignn-nb-timings") == "forward 10.0 ms · total 10.0 ms"


def test_classification_has_no_per_atom_energy():
    prediction = Prediction(
        energy=Quantity([[-0.1, -2.3]], "log-probability", (1, 2)),
        forces=None,
        stress=None,
        atomwise=None,
        additional=None,
        seconds=0.001,
    )
    view = PredictionView(prediction, natoms=3)
    assert span(view, "alignn-nb-energy") == "[[-0.1, -2.3]] (log-probability)"
    assert "alignn-nb-energy-per-atom" not in shown(view)
    assert "alignn-nb-forces" not in shown(view)


def test_the_parameter_count_stands_next_to_the_energy():
    view = PredictionView()
    view.show(made(2), parameters=524_289)
    assert view.parameters == 524_289
    assert span(view, "alignn-nb-parameters") == "524,289 parameters"
    assert "eV/atom</span>) · <span class='alignn-nb-parameters'>" in shown(view)
    view.show(made(2))
    assert view.parameters is None
    assert "alignn-nb-parameters" not in shown(view)
