"""``--config config.json`` and ``--set field=value`` for the CLI verbs.

A verb calls `add_arguments` on its parser and `settings_from_args` on the parsed
arguments to get a fresh ``(ALIGNNAtomWiseConfig, GraphConfig)`` pair. Every problem is a
one-line `ValueError` naming the field or file; nothing is half-applied.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from traitlets import TraitError

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.tuning import parse_value


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"field=value"`` as ``(field, parsed value)``; `ValueError` without an ``=``."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--set {text!r} is not field=value (e.g. --set cutoff=6)")
    return name.strip(), parse_value(value)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def apply_settings(
    cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, assignments: Sequence[str]
) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    """Copies of ``cfg`` and ``graph`` with every ``field=value`` applied.

    Fields of `GraphConfig` go to ``graph``, fields of `ALIGNNAtomWiseConfig` to ``cfg``;
    the inputs are never changed.

    Raises:
        ValueError: one line naming the first unknown field or refused value.
    """
    model_values: dict[str, Any] = {}
    graph_values: dict[str, Any] = {}
    for text in assignments:
        name, value = parse_assignment(text)
        if name in GraphConfig.field_names():
            graph_values[name] = value
        elif name in ALIGNNAtomWiseConfig.field_names():
            model_values[name] = value
        else:
            raise ValueError(
                f"--set {text}: no field {name!r}; known fields: "
                f"{', '.join(ALIGNNAtomWiseConfig.field_names() + GraphConfig.field_names())}"
            )
    new_cfg, new_graph = cfg.copy(), graph.copy()
    try:
        new_cfg.update(**model_values)
        new_graph.update(**graph_values)
    except TraitError as exc:
        raise ValueError(f"--set: {_one_line(str(exc))}") from exc
    return new_cfg, new_graph


def load_settings(
    config: str | os.PathLike | None, assignments: Sequence[str] = ()
) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    """The pair from an alignn ``config.json`` (or the defaults), then the assignments.

    Raises:
        ValueError: one line, for a config that cannot be loaded or a bad assignment.
    """
    if config is None:
        cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    else:
        from alignn_nb.config import load_alignn_config

        try:
            cfg, graph = load_alignn_config(config)
        except ValueError as exc:
            raise ValueError(f"--config: {_one_line(str(exc))}") from exc
    return apply_settings(cfg, graph, assignments)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--config`` and repeatable ``--set`` to a verb's parser."""
    parser.add_argument(
        "--config",
        metavar="config.json",
        default=None,
        help="an alignn training config (or its model block) to start from",
    )
    parser.add_argument(
        "--set",
        dest="assignments",
        metavar="FIELD=VALUE",
        action="append",
        default=[],
        help="set any model or graph field, e.g. --set cutoff=6 --set lighten_edges=false "
        "(repeatable; values are JSON-ish: true, false, none, numbers, strings)",
    )


def settings_from_args(args: argparse.Namespace) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    """`load_settings` for the parsed ``--config`` and ``--set`` arguments."""
    return load_settings(args.config, args.assignments)


_DEBUG: contextvars.ContextVar[bool] = contextvars.ContextVar("alignn_nb_debug", default=False)


@contextlib.contextmanager
def debugging(on: bool) -> Iterator[None]:
    """While inside, `fail` also writes the traceback of the error (``--debug``)."""
    token = _DEBUG.set(on)
    try:
        yield
    finally:
        _DEBUG.reset(token)


def fail(
    verb: str,
    error: Exception,
    status: int = 2,
    cause: BaseException | None = None,
    trace: str | None = None,
) -> int:
    """Write ``alignn-nb VERB: error: MESSAGE`` (one line) to stderr and return ``status``;
    under `debugging`, first the traceback of ``cause`` (default: ``error``), or ``trace``,
    the text of one raised in another process."""
    if _DEBUG.get() and trace:
        sys.stderr.write(trace if trace.endswith("\n") else trace + "\n")
    elif _DEBUG.get():
        traceback.print_exception(cause or error, file=sys.stderr)
    sys.stderr.write(f"alignn-nb {verb}: error: {_one_line(str(error))}\n")
    return status


WAIT_SLICE = 0.1
"""Seconds `run_job` waits at a time, so that a Ctrl-C is seen."""
STOPPED_STATUS = 130
"""Exit status of a verb whose job a Ctrl-C stopped."""


def run_job(job: Any) -> Any:
    """Start ``job`` and wait for its end: on a terminal with its progress bar on stderr
    (`alignn_nb.compute.follow`); on a pipe or a file without progress lines, so the
    verb's own output stays as it was. The first Ctrl-C stops the job (and waits for it).
    Returns the job."""
    from alignn_nb.compute import follow

    if sys.stderr.isatty():
        return follow(job, sys.stderr)
    try:
        job.start()
        while not job.wait(WAIT_SLICE):
            pass
    except KeyboardInterrupt:
        job.stop()
        job.wait()
    return job


def job_failure(verb: str, job: Any) -> int | None:
    """The exit status of a job that failed, its error written as `fail` writes it (the
    refusals a verb expects, `ValueError` and `OSError`, exit 2); None when it did not
    fail. Any other exception is raised again: a bug.

    Raises:
        Exception: what the job's task raised, when it is not a refusal.
    """
    if job.state != "failed":
        return None
    failure = job.error.exception if job.error is not None else None
    if isinstance(failure, (ValueError, OSError)):
        return fail(verb, failure, trace=job.error.traceback)
    raise failure or RuntimeError(str(job.error))
