"""Worker threads finish their torch work before the interpreter exits, so exit code is 0."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def run_script(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_exit_hook_stops_and_joins_a_worker(tmp_path: Path):
    done = tmp_path / "done"
    finished = run_script(
        f"""
        import threading
        from alignn_nb.compute.workers import start_worker

        stop = threading.Event()
        def work():
            stop.wait()
            open({str(done)!r}, "w").write("stopped")
        start_worker(work, "test-worker", stop.set)
        """
    )
    assert finished.returncode == 0, finished.stderr
    assert done.read_text() == "stopped"


def test_a_finished_worker_is_forgotten():
    from alignn_nb.compute import workers as _workers

    thread = _workers.start_worker(lambda: None, "test-worker", lambda: None)
    thread.join(10)
    assert thread not in _workers._running


@pytest.mark.dgl
def test_exiting_while_a_live_round_computes_does_not_abort():
    finished = run_script(
        """
        import time
        from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
        from alignn_nb.live.session import LiveSession
        from alignn_nb.structures.loading import example

        session = LiveSession(ALIGNNAtomWiseConfig(), GraphConfig(), example("Si"))
        session.compute_now()
        session.config.hidden_features = 128
        session.request()
        while session.stale and session.running not in ("model", "forward"):
            time.sleep(0.001)
        """
    )
    assert "terminate called" not in finished.stderr
    assert finished.returncode == 0, finished.stderr[-2000:]
