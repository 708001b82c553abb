"""Datasets: the embedded EMT set, alignn's id_prop files, extxyz, and the stress convention."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.io import write

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.training.datasets import (
    EV_PER_A3_IN_GPA,
    Dataset,
    load_dataset,
    make_sample,
    stress_matrix,
)
from alignn_nb.training.example_data import default_dataset
from alignn_nb.training.id_prop import read_id_prop
from tests.conftest import EXAMPLE_DATA


@pytest.fixture(scope="module")
def default():
    return default_dataset()


def test_default_dataset_is_30_small_cu_and_al_cells(default):
    assert len(default) == 30
    assert {s.natoms for s in default} == {4, 8}
    assert {frozenset(s.atoms.get_chemical_symbols()) for s in default} == {
        frozenset({"Cu"}),
        frozenset({"Al"}),
    }
    assert default.target_counts() == {
        "energy": 30,
        "forces": 30,
        "stress": 30,
        "atomwise": 30,
        "additional": 0,
    }


def test_default_dataset_is_deterministic_per_seed(default):
    again = default_dataset()
    other = default_dataset(seed=1)
    assert [s.targets.energy for s in again] == [s.targets.energy for s in default]
    assert np.array_equal(again[7].atoms.positions, default[7].atoms.positions)
    assert other[0].targets.energy != default[0].targets.energy


def test_the_fingerprint_follows_structures_and_targets_and_is_worked_out_once(default):
    again = default_dataset()
    assert again.fingerprint == default.fingerprint
    assert again.fingerprint is again.fingerprint
    assert default[:29].fingerprint != default.fingerprint
    first = default[0]
    shifted = make_sample(first.id, first.atoms, energy=first.targets.energy + 1e-9)
    assert Dataset(default.name, (shifted,)).fingerprint != default[:1].fingerprint
    moved = first.atoms.copy()
    moved.positions[0, 0] += 1e-9
    same_targets = make_sample(first.id, moved, energy=first.targets.energy)
    unmoved = make_sample(first.id, first.atoms, energy=first.targets.energy)
    assert Dataset("a", (same_targets,)).fingerprint != Dataset("b", (unmoved,)).fingerprint


def test_default_targets_are_emt_in_alignn_units(default):
    sample = default[3]
    atoms = sample.atoms.copy()
    atoms.calc = EMT()
    assert sample.targets.energy == pytest.approx(atoms.get_potential_energy(), abs=1e-10)
    assert np.allclose(sample.targets.forces, atoms.get_forces())
    assert np.allclose(sample.targets.stress, atoms.get_stress(voigt=False) * 160.21766208)
    assert np.array_equal(sample.targets.atomwise, sample.targets.forces)


def _stress_and_strain_derivative(atoms, model, graph) -> tuple[np.ndarray, np.ndarray]:
    """alignn's stress head and (160.21766208 / V) dE/dε by central differences, both GPa."""
    from alignn_nb.graphs.reference import alignn_graphs

    def run(structure):
        built = alignn_graphs(structure, graph)
        g, lg = built.g, built.lg
        for frame in (g.ndata, g.edata):
            for key in list(frame.keys()):
                if frame[key].is_floating_point():
                    frame[key] = frame[key].double()
        lg.ndata["r"] = g.edata["r"]
        return model((g, lg, built.lattice.double()))

    step, derivative = 1e-4, np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            energies = []
            for sign in (1, -1):
                strain = np.eye(3)
                strain[i, j] += sign * step
                strained = atoms.copy()
                strained.set_cell(atoms.cell.array @ strain.T, scale_atoms=True)
                energies.append(float(run(strained)["out"]) * len(atoms))
            derivative[i, j] = (energies[0] - energies[1]) / (2 * step)
    stress = run(atoms)["stresses"].detach().numpy()[0]
    return stress, derivative * EV_PER_A3_IN_GPA / atoms.get_volume()


@pytest.mark.dgl
def test_alignn_stress_head_is_plus_strain_derivative_in_gpa():
    """The convention the loaders convert to: σ = +(1/V) ∂E/∂ε, ASE's sign, in GPa."""
    from alignn_nb.model.build import build_model

    model = build_model(ALIGNNAtomWiseConfig(stresswise_weight=1.0, use_penalty=False)).double()
    atoms = bulk("Cu", "fcc", a=3.5, cubic=True)
    atoms.positions += np.random.default_rng(1).normal(0, 0.05, atoms.positions.shape)
    stress, derivative = _stress_and_strain_derivative(atoms, model, GraphConfig())
    assert np.abs(stress).max() > 0
    assert np.allclose(stress, derivative, rtol=1e-3, atol=1e-3 * np.abs(stress).max())


