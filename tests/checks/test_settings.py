"""`CheckSettings`: the checks in report order, and one-line refusals naming the field."""

from __future__ import annotations

import pytest

from alignn_nb.checks import CHECKS, CheckSettings, parse_checks


def test_defaults_are_the_documented_thresholds():
    s = CheckSettings()
    assert s.checks == CHECKS == ("ev", "relax", "md", "forces")
    assert (s.ev_points, s.ev_range) == (11, 0.08)
    assert (s.relax_fmax, s.relax_steps, s.max_volume_change, s.min_distance) == (
        0.05, 200, 0.20, 0.6,
    )  # fmt: skip
    assert (s.md_steps, s.md_timestep_fs, s.md_temperature_k, s.md_min_atoms) == (
        500,
        1.0,
        300.0,
        32,
    )
    assert (s.md_warmup, s.drift_tolerance) == (0.2, 1.0)
    assert (s.fd_step, s.force_tolerance) == (1e-3, 1e-2)


def test_checks_are_kept_in_report_order():
    assert parse_checks("forces, ev") == ("ev", "forces")
    assert CheckSettings(checks=("md", "relax")).checks == ("relax", "md")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"checks": ("ev", "phonons")},
            "checks ev,phonons refused: choose from ev,relax,md,forces",
        ),
        ({"checks": ()}, "checks (none) refused: choose from ev,relax,md,forces"),
        ({"ev_points": 7}, "setting refused: ev_points 7: at least 11"),
        ({"md_steps": 2}, "setting refused: md steps 2: at least 5 (the drift is a linear fit)"),
        ({"fd_step": 0.0}, "setting refused: fd_step 0.0: between 0 and 0.05"),
    ],
)
def test_a_setting_out_of_range_is_refused_in_one_line(changes, message):
    with pytest.raises(ValueError) as refused:
        CheckSettings(**changes)
    assert str(refused.value) == message


def test_as_dict_is_json_ready():
    import json

    values = CheckSettings(md_steps=20).as_dict()
    assert values["checks"] == ["ev", "relax", "md", "forces"] and values["md_steps"] == 20
    assert json.loads(json.dumps(values)) == values
