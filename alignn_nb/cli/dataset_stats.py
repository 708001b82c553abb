"""``alignn-nb dataset-stats``: graph sizes of a whole dataset, counted on a Dask cluster."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from alignn_nb.cli import _settings

VERB = "dataset-stats"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``dataset-stats`` verb."""
    verb = subparsers.add_parser(
        VERB,
        help="count the graphs of a whole dataset before training on it",
        description="Count atoms, edges and triplets of every structure of DATA as alignn "
        "builds its graphs for the config, without holding the graphs, on a local Dask "
        "cluster or an existing one; report the heaviest batch and the structures over "
        "the triplet budget; estimate one alignn training step's peak memory and seconds "
        "and an epoch's from a few seconds of real alignn steps on this machine, and what "
        "one change of each cost-driving field would give. DATA is read entry by entry and "
        "counted in chunks, so memory stays flat at any size. Exit status: 0 on success, 2 "
        "for bad input, 130 when stopped (Ctrl-C: the rows written so far are kept).",
    )
    verb.add_argument(
        "data",
        help="alignn's dataset folder (id_prop.csv or id_prop.json with structure files), "
        "a force-field id_prop.json, an extxyz file, a folder or quoted glob of shards "
        "(id_prop .json or .extxyz files, gzip-compressed or not), or a folder of CIF/POSCAR "
        "files",
    )
    _settings.add_arguments(verb)
    verb.add_argument(
        "--batch-size", type=int, default=None, metavar="N", help="batch size (default 64)"
    )
    verb.add_argument(
        "--budget",
        type=int,
        default=None,
        metavar="TRIPLETS",
        help="triplets per structure past which it is listed in over_budget (default 2,000,000)",
    )
    verb.add_argument(
        "--memory",
        default=None,
        metavar="SIZE",
        help="memory of the training machine, e.g. 16GB: report largest_batch_size",
    )
    verb.add_argument(
        "--no-calibrate",
        dest="calibrate",
        action="store_false",
        help="skip the real alignn steps that calibrate the step, epoch and advice estimates",
    )
    verb.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="torch threads of the calibration steps (default 1)",
    )
    where = verb.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, default=None, metavar="N", help="local worker processes "
        "(default: the cores)",
    )  # fmt: skip
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="an existing Dask scheduler, "
        "tcp://HOST:PORT; its workers must see DATA at the same path",
    )  # fmt: skip
    verb.add_argument(
        "--per-structure",
        dest="table",
        default=None,
        metavar="FILE",
        help="write one row per structure (id, atoms, edges, triplets, graph bytes...) to "
        "FILE as the scan goes, CSV or Parquet by its extension; --json then prints only "
        "the summary",
    )
    verb.add_argument(
        "--resume",
        action="store_true",
        help="go on after the rows already in the --per-structure FILE (a stopped scan)",
    )
    verb.add_argument("--json", action="store_true", help="print one JSON object")
    verb.set_defaults(func=run)


EXIT_STOPPED = 130


def format_text(stats: dict[str, Any]) -> str:
    """A short human summary of `dataset_stats`."""
    lines = [
        f"dataset     {stats['dataset']} ({stats['layout']})",
        f"structures  {stats['structures']:,} counted, "
        f"{stats.get('skipped_count', len(stats['skipped'])):,} skipped",
    ]
    for key in ("atoms", "edges", "triplets"):
        s = stats[key]
        if s is not None:
            lines.append(
                f"{key:<11} total {s['total']:,}  min {s['min']:,}  median {s['median']:,}  "
                f"max {s['max']:,}"
            )
    heaviest = stats["heaviest_batch"]
    if heaviest is not None:
        lines.append(
            f"heaviest    batch of {len(heaviest['ids'])}: {heaviest['triplets']:,} triplets"
        )
    lines += _estimate_lines(stats)
    over = stats.get("over_budget_count", len(stats["over_budget"]))
    lines.append(f"over budget {over:,} structures past {stats['triplet_budget']:,} triplets")
    lines.append(f"seconds     {stats['seconds']:.3g} on {stats['where']}")
    lines += [f"skipped: {s['id']}: {s['reason']}" for s in stats["skipped"]]
    lines += [f"- {note}" for note in stats["notes"]]
    return "\n".join(lines) + "\n"


