"""``alignn-nb serve``: the dashboard notebook as a Voila page on this machine."""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

from alignn_nb.cli import _settings

LOOPBACK = "127.0.0.1"
WEBSOCKET_LIMIT = 64 * 1024 * 1024
"""Bytes; headroom over tornado's 10 MiB default for large widget messages (the 3D scene of a
big cell). Uploads need no more than the default: the upload button sends 1 MiB pieces."""
IOPUB_SECONDS = 60
"""How long Voila waits for a cell's output after the kernel says the cell finished. Its
default, 4 s, is too short on a busy machine: the dashboard starts computing its first
round as it is displayed, the display message can trail the reply, and Voila then sends
the page without the dashboard. Waiting costs nothing when the output comes at once."""


def notebook_path(name: str = "dashboard.ipynb") -> Path:
    """A notebook the server serves: the wheel's ``alignn_nb/notebooks/`` copy, else the
    repository's ``notebooks/`` (an editable install or a clone)."""
    package = Path(__file__).resolve().parents[1]
    folders = (package / "notebooks", package.parent / "notebooks")
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name} is in neither {folders[0]} nor {folders[1]}")


def free_port(ip: str = LOOPBACK) -> int:
    """A TCP port that is free on ``ip`` right now."""
    with socket.socket() as sock:
        sock.bind((ip, 0))
        return int(sock.getsockname()[1])


def is_loopback(ip: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def voila_command(notebook: Path, ip: str, port: int) -> list[str]:
    """The Voila command line that serves ``notebook`` without opening a browser."""
    return [
        sys.executable,
        "-m",
        "alignn_nb.cli.serve",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={ip}",
    ]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` verb."""
    verb = subparsers.add_parser("serve", help="serve the dashboard with Voila (default verb)")
    verb.add_argument("--ip", default=LOOPBACK, help="address to bind (default 127.0.0.1)")
    verb.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    verb.add_argument(
        "--no-browser",
        action="store_true",
        default=True,
        help="accepted for Voila compatibility; alignn-nb never opens a browser",
    )
    verb.add_argument("--notebook", type=Path, default=None, help=argparse.SUPPRESS)
    verb.set_defaults(func=serve)


def checked_port(port: int) -> int:
    """``port`` when it is 0 (a free one) to 65535; `ValueError` otherwise."""
    if not 0 <= port <= 65535:
        raise ValueError(f"--port {port} refused: give 1 to 65535, or 0 for a free port")
    return port


def serve(args: argparse.Namespace) -> int:
    """Start Voila in the foreground and print the URL to open."""
    try:
        checked_port(args.port)
        notebook = args.notebook or notebook_path()
        if not notebook.is_file():
            raise FileNotFoundError(f"no notebook at {notebook}")
    except (ValueError, OSError) as refused:
        return _settings.fail("serve", refused)
    return serve_notebook(notebook, args.ip, args.port, "dashboard")


def serve_notebook(
    notebook: Path, ip: str, port: int, name: str, env: dict[str, str] | None = None
) -> int:
    """Become Voila serving ``notebook`` on ``ip`` (``port`` 0: a free one), after printing
    ``alignn-nb NAME: URL`` and a warning when ``ip`` is not loopback; ``env`` is added to
    the environment of Voila and its kernels."""
    port = port or free_port(ip if is_loopback(ip) else "0.0.0.0")
    if not is_loopback(ip):
        sys.stderr.write(
            f"warning: binding to {ip}: anyone who can reach this address can run code "
            f"on this machine through the {name} page.\n"
        )
    sys.stdout.write(f"alignn-nb {name}: http://{ip}:{port}/\n")
    sys.stdout.flush()
    environment = {**os.environ, "DGLBACKEND": "pytorch", **(env or {})}
    return run_voila(voila_command(notebook, ip, port), environment)


def run_voila(command: list[str], env: dict[str, str]) -> int:
    """Become the Voila process (POSIX), so that signals reach Voila and its kernels."""
    if os.name == "posix":
        os.execve(command[0], command, env)
    return subprocess.call(command, env=env)


def launch_voila(argv: list[str]) -> None:
    """Run Voila with ``argv``, a websocket message limit of ``WEBSOCKET_LIMIT`` and
    ``IOPUB_SECONDS`` to wait for each cell's output."""
    from traitlets.config import Config
    from voila.app import Voila

    Voila.launch_instance(
        argv=argv,
        config=Config({"VoilaExecutor": {"iopub_timeout": IOPUB_SECONDS}}),
        tornado_settings={"websocket_max_message_size": WEBSOCKET_LIMIT},
    )


if __name__ == "__main__":
    launch_voila(sys.argv[1:])
