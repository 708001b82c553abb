"""The ``alignn-nb`` command: ``serve`` (the default) and the inspection verbs.

Each verb lives in its own private module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` to a callable taking the parsed arguments and returning the
exit status. A verb refuses bad input with one line on stderr and exit status 2. Every
verb takes ``--debug``, which also prints the traceback of a refusal; an unexpected error
is one line too, with exit status `INTERNAL_ERROR`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from alignn_nb.cli import _settings

VERBS = (
    "serve",
    "graph_stats",
    "loss_terms",
    "dataset_stats",
    "sweep",
    "train",
    "evaluate",
    "explore",
    "check",
)
"""The verb modules of this package, imported when the parser is made."""
INTERNAL_ERROR = 70
"""Exit status of an error no verb expected (sysexits' EX_SOFTWARE)."""

__all__ = ["INTERNAL_ERROR", "VERBS", "main", "parser"]


def parser() -> argparse.ArgumentParser:
    """The argument parser with every verb registered."""
    top = argparse.ArgumentParser(
        prog="alignn-nb", description="Configure and explore ALIGNN-atomwise models."
    )
    subparsers = top.add_subparsers(dest="verb")
    for verb in VERBS:
        importlib.import_module(f"alignn_nb.cli.{verb}").register(subparsers)
    for verb_parser in subparsers.choices.values():
        verb_parser.add_argument(
            "--debug", action="store_true", help="also print the traceback of an error"
        )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run a verb; with no verb, or only options, serve the dashboard."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
        args.insert(0, "serve")
    parsed = parser().parse_args(args)
    with _settings.debugging(parsed.debug):
        try:
            return int(parsed.func(parsed) or 0)
        except Exception as error:  # a bug: one line here, the traceback with --debug
            hint = "" if parsed.debug else " (--debug shows the traceback)"
            unexpected = RuntimeError(f"unexpected {type(error).__name__}: {error}{hint}")
            return _settings.fail(parsed.verb, unexpected, INTERNAL_ERROR, cause=error)


if __name__ == "__main__":
    sys.exit(main())
