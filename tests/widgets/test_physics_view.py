"""PhysicsView only observes a Job and draws it: each check as its event arrives, the
report at the end, a failed job's one line; Stop stops the job; Check makes the job."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from traitlets import TraitError

from alignn_nb.checks import (
    CHECK_EVENT,
    CheckReport,
    CheckSettings,
    StructureChecks,
    ev_check,
    forces_check,
    md_check,
    relax_check,
)
from alignn_nb.compute import ThreadJob
from alignn_nb.training import example_run_data, example_run_path
from alignn_nb.widgets import ExploreTab, PhysicsView
from tests.support.pages import shown_hints

HANG_GUARD = 600.0
SETTINGS = CheckSettings(md_steps=10)


@pytest.fixture(scope="module")
def emt_results():
    atoms = bulk("Cu", "fcc", a=3.61)
    return {
        "ev": ev_check(atoms, EMT(), SETTINGS),
        "relax": relax_check(atoms.repeat(2), EMT(), SETTINGS),
        "md": md_check(atoms, EMT(), SETTINGS),
        "forces": forces_check(atoms.repeat(2), EMT(), SETTINGS),
    }


def canned_job(results, release: threading.Event | None = None) -> ThreadJob:
    """A job that emits each result as the checks' job does, optionally waits for
    ``release`` after the first, and returns their report."""

    def task(ctx):
        for index, result in enumerate(results.values()):
            ctx.emit(CHECK_EVENT, {"index": index, "structure": "Cu", "result": result})
            ctx.report(index + 1, len(results), unit="checks")
            if release is not None and index == 0:
                release.wait(HANG_GUARD)
        row = StructureChecks("Cu", "Cu", 1, dict(results), "example")
        return CheckReport("emt", "none", SETTINGS, (row,))

    return ThreadJob(task, name="canned", unit="checks")


def png(picture) -> bool:
    return picture.value[:4] == b"\x89PNG"


def test_before_a_job_the_view_shows_no_image_and_offers_check():
    view = PhysicsView()
    assert [p.value for p in view.pictures.values()] == [b""] * 4
    assert shown_hints(view) == []
    assert not view.check_button.disabled and view.stop_button.disabled
    assert view.checks == ["ev", "relax", "md", "forces"] and view.md_steps == 500


def test_a_finished_job_draws_every_check_of_its_report(emt_results):
    view = PhysicsView()
    job = canned_job(emt_results)
    view.job = job
    job.start()
    assert job.wait(HANG_GUARD)
    assert view.report is job.result and not view.busy
    assert view.structure_dropdown.options == ("Cu",) and view.selected == "Cu"
    assert all(png(p) for p in view.pictures.values())
    assert (view.progress.value, view.progress.max) == (4, 4)
    verdicts = view.verdicts.value
    for result in emt_results.values():
        assert f">{result.verdict}</td>" in verdicts
    final = emt_results["relax"].values["final_structure"]
    assert np.allclose(view.atoms_view.atoms.positions, final["positions"])
    assert view.atoms_view.layer_components() == ["cell", "atoms"]


def test_each_check_is_drawn_as_its_event_arrives(emt_results):
    view = PhysicsView()
    release = threading.Event()
    job = canned_job(emt_results, release)
    view.job = job
    job.start()
    deadline = threading.Event()
    while not png(view.pictures["ev"]) and not deadline.wait(0.05):
        pass
    assert view.busy and view.report is None and view.check_button.disabled
    assert [png(p) for p in view.pictures.values()] == [True, False, False, False]
    assert view.pictures["md"].hint == "NVE molecular dynamics: running…"
    release.set()
    assert job.wait(HANG_GUARD)
    assert all(png(p) for p in view.pictures.values())


def test_stop_stops_the_job_and_the_view_is_ready_again():
    def waits(ctx):
        ctx.stop_event.wait(HANG_GUARD)

    view = PhysicsView()
    job = ThreadJob(waits)
    view.job = job
    job.start()
    assert not view.stop_button.disabled
    view.stop_button.click()
    assert job.wait(HANG_GUARD) and job.state == "stopped"
    assert not view.busy and not view.check_button.disabled and view.stop_button.disabled


def test_a_failed_job_is_one_line_and_the_pictures_say_not_run(tmp_path):
    view = PhysicsView()
    view.folder = str(tmp_path / "missing")
    job = view.check()
    assert job is not None and job.wait(HANG_GUARD)
    assert job.state == "failed"
    assert view.error == f"no alignn output folder at {tmp_path / 'missing'}"
    assert view.report is None and not view.busy
    assert view.pictures["ev"].hint == "energy–volume curve: not run"


def test_settings_follow_their_controls_and_refuse_unknown_checks():
    view = PhysicsView()
    view.check_boxes["md"].value = False
    assert view.checks == ["ev", "relax", "forces"]
    view.checks = ["forces", "ev"]
    assert view.checks == ["ev", "forces"] and not view.check_boxes["relax"].value
    with pytest.raises(TraitError, match="unknown checks phonons"):
        view.checks = ["phonons"]
    assert view.checks == ["ev", "forces"]
    view.md_steps_input.value = 20
    assert view.md_steps == 20
    with pytest.raises(TraitError, match="no structure 'Cu'"):
        view.selected = "Cu"
    view.folder = ""
    assert view.check() is None and view.error == "give the run folder: alignn's output_dir"


def test_the_explore_tab_hands_its_run_to_the_physics_view():
    tab = ExploreTab()
    assert isinstance(tab.physics, PhysicsView) and tab.children[-1] is tab.physics
    assert (tab.physics.folder, tab.physics.data) == (
        str(example_run_path()),
        str(example_run_data()),
    )
    tab.weights, tab.scheduler = "last_model.pt", "tcp://127.0.0.1:8786"
    assert (tab.physics.weights, tab.physics.scheduler) == ("last_model.pt", "tcp://127.0.0.1:8786")


@pytest.mark.dgl
def test_check_runs_the_example_runs_checks_in_the_kernel():
    view = PhysicsView()
    view.folder, view.data = str(example_run_path()), str(example_run_data())
    view.checks = ["ev"]
    job = view.check()
    assert job is not None and job.wait(HANG_GUARD) and job.state == "done"
    assert view.selected == "214" and png(view.pictures["ev"])
    assert view.report.structure("214").checks["ev"].values["atoms"] == 64
    assert view.pictures["md"].value == b""
    assert view.pictures["md"].hint == "NVE molecular dynamics: not run"
