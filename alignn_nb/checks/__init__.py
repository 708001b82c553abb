"""The physics checks of a trained run: is its force field physical?

For the run's lowest-energy structure of each composition (and any structure added), four
checks with alignn's own ASE calculator: the energy–volume curve (Birch–Murnaghan V0, E0,
B), a FIRE relaxation, NVE molecular dynamics (the energy drift) and force consistency
(forces and stress against finite differences of the energy). Each gives a verdict (pass,
warn or error) with the threshold in its reason. `check_run` is ``alignn-nb check``;
`check_job` runs the same as a `alignn_nb.compute.Job`, in this process or on Dask.

This package sits above the model, the datasets, the run folders and training; importing
it loads neither torch nor DGL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.checks.calculator import ModelSpec, make_calculator, model_spec
    from alignn_nb.checks.ev import eos_curve, ev_check
    from alignn_nb.checks.forces import forces_check
    from alignn_nb.checks.geometry import atoms_from_json
    from alignn_nb.checks.md import md_check
    from alignn_nb.checks.plan import PlannedStructure, plan_structures
    from alignn_nb.checks.relax import relax_check
    from alignn_nb.checks.results import CheckReport, CheckResult, StructureChecks
    from alignn_nb.checks.run import (
        CheckPlan,
        check_job,
        check_run,
        plan_checks,
        planned_check_job,
    )
    from alignn_nb.checks.settings import CHECK_NAMES, CHECKS, CheckSettings, parse_checks
    from alignn_nb.checks.tasks import CHECK_EVENT

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
