"""The ``alignn-nb`` command: ``serve`` (the default) and the inspection verbs.

Each verb lives in its own private module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` to a callable taking the parsed arguments and returning the
exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

VERBS = (
    "serve",
    "graph_stats",
    "loss_terms",
    "dataset_stats",
    "sweep",
    "evaluate",
    "explore",
    "check",
)
"""The verb modules of this package, imported when the parser is made."""


def parser() -> argparse.ArgumentParser:
    """The argument parser with every verb registered."""
    top = argparse.ArgumentParser(
        prog="alignn-nb", description="Configure and explore ALIGNN-atomwise models."
    )
    subparsers = top.add_subparsers(dest="verb")
    for verb in VERBS:
        importlib.import_module(f"alignn_nb.cli.{verb}").register(subparsers)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run a verb; with no verb, or only options, serve the dashboard."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
        args.insert(0, "serve")
    parsed = parser().parse_args(args)
    return int(parsed.func(parsed) or 0)


if __name__ == "__main__":
    sys.exit(main())
