"""Each check passes on a physical calculator (ASE's EMT on Cu) and is flagged when a
wrapper breaks what it checks: forces or stress scaled, a concave or shifted E–V curve, a
spring that collapses a pair of atoms, a cell far from its equilibrium volume."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.units import GPa

from alignn_nb.checks import CheckSettings, ev_check, forces_check, md_check, relax_check
from alignn_nb.checks.forces import EV_PER_A3_IN_GPA
from alignn_nb.checks.geometry import atoms_from_json, min_distance, supercell_repeat
from alignn_nb.checks.md import drift
from alignn_nb.checks.results import KEYS
from tests.support.check_models import Concave, Scaled, Spring

SHORT = CheckSettings(md_steps=20)


def cu(a: float = 3.61):
    return bulk("Cu", "fcc", a=a)


def test_ev_of_emt_copper_is_convex_with_its_bulk_modulus():
    atoms = cu()
    result = ev_check(atoms, EMT(), SHORT)
    assert result.verdict == "pass", result.reason
    values = result.values
    assert len(values["volumes"]) == 11
    v = atoms.get_volume()
    assert values["volumes"][0] == pytest.approx(0.92 * v) and values["volumes"][-1] == (
        pytest.approx(1.08 * v)
    )
    middle = atoms.copy()
    middle.calc = EMT()
    assert values["energies"][5] == pytest.approx(middle.get_potential_energy(), abs=1e-12)
    # ASE's own Birch–Murnaghan fit of the same points, B in GPa
    from ase.eos import EquationOfState

    v0, e0, b = EquationOfState(values["volumes"], values["energies"], "birchmurnaghan").fit()
    assert (values["v0"], values["e0"]) == (pytest.approx(v0), pytest.approx(e0))
    assert values["bulk_modulus_gpa"] == pytest.approx(b / GPa)
    assert 120 < values["bulk_modulus_gpa"] < 150  # EMT copper: 134 GPa
    assert "1e-05 eV/atom" in result.reason and "±8%" in result.reason


def test_a_concave_curve_is_flagged_not_convex():
    atoms = cu()
    result = ev_check(atoms, Concave(EMT(), atoms.get_volume(), c=0.05), SHORT)
    assert result.verdict == "warn"
    assert result.values["convex"] is False
    assert result.reason.startswith("not convex: a second difference of")
    assert result.values["bulk_modulus_gpa"] < 0


def test_a_minimum_beyond_the_range_is_flagged_at_the_edge():
    atoms = cu()
    shifted = Concave(EMT(), 1.3 * atoms.get_volume(), c=-0.5)  # a convex bowl at +30%
    result = ev_check(atoms, shifted, SHORT)
    assert result.verdict == "warn"
    assert result.values["convex"] is True and result.values["minimum_at_edge"] is True
    assert result.reason.startswith("minimum at the edge of ±8%")
    assert int(np.argmin(result.values["energies"])) == 10


def test_a_flat_curve_is_flagged_flat_and_nothing_else():
    atoms = cu()
    result = ev_check(atoms, Scaled(EMT(), energy=1e-6), SHORT)
    assert result.verdict == "warn"
    assert result.reason.startswith("flat: the energies span") and ";" not in result.reason


def test_dft_points_are_scaled_to_the_cell_and_kept_within_the_range():
    atoms = cu().repeat((2, 1, 1))
    v = atoms.get_volume() / 2
    dft = ((v, -3.0), (1.05 * v, -2.9), (2.0 * v, -1.0))
    values = ev_check(atoms, EMT(), SHORT, dft=dft).values
    assert values["dft_volumes"] == pytest.approx([2 * v, 2 * 1.05 * v])
    assert values["dft_energies"] == pytest.approx([-6.0, -5.8])


def test_relaxation_of_a_rattled_cell_converges_and_reports_its_numbers():
    atoms = cu().repeat(2)
    atoms.rattle(0.05, seed=1)
    result = relax_check(atoms, EMT(), SHORT)
    assert result.verdict == "pass", result.reason
    values = result.values
    assert values["converged"] and values["fmax"] < 0.05 and 0 < values["steps"] < 200
    assert values["energy_change"] == pytest.approx(values["energies"][-1] - values["energies"][0])
    assert values["energy_change"] < 0 and values["volume_change"] == pytest.approx(0, abs=1e-12)
    assert len(values["energies"]) == len(values["fmaxes"]) == values["steps"] + 1
    final = atoms_from_json(values["final_structure"])
    assert len(final) == 8 and values["min_distance"] == min_distance(final)
    assert values["min_distance"] > min_distance(atoms)  # the rattle is relaxed away
    assert atoms.calc is None  # the caller's structure is not touched


def test_a_cell_far_from_its_volume_is_flagged_and_stopped():
    result = relax_check(cu(a=3.61 * 1.12), EMT(), SHORT, cell_filter=True)
    assert result.verdict == "warn"
    assert result.values["volume_change"] < -0.20
    assert result.reason.startswith(f"stopped at step {result.values['steps']}: the volume")
    assert "beyond ±20%" in result.reason


def test_a_collapsing_pair_stops_the_relaxation():
    atoms = cu().repeat(2)
    result = relax_check(atoms, Spring(EMT(), 0, 1, k=500.0), SHORT)
    assert result.verdict == "warn"
    assert result.values["min_distance"] < 0.6
    assert "closer than 0.6 Å" in result.reason


def test_relaxation_short_of_its_steps_is_flagged():
    atoms = cu().repeat(2)
    atoms.rattle(0.1, seed=2)
    result = relax_check(atoms, EMT(), CheckSettings(relax_steps=2))
    assert result.verdict == "warn" and result.values["steps"] == 2
    assert "within 2 steps" in result.reason


def test_md_of_emt_copper_conserves_energy_and_reports_steps_and_time_step():
    result = md_check(cu(), EMT(), SHORT)
    assert result.verdict == "pass", result.reason
    values = result.values
    assert values["steps"] == 20 and values["timestep_fs"] == 1.0 and values["atoms"] == 36
    assert values["repeat"] == [4, 3, 3]
    assert values["time_fs"] == [float(i) for i in range(21)]
    assert values["warmup_steps"] == 4
    assert values["drift_mev_per_atom_ps"] == pytest.approx(
        drift(values["time_fs"], values["total_energy"], 36, 0.2)
    )
    assert abs(values["drift_mev_per_atom_ps"]) < 1
    assert "20 steps of 1 fs on 36 atoms" in result.reason
    assert np.allclose(
        np.add(values["kinetic_energy"], values["potential_energy"]), values["total_energy"]
    )
    # Maxwell–Boltzmann at 300 K from a seeded generator: the same start each time
    again = md_check(cu(), EMT(), SHORT).values
    assert again["kinetic_energy"][0] == values["kinetic_energy"][0] > 0


def test_forces_scaled_by_1_1_make_the_energy_drift():
    result = md_check(cu(), Scaled(EMT(), forces=1.1), SHORT)
    assert result.verdict == "warn"
    assert abs(result.values["drift_mev_per_atom_ps"]) > 1
    assert "beyond ±1 meV/atom/ps" in result.reason


def test_the_drift_threshold_is_a_setting():
    loose = CheckSettings(md_steps=20, drift_tolerance=1e4)
    assert md_check(cu(), Scaled(EMT(), forces=1.1), loose).verdict == "pass"


def test_a_blow_up_stops_the_md():
    result = md_check(cu(), Spring(EMT(), 0, 1, k=200.0), SHORT)
    assert result.verdict == "warn"
    assert (
        result.values["steps"] < 20 and len(result.values["time_fs"]) == result.values["steps"] + 1
    )
    assert result.values["blowup"].startswith(f"blew up at step {result.values['steps']}")
    assert result.reason.startswith("blew up")


def test_forces_and_stress_of_emt_are_its_energys_derivatives():
    result = forces_check(cu().repeat(2), EMT(), SHORT)
    assert result.verdict == "pass", result.reason
    values = result.values
    assert values["max_force_error"] < 1e-4 and values["max_stress_error"] < 1e-3
    assert (
        values["atoms_moved"] == sorted(values["atoms_moved"]) and len(values["atoms_moved"]) == 3
    )
    assert np.shape(values["forces_fd"]) == (3, 3) and np.shape(values["stress_fd"]) == (6,)


@pytest.mark.parametrize(
    ("wrapper", "flagged"),
    [
        ({"forces": 1.1}, "force vs −dE/dx: largest difference"),
        ({"stress": 1.1}, "stress vs finite strain: largest difference"),
        ({"stress": -1.0}, "stress vs finite strain: largest difference"),
    ],
)
def test_scaled_forces_or_stress_are_flagged(wrapper, flagged):
    atoms = cu().repeat(2)
    result = forces_check(atoms, Scaled(EMT(), **wrapper), SHORT)
    assert result.verdict == "warn"
    part = next(p for p in result.reason.split("; ") if p.startswith(flagged))
    assert "(over " in part
    moved = atoms.copy()
    moved.rattle(0.05, seed=0)
    moved.calc = EMT()
    if "forces" in wrapper:
        largest = np.abs(moved.get_forces()[result.values["atoms_moved"]]).max()
        assert result.values["max_force_error"] == pytest.approx(0.1 * largest, rel=1e-3)
    else:
        stress = np.abs(moved.get_stress()).max() * EV_PER_A3_IN_GPA
        factor = abs(wrapper["stress"] - 1)
        assert result.values["max_stress_error"] == pytest.approx(factor * stress, rel=1e-3)


def test_every_result_has_the_keys_of_its_check():
    settings = CheckSettings(md_steps=5)
    atoms = cu()
    for check, result in {
        "ev": ev_check(atoms, EMT(), settings),
        "relax": relax_check(atoms, EMT(), settings),
        "md": md_check(atoms, EMT(), settings),
        "forces": forces_check(atoms, EMT(), settings),
    }.items():
        keys = list(result.as_dict())
        assert keys[: len(KEYS[check])] == list(KEYS[check])
        assert keys[-3:] == ["verdict", "reason", "seconds"]


def test_supercell_repeats_the_shortest_axis_first():
    assert supercell_repeat(cu(), 32) == (4, 3, 3)
    assert supercell_repeat(bulk("Si", "diamond", a=5.43, cubic=True), 32) == (2, 2, 1)
    assert supercell_repeat(bulk("Si", "diamond", a=5.43, cubic=True).repeat(2), 32) == (1, 1, 1)


def test_min_distance_counts_periodic_images():
    assert min_distance(cu()) == pytest.approx(3.61 / np.sqrt(2))
