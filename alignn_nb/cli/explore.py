"""``alignn-nb explore``: one trained alignn run in the Explore widget alone, served by Voila.

The run is checked here, before any server starts: the folder, its config.json, the weights
(``torch.load(weights_only=True)``, fitted to the config), the data, the split and the
run to compare with. A
problem exits with status 2 and one line. The served notebook (``explore.ipynb`` beside
this module) reads the run from the environment variable `ENVIRONMENT` as JSON, so no path
is ever written into code.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from alignn_nb.cli import _settings
from alignn_nb.cli import serve as _serve
from alignn_nb.cli.evaluate import SPLITS

VERB = "explore"
ENVIRONMENT = "ALIGNN_NB_EXPLORE"
"""The variable holding the run for the served notebook: JSON of `ExploreTab`'s
folder, data, weights, split and compare."""
NOTEBOOK = Path(__file__).with_name("explore.ipynb")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explore`` verb."""
    verb = subparsers.add_parser(
        VERB,
        help="serve one trained alignn run's Explore view with Voila",
        description="Check an alignn output folder (config.json, weights, data, split) and "
        "serve the Explore view of it alone: parity plots, structures worst-first, a map and "
        "the 3D view coloured by force error. Exit status 2, with one line, for a bad "
        "folder, file or dataset; no server is started then.",
    )
    verb.add_argument(
        "run_folder",
        metavar="RUN_FOLDER",
        nargs="?",
        default=None,
        help="alignn's output_dir (default: the example run alignn-nb ships, on its data)",
    )
    verb.add_argument(
        "--weights",
        metavar="FILE",
        default=None,
        help="a state dict: a path, or a file name in RUN_FOLDER (default best_model.pt)",
    )
    verb.add_argument(
        "--data",
        metavar="DATA",
        default=None,
        help="the structures: alignn's id_prop.json, its folder or an extxyz file "
        "(alignn records no data folder; without it the page asks for one)",
    )
    verb.add_argument(
        "--split",
        choices=SPLITS,
        default=None,
        help="which structures (default: test, or all when the run recorded no split)",
    )
    verb.add_argument(
        "--compare",
        metavar="FOLDER",
        default=None,
        help="a second alignn output folder (its best_model.pt) to show side by side: "
        "config diff, both MAEs on the same structures, curves overlaid",
    )
    verb.add_argument("--ip", default=_serve.LOOPBACK, help="address to bind (default 127.0.0.1)")
    verb.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    verb.set_defaults(func=run)


def checked_request(args: argparse.Namespace) -> dict[str, str]:
    """The run to explore as `ExploreTab`'s fields, absolute paths; every file checked.

    Raises:
        FileNotFoundError, ValueError: the refusal of `load_run`, `run_dataset` or the split,
            or a config alignn's model cannot run on a plain dataset (`check_inputs`).
    """
    from alignn_nb.training.alignn_run import load_run, run_dataset
    from alignn_nb.training.batches import check_inputs

    run = load_run(args.run_folder, args.weights)
    check_inputs(run.cfg, run.graph)
    data = ""
    if args.data is not None:
        dataset = run_dataset(run, args.data)
        run.split(dataset, args.split or ("test" if run.ids is not None else "all"))
        data = str(Path(args.data).resolve())
    elif args.split is not None:
        raise ValueError("--split needs --data: alignn records no data folder in its run")
    if args.compare is not None:
        load_run(args.compare)
    return {
        "folder": str(Path(args.run_folder).resolve()),
        "data": data,
        "weights": str(run.weights.resolve()) if run.weights else "",
        "split": args.split or "",
        "compare": str(Path(args.compare).resolve()) if args.compare else "",
    }


def with_example(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with the example run (and its data, unless --data is given) when no
    RUN_FOLDER is given; else ``args`` itself."""
    from alignn_nb.training.example_run import example_run_data, example_run_path

    if args.run_folder is not None:
        return args
    data = str(example_run_data()) if args.data is None else args.data
    return argparse.Namespace(**{**vars(args), "run_folder": str(example_run_path()), "data": data})


def run(args: argparse.Namespace) -> int:
    """Check the run, then become Voila serving `NOTEBOOK`; returns the exit status."""
    try:
        _serve.checked_port(args.port)
        request = checked_request(with_example(args))
    except (ValueError, OSError) as exc:
        return _settings.fail(VERB, exc)
    return _serve.serve_notebook(
        NOTEBOOK, args.ip, args.port, VERB, {ENVIRONMENT: json.dumps(request)}
    )
