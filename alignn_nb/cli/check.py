"""``alignn-nb check``: is a trained alignn run's force field physical?"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import typing

from alignn_nb.cli import _settings

VERB = "check"
STOPPED_STATUS = 130
"""Exit status after a Ctrl-C stopped the checks (the report of those done is printed)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``check`` verb."""
    verb = subparsers.add_parser(
        VERB,
        help="physics checks of a trained alignn run: E–V curve, relaxation, NVE MD drift, "
        "force consistency",
        description="Load an alignn output folder into alignn's own ASE calculator "
        "(weights read with torch.load(weights_only=True)) and check, for the lowest-energy "
        "structure of each composition in its data and any structure given: the energy–volume "
        "curve (±8%% in volume, Birch–Murnaghan V0, E0, B), a FIRE relaxation (fmax 0.05 eV/Å "
        "or 200 steps), NVE velocity-Verlet MD on ≥ 32 atoms (1 fs, 300 K; the total-energy "
        "drift in meV/atom/ps) and force consistency (forces and stress against finite "
        "differences of the energy). Each check prints a verdict (pass, warn, error) with its "
        "threshold. The checks run as Dask tasks, on a local cluster by default. Exit status: "
        "0 when every check ran (gate on --json's verdicts), 2 for a bad folder, file or "
        "structure (one line each; the other checks still run), 130 after a Ctrl-C.",
    )
    verb.add_argument("run_folder", metavar="RUN", help="alignn's output_dir")
    verb.add_argument(
        "--structure",
        metavar="ID|FILE",
        nargs="+",
        action="extend",
        default=[],
        help="add structures: an id in the data, a structure file ASE reads, or a built-in "
        "example (Si, NaCl, Cu, graphene, H2O, Si64)",
    )
    verb.add_argument(
        "--checks",
        default="ev,relax,md,forces",
        metavar="ev,relax,md,forces",
        help="which checks, comma-separated (default: all four)",
    )
    verb.add_argument(
        "--md-steps", type=int, default=500, metavar="N", help="MD steps of 1 fs (default 500)"
    )
    verb.add_argument(
        "--weights",
        metavar="FILE",
        default=None,
        help="a state dict: a path, or a file name in RUN (default best_model.pt)",
    )
    verb.add_argument(
        "--data",
        metavar="DATA",
        default=None,
        help="the structures the run was trained on: alignn's id_prop.json, its folder or an "
        "extxyz file (for the example run alignn-nb ships, its own data by default)",
    )
    verb.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="run on a local Dask cluster of N worker processes (default: one per core)",
    )
    verb.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run on this Dask cluster instead of a local one",
    )
    verb.add_argument("--json", action="store_true", help="print one JSON object")
    verb.set_defaults(func=run)


def _plan(args: argparse.Namespace) -> typing.Any:
    from alignn_nb.checks import CheckSettings, parse_checks, plan_checks

    settings = CheckSettings(checks=parse_checks(args.checks), md_steps=args.md_steps)
    return plan_checks(
        args.run_folder, args.structure, weights=args.weights, data=args.data, settings=settings
    )


def _connect(args: argparse.Namespace) -> typing.Any:
    from alignn_nb.compute import Cluster, connect

    return functools.partial(connect, Cluster(workers=args.workers, scheduler=args.scheduler))


def run(args: argparse.Namespace) -> int:
    """Plan, run the checks with a progress bar on stderr, print the report; returns the
    exit status."""
    from alignn_nb.checks import check_job
    from alignn_nb.compute import follow

    try:
        plan = _plan(args)
        connect = _connect(args)
    except (ValueError, OSError) as exc:
        return _settings.fail(VERB, exc)
    job = follow(check_job(plan, connect=connect, name="alignn-nb check"), sys.stderr)
    report = job.result
    if report is None:
        return _settings.fail(VERB, RuntimeError(str(job.error or "the checks were stopped")))
    sys.stdout.write(json.dumps(report.as_dict()) + "\n" if args.json else report.text())
    for line in report.errors():
        _settings.fail(VERB, ValueError(line))
    if report.stopped:
        return STOPPED_STATUS
    return 2 if report.errors() else 0
