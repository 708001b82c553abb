"""The physics checks of a trained run: is its force field physical?

For the run's lowest-energy structure of each composition (and any structure added), four
checks with alignn's own ASE calculator: the energy–volume curve (Birch–Murnaghan V0, E0,
B), a FIRE relaxation, NVE molecular dynamics (the energy drift) and force consistency
(forces and stress against finite differences of the energy). Each gives a verdict (pass,
warn or error) with the threshold in its reason. `check_run` is ``alignn-nb check``;
`check_job` runs the same as a `alignn_nb.compute.Job`, in this process or on Dask.

This package sits above the model, the datasets and the run folders; importing it loads
neither torch nor DGL.
"""

from __future__ import annotations

from alignn_nb.lazy import lazy_names

_LAZY = {
    "CHECKS": "alignn_nb.checks.settings",
    "CheckSettings": "alignn_nb.checks.settings",
    "parse_checks": "alignn_nb.checks.settings",
    "CheckResult": "alignn_nb.checks.results",
    "StructureChecks": "alignn_nb.checks.results",
    "CheckReport": "alignn_nb.checks.results",
    "ModelSpec": "alignn_nb.checks.calculator",
    "make_calculator": "alignn_nb.checks.calculator",
    "model_spec": "alignn_nb.checks.calculator",
    "PlannedStructure": "alignn_nb.checks.plan",
    "plan_structures": "alignn_nb.checks.plan",
    "ev_check": "alignn_nb.checks.ev",
    "relax_check": "alignn_nb.checks.relax",
    "md_check": "alignn_nb.checks.md",
    "forces_check": "alignn_nb.checks.forces",
    "CHECK_EVENT": "alignn_nb.checks.tasks",
    "CheckPlan": "alignn_nb.checks.run",
    "plan_checks": "alignn_nb.checks.run",
    "check_job": "alignn_nb.checks.run",
    "planned_check_job": "alignn_nb.checks.run",
    "check_run": "alignn_nb.checks.run",
}
"""Public names and the module each lives in, imported on first use (the checks need torch)."""

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
