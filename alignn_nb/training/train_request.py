"""What ``alignn-nb train`` is asked to do, and how a request ends badly.

A `TrainRequest` is plain data (paths made absolute, settings already parsed), so it can
be sent to a child process or a Dask worker. `Refused` is a request turned down before
anything was written; `TrainingFailed` a run that broke off, naming its cause and the
last epoch written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Refused(ValueError):
    """A request turned down before anything was written or trained; one line."""


class TrainingFailed(RuntimeError):
    """A run that broke off (a NaN loss, an error inside alignn); the message names the
    cause and the last whole epoch written, which stays in the output folder."""


def _absolute(path: str | os.PathLike[str] | None) -> str | None:
    return None if path is None else str(Path(path).expanduser().resolve())


@dataclass(frozen=True)
class TrainRequest:
    """A training to run with alignn's ``train_for_folder``.

    ``output`` is the output folder (new or empty, or a run's folder with ``resume``);
    ``data`` the structures (alignn's dataset folder with id_prop.csv or id_prop.json, a
    force-field id_prop.json, or an extxyz file with energies, forces and stresses);
    ``config`` alignn's training config.json, or that config as a dict (a notebook's form,
    `alignn_nb.config.to_alignn_config`). With ``resume`` both may be left out: the
    run's own are used (given, they must be the same). ``settings`` are model, graph and
    training fields to change, as values (``{"hidden_features": 32, "epochs": 5}``).
    ``keep_caches`` keeps alignn's LMDB graph caches in the run's working folder.
    """

    output: str
    data: str | None = None
    config: str | Mapping[str, Any] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    resume: bool = False
    keep_caches: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "output", _absolute(self.output))
        object.__setattr__(self, "data", _absolute(self.data))
        config = self.config
        config = dict(config) if isinstance(config, Mapping) else _absolute(config)
        object.__setattr__(self, "config", config)
        object.__setattr__(self, "settings", dict(self.settings))
