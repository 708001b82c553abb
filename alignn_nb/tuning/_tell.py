"""The driver's side of a study: ask Optuna for a trial, tell it how the trial ended, and
fail the trials a killed driver left running. Only `alignn_nb.tuning.driver` uses it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from alignn_nb.tuning.search_space import SearchSpace, TrialSettings
from alignn_nb.tuning.study import STOPPED, TrialRecord, record

ORPHANED = "the sweep that ran it ended before it finished"


def driver_id() -> str:
    """``host:pid`` of this process, recorded on the trials it asks for."""
    return f"{socket.gethostname()}:{os.getpid()}"


def ask(study: Any, space: SearchSpace, base: TrialSettings) -> tuple[Any, TrialSettings]:
    """A new trial of ``study`` and the settings it trains: ``base`` with its values."""
    trial = study.ask(space.distributions())
    settings = space.settings(trial.params, base.cfg, base.graph, base.options)
    trial.set_user_attr("settings", settings.as_dict())
    trial.set_user_attr("driver", driver_id())
    return trial, settings


@dataclass(frozen=True)
class TrialResult:
    """How a trial ended, as the driver tells it: a value, pruned, or an error."""

    value: float | None = None
    pruned: bool = False
    error: str | None = None
    stopped: bool = False
    worker: str | None = None
    seconds: float | None = None
    device: str | None = None
    steps: int | None = None


def finish(study: Any, trial: Any, result: TrialResult) -> TrialRecord:
    """Record ``result``'s attributes on ``trial`` and tell ``study`` how it ended."""
    from optuna.trial import TrialState

    for name in ("worker", "seconds", "error", "stopped", "device", "steps"):
        value = getattr(result, name)
        if value is not None and value is not False:
            trial.set_user_attr(name, value)
    if result.error is not None or result.stopped:
        if result.error is None:
            trial.set_user_attr("error", STOPPED)
        frozen = study.tell(trial, state=TrialState.FAIL)
    elif result.pruned:
        frozen = study.tell(trial, state=TrialState.PRUNED)
    else:
        frozen = study.tell(trial, result.value)
    return record(frozen)


def fail_orphans(study: Any) -> list[int]:
    """Fail the trials left running by a process of this host that no longer exists.

    A sweep that ends normally tells every trial it started; one that was killed leaves
    them RUNNING, and they would never finish. Trials of live processes, or of other hosts
    (a shared storage), are left alone. Returns the numbers of the trials failed.
    """
    from optuna.trial import Trial, TrialState

    host = socket.gethostname()
    failed = []
    for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner, _, pid = str(frozen.user_attrs.get("driver", "")).rpartition(":")
        if owner != host or not pid.isdigit() or _alive(int(pid)):
            continue
        trial = Trial(study, frozen._trial_id)
        trial.set_user_attr("error", ORPHANED)
        trial.set_user_attr("stopped", True)
        study.tell(frozen.number, state=TrialState.FAIL)
        failed.append(frozen.number)
    return failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