def test_jarvis_sample_is_total_energy_and_vasp_stress():
    path = EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json"
    raw = json.loads(path.read_text())
    dataset = load_dataset(path)
    assert len(dataset) == 50
    assert dataset.atom_count() == 500
    assert dataset[0].id == raw[0]["jid"]
    assert dataset[0].targets.energy == raw[0]["total_energy"]
    assert np.allclose(dataset[0].targets.stress, -0.1 * np.array(raw[0]["stresses"]))
    assert np.array_equal(dataset[0].targets.forces, np.array(raw[0]["forces"]))
    assert "read as eV per cell" in dataset.conventions[0]
    assert any("kbar, positive under compression" in note for note in dataset.conventions)


def test_jarvis_squeezed_cell_is_compressed_and_stretched_cell_in_tension():
    """Within the snapshots of one structure (E ≈ -42 eV), stress rises with volume."""
    dataset = load_dataset(EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json")
    family = sorted(
        (s for s in dataset if s.targets.energy < -40), key=lambda s: s.atoms.get_volume()
    )
    smallest, largest = family[0], family[-1]
    assert smallest.atoms.get_volume() < 145 < 148 < largest.atoms.get_volume()
    assert np.trace(smallest.targets.stress) / 3 == pytest.approx(-2.536, abs=1e-3)
    assert np.trace(largest.targets.stress) / 3 > 2


def test_mlearn_duplicates_copied_stresses_and_per_atom_energy():
    path = EXAMPLE_DATA / "mlearn_Si_id_prop.json"
    raw = json.loads(path.read_text())
    dataset = load_dataset(path)
    assert len(raw) == 264
    assert len(dataset) == 239
    assert dataset.target_counts()["stress"] == 214
    assert dataset[0].targets.energy == pytest.approx(raw[0]["total_energy"] * 63)
    assert "read as eV per atom" in dataset.conventions[0]
    test_part = [s for s in dataset if int(s.id) > 214]
    assert len(test_part) == 25
    assert all(s.targets.stress is None for s in test_part)


def test_mlearn_voigt_order_is_vasps_xy_yz_zx():
    raw = json.loads((EXAMPLE_DATA / "mlearn_Si_id_prop.json").read_text())
    dataset = {s.id: s for s in load_dataset(EXAMPLE_DATA / "mlearn_Si_id_prop.json")}
    for jid, (i, j) in (("187", (0, 1)), ("205", (1, 2)), ("196", (2, 0))):
        entry = next(e for e in raw if e["jid"] == jid)
        stress = dataset[jid].targets.stress
        shear = np.abs(stress - np.diag(np.diag(stress)))
        assert np.unravel_index(shear.argmax(), shear.shape) in ((i, j), (j, i))
        assert stress[i, j] == pytest.approx(-0.1 * max(entry["stresses"][3:], key=abs))


def test_mlearn_compressed_cell_has_negative_stress():
    dataset = {s.id: s for s in load_dataset(EXAMPLE_DATA / "mlearn_Si_id_prop.json")}
    compressed, stretched = dataset["160"], dataset["168"]
    assert compressed.atoms.cell.lengths()[0] < stretched.atoms.cell.lengths()[0]
    assert compressed.targets.stress[0, 0] == pytest.approx(-16.9412, abs=1e-3)
    assert stretched.targets.stress[0, 0] > 0


def _write_entries(tmp_path, entries):
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps(entries))
    return path


def _entry(jid="a", natoms=2, energy=-30.0):
    return {
        "jid": jid,
        "atoms": {
            "lattice_mat": [[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0]],
            "coords": [[0, 0, 0], [0.5, 0.5, 0.5]][:natoms],
            "elements": ["Cu", "Cu"][:natoms],
            "cartesian": False,
        },
        "total_energy": energy,
        "forces": [[0.0, 0.0, 0.1]] * natoms,
        "stresses": [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]],
    }


