"""``alignn-nb sweep``: tune a config with Optuna over short trainings run on Dask."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from alignn_nb.cli import _settings

VERB = "sweep"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` verb."""
    verb = subparsers.add_parser(
        VERB,
        help="tune model, graph and training fields with Optuna over short trainings on Dask",
        description="Optuna asks for trials, each a short seeded training of the config with "
        "the trial's values, run on a Dask cluster and scored on a fixed validation split; "
        "the study is kept in a storage, so running again with a larger --trials resumes it. "
        "On a terminal a progress bar of the trials is drawn on stderr; Ctrl-C stops the "
        "running trials and prints the study so far. Exit status: 0 on success, 2 for a bad "
        "dataset, config, --set, --param or option, 130 after a Ctrl-C.",
    )
    verb.add_argument(
        "--data",
        required=True,
        metavar="FILE|default",
        help="alignn's id_prop.json, an extxyz file, or 'default' for the embedded EMT Cu/Al set",
    )
    _settings.add_arguments(verb)
    verb.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="FIELD=LOW:HIGH[:log] | FIELD=a,b,c",
        help="a field to tune: any model or graph field, learning_rate, batch_size or steps "
        "(repeatable); both ends and every choice must be values the field accepts",
    )
    _add_run_arguments(verb)
    verb.set_defaults(func=run)


def _add_run_arguments(verb: argparse.ArgumentParser) -> None:
    verb.add_argument(
        "--trials",
        type=int,
        required=True,
        metavar="N",
        help="run until the study holds N finished trials",
    )
    verb.add_argument(
        "--steps",
        type=int,
        required=True,
        metavar="S",
        help="AdamW steps of each trial (a --param steps=... overrides it)",
    )
    where = verb.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="local Dask worker processes (default: one per core)",
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="an existing Dask scheduler, e.g. tcp://HOST:8786",
    )
    verb.add_argument(
        "--storage",
        default="alignn-nb-study.journal",
        metavar="PATH|URL",
        help="a journal file or an Optuna storage URL (default alignn-nb-study.journal)",
    )
    verb.add_argument(
        "--study",
        default="alignn-nb",
        metavar="NAME",
        help="the study's name in the storage (default alignn-nb)",
    )
    verb.add_argument(
        "--objective",
        choices=("total", "energy", "forces"),
        default="total",
        help="alignn's weighted validation loss (default), or the energy "
        "(eV/atom) or force (eV/Å) MAE on the validation split",
    )
    verb.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where trials train: auto uses CUDA where a worker has it",
    )
    verb.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the split, the weights, the batches and the sampler",
    )
    verb.add_argument(
        "--save-best",
        default=None,
        metavar="best.json",
        help="write the best trial as an alignn training config",
    )
    verb.add_argument("--json", action="store_true", help="print one JSON object")


def _dataset(source: str) -> Any:
    from alignn_nb.datasets import load_dataset

    return load_dataset(source)


def _plan(args: argparse.Namespace) -> Any:
    """The `TuningPlan` of the arguments; `ValueError` (one line) for anything refused."""
    from traitlets import TraitError

    from alignn_nb.tuning import SearchSpace, TrialOptions, TrialSettings, TuningPlan

    options = [a for a in args.assignments if a.partition("=")[0].strip() in _TRAINING]
    cfg, graph = _settings.load_settings(
        args.config, [a for a in args.assignments if a not in options]
    )
    values = dict(_settings.parse_assignment(a) for a in options)
    values["steps"] = args.steps
    try:
        trial_options = TrialOptions(**values)
    except TraitError as refused:
        raise ValueError(str(refused)) from None
    if args.trials < 1:
        raise ValueError(f"--trials {args.trials} refused: a sweep needs at least 1 trial")
    space = SearchSpace.parse(args.params)
    base = TrialSettings(cfg, graph, trial_options)
    return TuningPlan(space, base, objective=args.objective, seed=args.seed, device=args.device)


_TRAINING = ("learning_rate", "batch_size", "steps")


def _cluster(args: argparse.Namespace) -> Any:
    from alignn_nb.compute import Cluster

    return Cluster(workers=args.workers, scheduler=args.scheduler)


def _line(record: Any, finished: int, target: int) -> str:
    value = "-" if record.value is None else f"{record.value:.6g}"
    tail = f"  {record.error}" if record.error else ""
    return (
        f"[{finished}/{target}] trial {record.number} {record.state} {value} "
        f"{json.dumps(record.params)} on {record.worker or '?'}{tail}\n"
    )


def _echo(event: Any, target: int) -> None:
    if event is not None and event.kind == "trial":
        sys.stdout.write(_line(event.data.record, event.data.finished, target))
        sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Run the sweep (`alignn_nb.tuning.sweep_job`, the Sweep tab's job) and print the
    trials and the best one; returns the exit status."""
    try:
        plan = _plan(args)
        cluster = _cluster(args)
        dataset = _dataset(args.data)
        problem = plan.problem(dataset, local=cluster.local)
        if problem is not None:
            raise ValueError(problem)
        from alignn_nb.tuning import open_study

        study = open_study(args.storage, args.study, plan.key(dataset))
    except (ValueError, FileNotFoundError) as exc:
        return _settings.fail(VERB, exc)
    from alignn_nb.tuning import save_best, summary, sweep_job

    if not args.json:
        sys.stdout.writelines(f"skipped: {s.id}: {s.reason}\n" for s in dataset.skipped)
    job = sweep_job(study, plan, dataset, args.trials, cluster, name=VERB)
    if not args.json:
        job.observe(lambda change: _echo(change["new"], args.trials), "event")
    _settings.run_job(job)
    failed = _settings.job_failure(VERB, job)
    if failed is not None:
        return failed
    result = {**summary(study, args.storage), "skipped": [s.as_dict() for s in dataset.skipped]}
    if args.save_best is not None and result["best"] is not None:
        save_best(study, args.save_best)
    sys.stdout.write(json.dumps(result) + "\n" if args.json else _best_text(result, args))
    if args.save_best is not None and result["best"] is None:
        return _settings.fail(
            VERB, ValueError(f"no trial completed: {args.save_best} not written"), 1
        )
    return _settings.STOPPED_STATUS if job.state == "stopped" else 0


def _best_text(result: dict, args: argparse.Namespace) -> str:
    best = result["best"]
    if best is None:
        return f"study {result['study']!r}: no trial completed\n"
    saved = f"; saved to {args.save_best}" if args.save_best else ""
    return (
        f"study {result['study']!r} in {result['storage']}: best trial {best['number']} "
        f"{result['objective']} {best['value']:.6g} {json.dumps(best['params'])}{saved}\n"
    )
