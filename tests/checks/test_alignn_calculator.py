"""The checks' calculator is alignn's own: its E–V numbers equal a direct use of
``AlignnAtomwiseCalculator`` on the same structures, and alignn's conventions (energy per
atom or per cell, the stress's units and sign, the config it edits) are handled once."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from ase.eos import EquationOfState
from ase.units import GPa

from alignn_nb.checks import (
    CheckSettings,
    ev_check,
    forces_check,
    make_calculator,
    model_spec,
)
from alignn_nb.checks.calculator import STRESS_ON, Float64Model, notes
from alignn_nb.checks.ev import volume_factors
from alignn_nb.evaluation import load_run, run_dataset
from alignn_nb.structures import example
from alignn_nb.training import example_run_path
from tests.support.check_models import PAIR_MODEL, Scaled, model_folder

pytestmark = pytest.mark.dgl

SHORT = CheckSettings(md_steps=20)


def direct_calculator(run, float64=False, **options):
    """alignn's calculator as a user would make it from the run folder: alignn's model
    with the weights (in float64 behind the cast of `Float64Model`), the run's config.json."""
    from alignn.ff.calculators import AlignnAtomwiseCalculator

    config = json.loads((run.folder / "config.json").read_text())
    model = Float64Model(run.model()) if float64 else run.model()
    return AlignnAtomwiseCalculator(model=model, config=config, device="cpu", **options)


def direct_ev(atoms, calc, settings=SHORT):
    volumes, energies = [], []
    for factor in volume_factors(settings):
        scaled = atoms.copy()
        scaled.set_cell(atoms.cell * factor ** (1 / 3), scale_atoms=True)
        scaled.calc = calc
        volumes.append(scaled.get_volume())
        energies.append(scaled.get_potential_energy())
    return volumes, energies


@pytest.fixture(scope="module")
def pair_folder(tmp_path_factory):
    return model_folder(tmp_path_factory.mktemp("pair"), **PAIR_MODEL)


def test_ev_equals_alignns_calculator_on_the_trained_run(alignn_trained):
    run = load_run(alignn_trained.output)
    structure = run_dataset(run, alignn_trained.data)[0].atoms
    result = ev_check(structure, make_calculator(model_spec(run)), SHORT)
    volumes, energies = direct_ev(structure, direct_calculator(run))
    assert result.values["volumes"] == pytest.approx(volumes, rel=1e-12)
    assert result.values["energies"] == pytest.approx(energies, rel=1e-6)


def test_ev_and_its_fit_equal_alignns_calculator_on_the_example_run():
    run = load_run(example_run_path())
    structure = example("Si")
    result = ev_check(structure, make_calculator(model_spec(run)), SHORT)
    volumes, energies = direct_ev(structure, direct_calculator(run))
    assert result.values["energies"] == pytest.approx(energies, rel=1e-6)
    v0, e0, b = EquationOfState(volumes, energies, eos="birchmurnaghan").fit(warn=False)
    assert result.values["v0"] == pytest.approx(v0, rel=1e-6)
    assert result.values["e0"] == pytest.approx(e0, rel=1e-6)
    assert result.values["bulk_modulus_gpa"] == pytest.approx(b / GPa, rel=1e-6, abs=1e-9)


def test_an_energy_per_cell_readout_is_not_multiplied_by_the_atom_count(pair_folder):
    run = load_run(pair_folder)
    assert run.cfg.energy_mult_natoms is False
    atoms = example("Si")
    atoms.calc = make_calculator(model_spec(run))
    ours = atoms.get_potential_energy()
    atoms.calc = direct_calculator(run, intensive=False)
    assert ours == pytest.approx(atoms.get_potential_energy(), rel=1e-6)
    atoms.calc = direct_calculator(run)  # alignn's default, intensive=True
    assert atoms.get_potential_energy() == pytest.approx(2 * ours, rel=1e-6)
    assert any("intensive=False" in note for note in notes(model_spec(run)))


