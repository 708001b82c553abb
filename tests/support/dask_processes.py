"""Real Dask clusters for tests: a ``dask scheduler`` and ``dask worker`` processes.

Each process runs in its own session and is stopped by its PID (its whole process group,
so a nanny's worker goes too). Scratch files stay in the given folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

START_SECONDS = 120.0
"""Hang guard while the processes start; not a speed limit."""


@dataclass
class DaskProcesses:
    """A running scheduler and its workers: the address and each process's PID."""

    address: str
    scheduler_pid: int
    worker_pids: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)


def _env(folder: Path) -> dict[str, str]:
    repo = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH", "")) if p)
    env["DASK_TEMPORARY_DIRECTORY"] = str(folder)
    env["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
    return env


def _start(command: list[str], folder: Path, log: str) -> subprocess.Popen:
    with open(folder / log, "wb") as out:
        return subprocess.Popen(
            command,
            env=_env(folder),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=folder,
        )


def _wait_for(path: Path, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            return json.loads(path.read_text())
        if process.poll() is not None:
            raise RuntimeError(f"the Dask process exited with {process.returncode}")
        time.sleep(0.1)
    raise TimeoutError(f"{path} did not appear in {START_SECONDS} s")


def stop(process: subprocess.Popen) -> None:
    """Stop ``process`` and its process group by PID."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def dask_processes(folder: Path, workers: int = 2) -> Iterator[DaskProcesses]:
    """A scheduler on 127.0.0.1 and ``workers`` single-threaded worker processes (no nanny)."""
    dask = [sys.executable, "-m", "dask"]
    scheduler_file = folder / "scheduler.json"
    scheduler = _start(
        [
            *dask,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
        ],
        folder,
        "scheduler.log",
    )
    cluster = DaskProcesses(address="", scheduler_pid=scheduler.pid, processes=[scheduler])
    try:
        cluster.address = _wait_for(scheduler_file, scheduler)["address"]
        for n in range(workers):
            worker = _start(
                [
                    *dask,
                    "worker",
                    cluster.address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    f"worker-{n}",
                    "--local-directory",
                    str(folder),
                ],
                folder,
                f"worker-{n}.log",
            )
            cluster.processes.append(worker)
            cluster.worker_pids.append(worker.pid)
        from distributed import Client

        with Client(cluster.address, timeout=START_SECONDS) as client:
            client.wait_for_workers(workers, timeout=START_SECONDS)
        yield cluster
    finally:
        for process in reversed(cluster.processes):
            stop(process)


def square_or_refuse(x: int) -> int:
    """A task for cluster tests: ``x * x``, except that 3 raises."""
    if x == 3:
        raise ValueError("three is refused")
    return x * x


def hold_until_released(args: tuple[str, int]) -> int:
    """A task for cluster tests: note this process's PID in ``folder``, wait for the file
    ``release`` there, then return ``x``."""
    folder, x = args
    (Path(folder) / f"pid-{x}-{os.getpid()}").touch()
    deadline = time.monotonic() + START_SECONDS
    while not (Path(folder) / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return x


def hold_trial_until_released(plan, *args):
    """A sweep trial for cluster tests: note ``pid-NUMBER-PID`` in the workers' scratch
    folder (``DASK_TEMPORARY_DIRECTORY``), wait for the file ``release`` there, then run
    the real trial task (`alignn_nb.tuning.driver.trial_task`)."""
    from alignn_nb.tuning import driver as tuning

    folder = Path(os.environ["DASK_TEMPORARY_DIRECTORY"])
    (folder / f"pid-{plan.number}-{os.getpid()}").touch()
    deadline = time.monotonic() + START_SECONDS
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return tuning.trial_task(plan, *args)


class _HeldChannel:
    """A trial channel that holds at its first report until released or told to stop."""

    def __init__(self, channel, folder: Path, number: int) -> None:
        self.channel, self.folder, self.number = channel, folder, number

    def report(self, step: int, value: float) -> None:
        self.channel.report(step, value)
        if step != 1:
            return
        (self.folder / f"held-{self.number}-{os.getpid()}").touch()
        release = self.folder / f"release-{self.number}"
        deadline = time.monotonic() + START_SECONDS
        while not (release.exists() or self.should_stop()) and time.monotonic() < deadline:
            time.sleep(0.05)

    def should_stop(self) -> bool:
        return self.channel.should_stop()


def hold_trial_at_first_report(plan, *args):
    """A sweep trial for cluster tests: the real trial task, held mid-training.

    After its first step's report the trial notes ``held-NUMBER-PID`` in the workers'
    scratch folder (``DASK_TEMPORARY_DIRECTORY``) and waits there until the file
    ``release-NUMBER`` appears or the driver tells it to stop; then it trains on.
    """
    from alignn_nb.tuning import driver as tuning
    from alignn_nb.tuning import trials

    folder = Path(os.environ["DASK_TEMPORARY_DIRECTORY"])
    real = trials.run_trial

    def held(trial_plan, train_set, validation, channel=None):
        return real(trial_plan, train_set, validation, _HeldChannel(channel, folder, plan.number))

    trials.run_trial = held
    try:
        return tuning.trial_task(plan, *args)
    finally:
        trials.run_trial = real
