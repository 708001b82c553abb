"""`check_run` and the checks' Job: on alignn's own trained run every check gives its
numbers; the structures picked; bad input as one line while the other checks run; stop;
the same results on a Dask cluster."""

from __future__ import annotations

import functools
import json
import shutil

import pytest

from alignn_nb.checks import CHECK_EVENT, CheckSettings, check_job, check_run, plan_checks
from alignn_nb.checks.results import KEYS
from alignn_nb.datasets import load_dataset
from alignn_nb.training import example_run_path
from tests.support.check_models import SMALL, model_folder

pytestmark = pytest.mark.dgl

HANG_GUARD = 600.0
"""Seconds a test waits for a job: a guard against a hang, not a limit."""


def lowest_per_formula(path):
    best = {}
    for sample in load_dataset(path, energy="per_atom"):
        formula = sample.atoms.get_chemical_formula(empirical=True)
        per_atom = sample.targets.energy / sample.natoms
        if formula not in best or per_atom < best[formula][0]:
            best[formula] = (per_atom, sample.id)
    return [sample_id for _, sample_id in best.values()]


def test_the_trained_run_gives_all_four_results(alignn_trained):
    report = check_run(alignn_trained.output, data=alignn_trained.data, md_steps=20)
    assert [s.id for s in report.structures] == lowest_per_formula(alignn_trained.data)
    as_json = json.loads(json.dumps(report.as_dict()))
    assert len(as_json["structures"]) == 2
    for structure in as_json["structures"]:
        assert list(structure) == ["id", "formula", "atoms", "source", "checks"]
        assert list(structure["checks"]) == ["ev", "relax", "md", "forces"]
        for name, values in structure["checks"].items():
            assert values["verdict"] in ("pass", "warn"), values["reason"]
            assert all(values[key] is not None for key in KEYS[name]), name
        md = structure["checks"]["md"]
        assert (md["steps"], md["timestep_fs"]) == (20, 1.0)
        assert "20 steps of 1 fs" in md["reason"]
        assert len(structure["checks"]["ev"]["volumes"]) == 11
    assert as_json["counts"]["error"] == 0


def test_bad_structures_are_one_line_each_and_the_others_run(alignn_trained, tmp_path):
    broken = tmp_path / "broken.cif"
    broken.write_text("not a cif")
    report = check_run(
        alignn_trained.output,
        ["Si", "nothing-here", str(broken)],
        data=alignn_trained.data,
        checks=("ev",),
    )
    verdicts = {s.id: s.checks["ev"].verdict for s in report.structures}
    assert list(verdicts) == ["Cu-02", "Al-01", "Si", "nothing-here", "broken.cif"]
    assert verdicts["Cu-02"] != "error" and verdicts["Al-01"] != "error"
    assert [verdicts[k] for k in ("Si", "nothing-here", "broken.cif")] == ["error"] * 3
    errors = report.errors()
    assert len(errors) == 3
    assert errors[0] == (
        "element Si is absent from the run's training data (the train split of "
        "id_prop.json) (Si: ev)"
    )
    assert errors[1].startswith("'nothing-here' is neither an id in id_prop.json, a structure")
    assert errors[2].startswith(f"ASE could not read {broken}: ")
    assert errors[2].endswith("(broken.cif: ev)")


def test_a_model_without_forces_runs_only_the_ev_check(tmp_path):
    folder = model_folder(tmp_path / "energy-only", gradwise_weight=0.0, calculate_gradient=False)
    report = check_run(folder, ["Si"], md_steps=5)
    checks = report.structure("Si").checks
    assert checks["ev"].verdict in ("pass", "warn") and checks["ev"].values["energies"]
    for name in ("relax", "md", "forces"):
        assert checks[name].verdict == "error"
        assert checks[name].reason.startswith("the model computes no forces (calculate_gradient")
    assert report.errors() == [f"{checks['md'].reason} (Si: relax, md, forces)"]


def test_a_run_folder_without_weights_is_refused(tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(example_run_path(), folder)
    (folder / "best_model.pt").unlink()
    with pytest.raises(FileNotFoundError, match=r"^no weights file .*best_model\.pt$"):
        plan_checks(folder)


def test_another_run_needs_data_or_structures(tmp_path):
    folder = model_folder(tmp_path / "run", **SMALL)
    with pytest.raises(ValueError, match=r"^nothing to check: give --data"):
        plan_checks(folder)


def test_the_example_run_takes_its_own_data():
    plan = plan_checks(example_run_path(), settings=CheckSettings(checks=("ev",)))
    (structure,) = plan.structures
    assert (structure.id, structure.formula, len(structure.atoms)) == ("214", "Si", 64)
    assert structure.source == "data" and len(structure.dft) == 264


def test_a_stop_ends_the_job_with_the_checks_done(alignn_trained):
    plan = plan_checks(
        alignn_trained.output,
        data=alignn_trained.data,
        settings=CheckSettings(md_steps=2000, checks=("ev", "md")),
    )
    job = check_job(plan)
    seen = []

    def on_event(change):
        if change["new"] is not None and change["new"].kind == CHECK_EVENT:
            seen.append(change["new"].data["result"].check)
            job.stop()

    job.observe(on_event, names="event")
    job.start()
    assert job.wait(HANG_GUARD)
    assert job.state == "stopped" and seen == ["ev"]
    report = job.result
    assert report.stopped and [list(s.checks) for s in report.structures] == [["ev"], []]


def test_the_checks_run_the_same_on_a_dask_cluster(alignn_trained, dask_cluster):
    from alignn_nb.compute import Cluster, connect

    options = {"data": alignn_trained.data, "checks": ("ev", "forces"), "md_steps": 5}
    here = check_run(alignn_trained.output, **options)
    cluster = Cluster(scheduler=dask_cluster.address)
    there = check_run(alignn_trained.output, connect=functools.partial(connect, cluster), **options)
    for ours, theirs in zip(here.structures, there.structures, strict=True):
        for name in ("ev", "forces"):
            a, b = ours.checks[name], theirs.checks[name]
            assert a.verdict == b.verdict
            for key in KEYS[name]:
                assert a.values[key] == pytest.approx(b.values[key], rel=1e-6, abs=1e-9)


def test_a_stop_ends_a_running_md_between_two_steps(alignn_trained):
    plan = plan_checks(
        alignn_trained.output,
        data=alignn_trained.data,
        settings=CheckSettings(md_steps=100_000, checks=("md",)),
    )
    job = check_job(plan)

    def on_message(change):
        if "md: step" in change["new"]:
            job.stop()

    job.observe(on_message, names="message")
    job.start()
    assert job.wait(HANG_GUARD)
    assert job.state == "stopped" and job.result.stopped
    assert job.result.results() == []