def test_forces_and_stress_are_the_derivatives_of_the_energy_alignn_reports(pair_folder):
    calc = make_calculator(model_spec(load_run(pair_folder)), "float64")
    result = forces_check(example("Si"), calc, SHORT)
    assert result.verdict == "pass", result.reason
    assert np.abs(result.values["forces_model"]).max() > 0.3  # eV/Å: real forces
    assert np.abs(result.values["stress_model"]).max() > 10  # GPa
    assert result.values["max_force_error"] < 1e-2 and result.values["max_stress_error"] < 5e-2


@pytest.mark.parametrize(
    ("change", "flagged"),
    [({"forces": 1.1}, "max_force_error"), ({"stress": 1.1}, "max_stress_error")],
)
def test_alignns_forces_or_stress_scaled_by_1_1_are_flagged(pair_folder, change, flagged):
    calc = Scaled(make_calculator(model_spec(load_run(pair_folder)), "float64"), **change)
    result = forces_check(example("Si"), calc, SHORT)
    assert result.verdict == "warn"
    tolerance = SHORT.force_tolerance if flagged == "max_force_error" else SHORT.stress_tolerance
    assert result.values[flagged] > tolerance


def test_alignns_default_intensive_energy_on_a_per_cell_readout_is_flagged(pair_folder):
    default = direct_calculator(load_run(pair_folder), float64=True)
    result = forces_check(example("Si"), default, SHORT)
    assert result.verdict == "warn"
    # two atoms: the energy, and so −dE/dx, is doubled; the difference is the force itself
    largest = np.abs(result.values["forces_model"]).max()
    assert largest > 0.5 and result.values["max_force_error"] == pytest.approx(largest, rel=1e-3)


def test_the_run_config_is_copied_and_the_model_made_to_form_a_stress():
    run = load_run(example_run_path())
    spec = model_spec(run)
    kept = copy.deepcopy(spec.alignn_config)
    calc = make_calculator(spec)
    assert spec.alignn_config == kept  # alignn's calculator edited its own copy only
    assert calc.config is not spec.alignn_config
    assert calc.config["model"]["stresswise_weight"] == STRESS_ON
    assert run.cfg.stresswise_weight == 0.0
    atoms = example("Si")
    atoms.rattle(0.05, seed=0)
    atoms.calc = calc
    assert atoms.get_stress().shape == (6,) and np.abs(atoms.get_stress()).max() > 0


def test_the_example_runs_penalty_is_in_its_forces_but_not_its_energy():
    spec = model_spec(load_run(example_run_path()))
    said = notes(spec)
    assert any("smooth-cutoff envelope of every bond" in note for note in said)
    rattled = CheckSettings(rattle=0.15)
    result = forces_check(example("Si"), make_calculator(spec, "float64"), rattled)
    assert result.verdict == "warn"
    assert np.abs(result.values["forces_fd"]).max() < 1e-3  # its energy barely moves
    assert result.values["max_force_error"] > SHORT.force_tolerance


def test_float64_agrees_with_alignns_float32():
    spec = model_spec(load_run(example_run_path()))
    atoms = example("Si64")
    atoms.calc = make_calculator(spec)
    low = atoms.get_potential_energy(), atoms.get_forces()
    atoms.calc = make_calculator(spec, "float64")
    high = atoms.get_potential_energy(), atoms.get_forces()
    assert high[0] == pytest.approx(low[0], rel=1e-6)
    assert high[1] == pytest.approx(low[1], abs=1e-5)


def test_unchanged_atoms_are_computed_once():
    calc = make_calculator(model_spec(load_run(example_run_path())))
    atoms = example("Si")
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    results = calc.results
    atoms.get_forces(), atoms.get_stress(), atoms.get_potential_energy()
    assert calc.results is results and atoms.get_potential_energy() == energy
    atoms.positions[0, 0] += 0.01
    atoms.get_potential_energy()
    assert calc.results is not results
