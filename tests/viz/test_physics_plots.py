"""The physics checks' plots draw the numbers of their results (EMT copper's checks)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from alignn_nb.checks import CheckSettings, ev_check, forces_check, md_check, relax_check
from alignn_nb.checks.results import error_result
from alignn_nb.viz import figure_png, physics_plot

SETTINGS = CheckSettings(md_steps=10)


def lines(figure, axes_index=0):
    return {line.get_label(): line for line in figure.axes[axes_index].get_lines()}


def test_ev_plot_draws_the_model_points_the_fit_and_the_dft_points():
    atoms = bulk("Cu", "fcc", a=3.61)
    v = atoms.get_volume()
    result = ev_check(atoms, EMT(), SETTINGS, dft=((v, 0.1), (1.02 * v, 0.2)))
    figure = physics_plot(result, "Cu")
    drawn = lines(figure)
    assert list(drawn["model"].get_xdata()) == result.values["volumes"]
    assert list(drawn["model"].get_ydata()) == result.values["energies"]
    assert len(drawn["Birch–Murnaghan"].get_xdata()) == 100
    assert list(drawn["DFT (data)"].get_ydata()) == pytest.approx([0.1, 0.2])
    assert figure._suptitle.get_text().endswith(": pass")
    assert figure_png(figure)[:4] == b"\x89PNG"


def test_relax_plot_draws_energy_and_largest_force_by_step():
    atoms = bulk("Cu", "fcc", a=3.61).repeat(2)
    atoms.rattle(0.05, seed=1)
    result = relax_check(atoms, EMT(), SETTINGS)
    figure = physics_plot(result, "Cu", fmax=0.05)
    (energy,) = figure.axes[0].get_lines()
    assert list(energy.get_ydata()) == result.values["energies"]
    force = lines(figure, 1)
    assert list(force["fmax 0.05 eV/Å"].get_ydata()) == [0.05, 0.05]


def test_md_plot_draws_each_energy_minus_its_start():
    result = md_check(bulk("Cu", "fcc", a=3.61), EMT(), SETTINGS)
    drawn = lines(physics_plot(result, "Cu"))
    assert list(drawn["total"].get_xdata()) == result.values["time_fs"]
    kinetic = np.asarray(result.values["kinetic_energy"])
    assert np.allclose(drawn["kinetic"].get_ydata(), kinetic - kinetic[0])
    assert "drift fit" in drawn


def test_forces_plot_draws_model_against_finite_differences():
    result = forces_check(bulk("Cu", "fcc", a=3.61).repeat(2), EMT(), SETTINGS)
    figure = physics_plot(result, "Cu")
    points = figure.axes[0].collections[0].get_offsets()
    assert np.allclose(points[:, 0], np.ravel(result.values["forces_fd"]))
    assert np.allclose(points[:, 1], np.ravel(result.values["forces_model"]))
    assert len(figure.axes) == 2


def test_an_error_has_no_plot_but_its_reason():
    with pytest.raises(ValueError, match="the model computes no forces"):
        physics_plot(error_result("md", "the model computes no forces"))
