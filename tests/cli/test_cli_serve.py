"""``alignn-nb serve``: Voila on loopback by default, a warning for any other address."""

from __future__ import annotations

import socket

import pytest

from alignn_nb import cli
from alignn_nb.cli import serve as _serve


@pytest.fixture
def started(monkeypatch):
    calls = []
    monkeypatch.setattr(_serve, "run_voila", lambda command, env: calls.append(command) or 0)
    return calls


def test_default_verb_serves_on_loopback_with_a_free_port(started, capsys):
    assert cli.main([]) == 0
    out, err = capsys.readouterr()
    command = started[0]
    port = int(next(a for a in command if a.startswith("--port=")).split("=")[1])
    assert out == f"alignn-nb dashboard: http://127.0.0.1:{port}/\n"
    assert err == ""
    assert "--Voila.ip=127.0.0.1" in command and "--no-browser" in command
    assert command[1:3] == ["-m", "alignn_nb.cli.serve"]
    assert command[3].endswith("notebooks/dashboard.ipynb")


def test_options_without_a_verb_mean_serve(started, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert cli.main(["--port", str(port), "--no-browser"]) == 0
    assert capsys.readouterr().out == f"alignn-nb dashboard: http://127.0.0.1:{port}/\n"
    assert f"--port={port}" in started[0]


def test_a_non_loopback_address_warns_that_the_page_runs_code(started, capsys):
    cli.main(["serve", "--ip", "0.0.0.0", "--port", "8899"])
    out, err = capsys.readouterr()
    assert out == "alignn-nb dashboard: http://0.0.0.0:8899/\n"
    assert err == (
        "warning: binding to 0.0.0.0: anyone who can reach this address can run code on this "
        "machine through the dashboard page.\n"
    )
    assert "--Voila.ip=0.0.0.0" in started[0]


@pytest.mark.parametrize(
    ("ip", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_is_loopback(ip, loopback):
    assert _serve.is_loopback(ip) is loopback


def test_voila_gets_a_websocket_limit_and_waits_a_minute_for_cell_output(monkeypatch):
    import nbformat
    from voila.app import Voila
    from voila.execute import VoilaExecutor

    launched = {}
    monkeypatch.setattr(
        Voila,
        "launch_instance",
        classmethod(lambda cls, argv, **kw: launched.update(kw, argv=argv)),
    )
    _serve.launch_voila(["nb.ipynb", "--port=1"])
    config = launched.pop("config")
    assert launched == {
        "argv": ["nb.ipynb", "--port=1"],
        "tornado_settings": {"websocket_max_message_size": 64 * 1024 * 1024},
    }
    assert VoilaExecutor(nbformat.v4.new_notebook(), config=config).iopub_timeout == 60
    assert VoilaExecutor(nbformat.v4.new_notebook()).iopub_timeout == 4
    assert _serve.WEBSOCKET_LIMIT > 10 * 1024 * 1024