def test_a_file_whose_only_entry_is_bad_is_refused_naming_it(tmp_path):
    entry = _entry("bad-one")
    entry["forces"] = [[0.0, 0.0, 0.1]] * 3
    with pytest.raises(
        ValueError,
        match=r"^id_prop.json: the dataset is empty: it holds no readable structure "
        r"\(1 skipped; bad-one: forces "
        r"have shape \(3, 3\) but the cell has 2 atoms; expected \(2, 3\) in eV/Å\)$",
    ):
        read_id_prop(_write_entries(tmp_path, [entry]))


def test_a_bad_entry_is_skipped_and_the_rest_read(tmp_path):
    odd = _entry("odd")
    odd["stresses"] = [1.0, 2.0, 3.0, 4.0]
    dataset = read_id_prop(
        _write_entries(tmp_path, [_entry("fine", energy=-31.0), odd]), energy="total"
    )
    assert [s.id for s in dataset] == ["fine"]
    assert dataset[0].targets.energy == -31.0
    assert [s.as_dict() for s in dataset.skipped] == [
        {
            "id": "odd",
            "reason": "stress has shape (4,); expected 3×3, 9 numbers or a Voigt 6-vector",
        }
    ]


def test_ambiguous_energy_is_refused_until_told(tmp_path):
    path = _write_entries(tmp_path, [_entry("a", energy=-3.0), _entry("b", energy=-3.5)])
    with pytest.raises(ValueError, match="cannot tell whether total_energy is per atom"):
        read_id_prop(path)
    per_atom = read_id_prop(path, energy="per_atom")
    assert [s.targets.energy for s in per_atom] == [-6.0, -7.0]
    assert read_id_prop(path, energy="total")[0].targets.energy == -3.0


def test_missing_targets_stay_missing(tmp_path):
    entry = _entry()
    del entry["stresses"], entry["forces"]
    dataset = read_id_prop(_write_entries(tmp_path, [entry]))
    assert dataset[0].targets.stress is None
    assert dataset[0].targets.forces is None
    assert dataset.target_counts()["energy"] == 1


def test_not_a_list_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"atoms": {}}')
    with pytest.raises(ValueError, match="expected a JSON list"):
        load_dataset(path)


def test_unknown_suffix_and_missing_file(tmp_path):
    (tmp_path / "data.csv").write_text("a,b")
    with pytest.raises(ValueError, match=r"expected alignn's id_prop \.json or an \.xyz"):
        load_dataset(tmp_path / "data.csv")
    with pytest.raises(FileNotFoundError, match="no dataset file"):
        load_dataset(tmp_path / "absent.json")


def test_extxyz_round_trip_keeps_targets(tmp_path, default):
    frames = []
    for sample in default.samples[:3]:
        atoms = sample.atoms.copy()
        atoms.calc = EMT()
        atoms.get_stress()
        frames.append(atoms)
    plain = frames[2].copy()
    plain.calc = None
    write(tmp_path / "set.extxyz", [*frames[:2], plain], format="extxyz")
    dataset = load_dataset(tmp_path / "set.extxyz")
    assert len(dataset) == 3
    assert dataset[0].targets.energy == pytest.approx(default[0].targets.energy, abs=1e-8)
    assert np.allclose(dataset[1].targets.stress, default[1].targets.stress, atol=1e-6)
    assert dataset.target_counts()["energy"] == 2
    assert dataset[2].targets.stress is None


def test_stress_matrix_orders():
    flat = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    ase = stress_matrix(flat, "ase")
    vasp = stress_matrix(flat, "vasp")
    assert tuple(ase[[1, 0, 0], [2, 2, 1]] / EV_PER_A3_IN_GPA) == pytest.approx((4.0, 5.0, 6.0))
    assert (vasp[0, 1], vasp[1, 2], vasp[2, 0]) == pytest.approx((-0.4, -0.5, -0.6))
    assert stress_matrix(flat, "alignn")[0, 1] == 6.0


def test_make_sample_refuses_nan_forces():
    atoms = bulk("Al", "fcc", a=4.05)
    with pytest.raises(ValueError, match="sample 'x': forces contains NaN"):
        make_sample("x", atoms, forces=[[np.nan, 0, 0]])


def test_dataset_slice_keeps_conventions(default):
    part = default[:5]
    assert len(part) == 5
    assert part.conventions == default.conventions
    assert repr(part).startswith("Dataset('default (EMT Cu/Al, seed 0)', 5 samples")
