"""``alignn-nb loss-terms``: alignn's loss of a freshly initialised model, term by term."""

from __future__ import annotations

import argparse
import json
import sys
import typing

from alignn_nb.cli import _settings
from alignn_nb.training.datasets import EnergyConvention, StressConvention

VERB = "loss-terms"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``loss-terms`` verb."""
    verb = subparsers.add_parser(
        VERB,
        help="print alignn's loss term by term for a freshly initialised model on a dataset",
        description="Build alignn's model for the config (seeded), run it on the dataset and "
        "print each loss term's raw error, weight, weighted value and share, the total and the "
        "short-bond penalty. Exit status: 0 on success, 2 for a bad dataset, config or --set, "
        "1 when a graph is over the triplet budget.",
    )
    verb.add_argument(
        "--data",
        required=True,
        metavar="FILE|default",
        help="alignn's id_prop.json, an extxyz file, or 'default' for the embedded EMT Cu/Al set",
    )
    _settings.add_arguments(verb)
    verb.add_argument("--seed", type=int, default=0, help="torch seed for the model (default 0)")
    verb.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="N",
        help="structures per batch; terms are then averaged over batches as alignn does per "
        "epoch (default: the whole dataset in one batch)",
    )
    verb.add_argument(
        "--energy",
        choices=typing.get_args(EnergyConvention),
        default="auto",
        help="whether an id_prop.json total_energy is per cell or per atom (default: decide "
        "from the file, refusing when it cannot)",
    )
    verb.add_argument(
        "--stress",
        choices=typing.get_args(StressConvention),
        default="auto",
        help="stress convention of an id_prop.json (default: VASP's kbar, as in alignn's examples)",
    )
    verb.add_argument("--json", action="store_true", help="print one JSON object")
    verb.set_defaults(func=run)


def _dataset(args: argparse.Namespace) -> typing.Any:
    from alignn_nb.training.datasets import load_dataset

    if args.data == "default":
        return load_dataset("default")
    if args.data.lower().endswith(".json"):
        return load_dataset(args.data, energy=args.energy, stress=args.stress)
    return load_dataset(args.data)


def format_text(dataset: typing.Any, breakdown: typing.Any) -> str:
    """The dataset line, its conventions and skipped entries, then the breakdown's table."""
    lines = [f"dataset: {dataset.name} ({len(dataset)} samples, {dataset.atom_count()} atoms)"]
    lines += [f"  {note}" for note in dataset.conventions]
    lines += [f"  skipped: {s.id}: {s.reason}" for s in dataset.skipped]
    return "\n".join([*lines, breakdown.text()]) + "\n"


def run(args: argparse.Namespace) -> int:
    """Compute the breakdown and print it; returns the exit status."""
    from alignn_nb.graphs.budget import GraphBudgetError
    from alignn_nb.training.breakdown import fresh_breakdown

    try:
        cfg, graph = _settings.settings_from_args(args)
        dataset = _dataset(args)
        breakdown = fresh_breakdown(dataset, cfg, graph, seed=args.seed, batch_size=args.batch_size)
    except GraphBudgetError as exc:
        return _settings.fail(VERB, exc, status=1)
    except (ValueError, FileNotFoundError) as exc:
        return _settings.fail(VERB, exc)
    found = {**breakdown.as_dict(), "skipped": [s.as_dict() for s in dataset.skipped]}
    text = json.dumps(found) + "\n" if args.json else format_text(dataset, breakdown)
    sys.stdout.write(text)
    return 0