def _gb(value: float | None) -> str:
    return "-" if value is None else f"{value / 1e9:.3g} GB"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g} s"


def _estimate_lines(stats: dict[str, Any]) -> list[str]:
    """The step, epoch and memory estimates and the advice, when estimated."""
    heaviest = stats["heaviest_batch"]
    if heaviest is None or heaviest["peak_memory_bytes"] is None:
        return []
    lines = [
        f"step        peak {_gb(heaviest['peak_memory_bytes'])}, "
        f"{_s(heaviest['step_seconds'])} on the heaviest batch",
        f"epoch       {_s(stats['epoch_seconds'])}",
    ]
    if stats.get("largest_batch_size") is not None:
        lines.append(f"fits        batch size up to {stats['largest_batch_size']:,}")
    for item in stats.get("advice", []):
        lines.append(
            f"advice      {item['field']} = {item['value']}: graphs "
            f"{_gb(item['graph_memory_bytes'])}, step peak {_gb(item['peak_memory_bytes'])}, "
            f"epoch {_s(item['epoch_seconds'])}" + (f" ({item['note']})" if "note" in item else "")
        )
    return lines


def _request(args: argparse.Namespace) -> Any:
    """The `StatsRequest` of the parsed arguments.

    Raises:
        ValueError: one line, for a bad value.
    """
    from alignn_nb.compute import Cluster
    from alignn_nb.graphs import DEFAULT_TRIPLET_BUDGET
    from alignn_nb.sizing import DEFAULT_BATCH_SIZE, ScanRequest, StatsRequest, parse_memory

    cfg, graph = _settings.settings_from_args(args)
    memory = None if args.memory is None else parse_memory(args.memory)
    cluster = Cluster(workers=args.workers, scheduler=args.scheduler)
    if args.threads < 1:
        raise ValueError(f"threads = {args.threads} refused: give at least 1")
    if args.resume and args.table is None:
        raise ValueError("--resume needs --per-structure FILE, the table to go on with")
    if args.table is not None:
        from alignn_nb.sizing import table_format

        table_format(args.table)
    scan = ScanRequest.of(
        args.data, cfg, graph, cluster=cluster, table=args.table, resume=args.resume,
        budget=DEFAULT_TRIPLET_BUDGET if args.budget is None else args.budget,
    )  # fmt: skip
    batch_size = DEFAULT_BATCH_SIZE if args.batch_size is None else args.batch_size
    return StatsRequest(scan, batch_size, memory, args.calibrate, None, True, args.threads)


def run(args: argparse.Namespace) -> int:
    """Scan the dataset and print its stats; returns the exit status."""
    from alignn_nb.compute import WAIT_SLICE, follow
    from alignn_nb.sizing import stats_job

    try:
        request = _request(args)
    except (ValueError, FileNotFoundError, OSError) as exc:
        return _settings.fail(VERB, exc)
    job = stats_job(request).start()
    try:
        while not job.finished and not job.progress.done:  # bad input fails in one line
            job.wait(WAIT_SLICE)
    except KeyboardInterrupt:
        job.stop()
    if not job.finished or job.state != "failed":
        follow(job, sys.stderr, failure_line=False)
    if job.state == "failed":
        error = job.error
        failure = error.exception if error is not None else None
        if isinstance(failure, (ValueError, FileNotFoundError, OSError)):
            return _settings.fail(VERB, failure)
        return _settings.fail(VERB, RuntimeError(str(error)), 1, cause=failure)
    stats = job.result
    if stats is None:
        sys.stderr.write(f"{VERB}: stopped before anything was counted\n")
        return EXIT_STOPPED
    sys.stdout.write(json.dumps(stats) + "\n" if args.json else format_text(stats))
    if job.state == "stopped":
        again = f" --per-structure {args.table} --resume" if args.table else ""
        sys.stderr.write(f"{VERB}: stopped; go on with: alignn-nb {VERB} ...{again}\n")
        return EXIT_STOPPED
    return 0
