"""Progress: the rate over a window of recent reports and the ETA, on a clock the test moves."""

from __future__ import annotations

import pytest

from alignn_nb.compute import Progress, ProgressMeter


def test_the_rate_is_done_over_time_since_the_start_and_the_eta_what_is_left(clock):
    meter = ProgressMeter("structures", clock, window=10.0)
    clock.advance(5.0)
    assert meter.start() == Progress(unit="structures")
    clock.advance(2.0)
    assert meter.update(10, 100) == Progress(
        done=10, total=100, unit="structures", rate=5.0, eta=18.0, elapsed=2.0
    )


def test_the_rate_forgets_reports_older_than_the_window(clock):
    meter = ProgressMeter("structures", clock, window=10.0)
    meter.start()
    clock.advance(2.0)
    meter.update(10, 100)
    clock.advance(10.0)
    twelve = meter.update(30)
    assert (twelve.rate, twelve.eta, twelve.elapsed) == (2.0, 35.0, 12.0)
    clock.advance(1.0)
    thirteen = meter.update(40)
    assert thirteen.rate == pytest.approx(30 / 11)
    assert thirteen.eta == pytest.approx(22.0)


def test_total_and_unit_stay_until_a_report_changes_them(clock):
    meter = ProgressMeter("steps", clock)
    meter.start()
    clock.advance(1.0)
    meter.update(1, 10)
    clock.advance(1.0)
    assert meter.update(2) == Progress(2, 10, "steps", rate=1.0, eta=8.0, elapsed=2.0)
    clock.advance(1.0)
    assert meter.update(3, 20, unit="epochs").unit == "epochs"
    assert meter.current.total == 20


def test_an_unknown_total_has_a_rate_and_no_eta(clock):
    meter = ProgressMeter("rows", clock)
    meter.start()
    clock.advance(4.0)
    assert meter.update(8) == Progress(8, None, "rows", rate=2.0, eta=None, elapsed=4.0)


def test_a_task_eta_replaces_the_measured_one(clock):
    meter = ProgressMeter("epochs", clock)
    meter.start()
    clock.advance(3.0)
    assert meter.update(0, 5, eta=120.0).eta == 120.0
    clock.advance(3.0)
    assert meter.update(1, 5).eta == 24.0


def test_no_progress_yet_has_no_eta_and_a_finished_one_has_zero(clock):
    meter = ProgressMeter("", clock)
    meter.start()
    clock.advance(1.0)
    assert meter.update(0, 5) == Progress(0, 5, rate=0.0, eta=None, elapsed=1.0)
    clock.advance(1.0)
    assert meter.update(5).eta == 0.0


def test_work_going_back_restarts_the_rate(clock):
    meter = ProgressMeter("trials", clock)
    meter.start()
    clock.advance(1.0)
    meter.update(4, 8)
    clock.advance(1.0)
    redone = meter.update(2)
    assert (redone.rate, redone.eta) == (None, None)
    clock.advance(2.0)
    assert meter.update(4).rate == 1.0


def test_reports_at_the_same_instant_as_the_start_have_no_rate(clock):
    meter = ProgressMeter("", clock)
    meter.start()
    assert meter.update(3, 6).rate is None


@pytest.mark.parametrize(
    ("progress", "fraction"),
    [
        (Progress(3, 4), 0.75),
        (Progress(3, None), None),
        (Progress(0, 0), None),
        (Progress(9, 4), 1.0),
    ],
)
def test_the_fraction_done(progress, fraction):
    assert progress.fraction == fraction


def test_a_total_set_before_the_start_stays_and_measures_nothing(clock):
    meter = ProgressMeter("structures", clock)
    assert meter.expect(60) == Progress(0, 60, "structures")
    clock.advance(5.0)
    assert meter.start() == Progress(0, 60, "structures")
    clock.advance(1.0)
    assert meter.update(6) == Progress(6, 60, "structures", rate=6.0, eta=9.0, elapsed=1.0)
