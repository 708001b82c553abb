"""``alignn-nb evaluate``: a trained alignn run's errors on its split, per structure."""

from __future__ import annotations

import argparse
import json
import sys
import typing

from alignn_nb.cli import _settings
from alignn_nb.datasets import EnergyConvention, StressConvention

VERB = "evaluate"
SPLITS = ("train", "val", "test", "all")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` verb."""
    verb = subparsers.add_parser(
        VERB,
        help="a trained alignn run's energy, force and stress errors on its data",
        description="Load an alignn output folder (config.json and best_model.pt, or the "
        "weights given), run alignn's model on the structures of a split and print the energy "
        "MAE (eV/atom), force MAE (eV/Å) and stress MAE (GPa), and per structure the energy "
        "target and prediction (alignn's pred_out: eV/atom with energy_mult_natoms, else eV "
        "per cell). Weights are read with torch.load(weights_only=True); a file that needs "
        "more is refused. On a terminal a progress bar is drawn on stderr. Exit status: 0 "
        "on success, 2 for a bad folder, file or dataset, 130 after a Ctrl-C.",
    )
    verb.add_argument("run_folder", metavar="RUN_FOLDER", help="alignn's output_dir")
    verb.add_argument(
        "--weights",
        metavar="FILE",
        default=None,
        help="a state dict to evaluate: a path, or a file name in RUN_FOLDER such as "
        "last_model.pt (the weights alignn's Test_results.json was made with); default "
        "best_model.pt",
    )
    verb.add_argument(
        "--data",
        metavar="DATA",
        default=None,
        help="the structures: alignn's id_prop.json, the folder holding it (train_for_folder's "
        "root_dir, which alignn does not record), or an extxyz file",
    )
    verb.add_argument(
        "--split",
        choices=SPLITS,
        default=None,
        help="which structures, by the run's ids_train_val_test.json (default: test, or all "
        "when the run recorded no split)",
    )
    verb.add_argument(
        "--energy",
        choices=[c for c in typing.get_args(EnergyConvention) if c != "auto"],
        default=None,
        help="how an id_prop.json holds total_energy (default: the run's readout unit, per "
        "atom with energy_mult_natoms, as alignn fed it to the loss unchanged)",
    )
    verb.add_argument(
        "--stress",
        choices=typing.get_args(StressConvention)[1:],
        default="alignn",
        help="stress convention of an id_prop.json (default: alignn, GPa used as is, as "
        "alignn's loss reads it)",
    )
    verb.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="run the evaluation on a local Dask cluster of N worker processes",
    )
    verb.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run the evaluation on this Dask cluster",
    )
    verb.add_argument("--json", action="store_true", help="print one JSON object")
    verb.set_defaults(func=run)


def _request(args: argparse.Namespace) -> typing.Any:
    from alignn_nb.evaluation import EvaluationRequest

    return EvaluationRequest(
        folder=str(args.run_folder),
        data="" if args.data is None else str(args.data),
        weights=args.weights or "",
        split=args.split or "",
        energy=args.energy,
        stress=args.stress,
        workers=args.workers,
        scheduler=args.scheduler or "",
        data_label="--data",
    )


def format_text(evaluation: typing.Any) -> str:
    """The MAEs, then one row per structure, worst force error first."""
    lines = [evaluation.text(), ""]
    unit = evaluation.energy_unit
    lines.append(
        f"{'id':<16} {'atoms':>5} {'E target':>12} {'E pred':>12} {'unit':<7} "
        f"{'F MAE':>10} {'S MAE':>10}"
    )
    for row in evaluation.worst_first():
        target = "-" if row.energy_target is None else f"{row.energy_target:.6g}"
        lines.append(
            f"{row.id:<16} {row.natoms:>5} {target:>12} {row.energy_pred:>12.6g} {unit:<7} "
            f"{_number(row.force_mae):>10} {_number(row.stress_mae):>10}"
        )
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def run(args: argparse.Namespace) -> int:
    """Evaluate (`alignn_nb.evaluation.evaluation_job`, the Explore tab's task) and print;
    returns the exit status."""
    from alignn_nb.evaluation import evaluation_job

    job = evaluation_job(_request(args), name=VERB)
    _settings.run_job(job)
    if job.state == "stopped":
        return _settings.fail(
            VERB, InterruptedError("the evaluation was stopped"), _settings.STOPPED_STATUS
        )
    failed = _settings.job_failure(VERB, job)
    if failed is not None:
        return failed
    evaluation = job.result.evaluation
    text = json.dumps(evaluation.as_dict()) + "\n" if args.json else format_text(evaluation)
    sys.stdout.write(text)
    return 0
