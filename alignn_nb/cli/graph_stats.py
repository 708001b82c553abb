"""``alignn-nb graph-stats``: the crystal-graph statistics of one structure."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import ase

from alignn_nb.cli import _settings

VERB = "graph-stats"
TEXT_KEYS = (
    "atoms",
    "edges",
    "triplets",
    "candidate_triplets",
    "backtracking_triplets",
    "triplets_removed_by_backtracking",
    "edges_within_inner_cutoff",
    "triplets_within_inner_cutoff",
    "triplets_removed_by_lighten_edges",
    "degree_min",
    "degree_mean",
    "degree_max",
    "neighbor_strategy",
    "cutoff",
    "cutoff_used",
    "max_neighbors",
    "use_canonize",
    "inner_cutoff",
    "lighten_edges",
    "backtracking",
    "periodic",
    "build_seconds",
    "bytes",
)
"""Stats printed as ``key: value`` lines, in this order; notes follow as a list."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``graph-stats`` verb."""
    verb = subparsers.add_parser(
        VERB,
        help="print the crystal graph and line graph statistics of a structure",
        description="Build alignn's crystal graph and line graph for STRUCTURE and print "
        "their sizes, degrees, cutoff used and notes on alignn's rules. Exit status: 0 on "
        "success, 2 for a bad structure, config or --set, 1 when the graph is over budget.",
    )
    verb.add_argument(
        "structure",
        help="a structure file ASE reads (CIF, POSCAR, extxyz, ...) or a built-in example "
        "name: Si, NaCl, Cu, graphene, H2O, Si64",
    )
    _settings.add_arguments(verb)
    verb.add_argument(
        "--budget",
        type=int,
        default=None,
        metavar="TRIPLETS",
        help="most line-graph edges to build (default 2,000,000)",
    )
    verb.add_argument("--json", action="store_true", help="print one JSON object")
    verb.set_defaults(func=run)


def read_structure(name: str) -> ase.Atoms:
    """A structure file if one exists at ``name``, else the built-in example of that name."""
    from alignn_nb.structures.loading import example, examples, load_structure

    if Path(name).exists():
        return load_structure(name)
    if name in examples():
        return example(name)
    raise ValueError(
        f"{name!r} is neither a structure file nor a built-in example ({', '.join(examples())})"
    )


def format_text(stats: dict[str, Any]) -> str:
    """``key: value`` lines for `TEXT_KEYS`, then each note as a ``- `` line."""
    width = max(len(key) for key in TEXT_KEYS)
    shown = {key: _show(stats[key]) for key in TEXT_KEYS}
    if stats["max_neighbors"] is None:
        shown["max_neighbors"] = f"None (no limit; up to {stats['degree_max']:,} per atom here)"
    lines = [f"{key:<{width}}  {shown[key]}" for key in TEXT_KEYS]
    lines.append("notes:" if stats["notes"] else "notes: none")
    lines += [f"- {note}" for note in stats["notes"]]
    return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    """Build the graphs and print their stats; returns the exit status."""
    from alignn_nb.graphs.budget import GraphBudgetError
    from alignn_nb.graphs.build import build_graphs

    try:
        cfg, graph = _settings.settings_from_args(args)
        atoms = read_structure(args.structure)
        graphs = build_graphs(atoms, cfg, graph, budget=args.budget)
    except GraphBudgetError as exc:
        return _settings.fail(VERB, exc, status=1)
    except ValueError as exc:
        return _settings.fail(VERB, exc)
    stats = graphs.stats
    text = json.dumps(stats) + "\n" if args.json else format_text(stats)
    sys.stdout.write(text)
    return 0
