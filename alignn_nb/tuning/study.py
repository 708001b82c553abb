"""An Optuna study of configs: its storage, its trials as records, the best config.

The study lives in an Optuna storage: by default a `JournalStorage` file (embedded, one
file, resumable), or any Optuna storage URL (``sqlite:///study.db``, ``postgresql://…``)
for shared use. Only the driver (the CLI or the dashboard) opens it; workers get plain
`alignn_nb.tuning.trials.TrialPlan` values and never touch the storage.

Each trial keeps, as Optuna user attributes (so they survive a resume):

- ``settings``: every model, graph and training field it trained with;
- ``worker``: the Dask worker that ran it; ``seconds``: wall time from submission to result;
- ``error``: why it failed, for a FAIL; ``stopped``: True when a Stop (or the end of the
  sweep that ran it) cut it short — such trials do not count as finished;
- ``device`` and ``steps``: where it trained and the steps it made;
- ``driver``: ``host:pid`` of the process that asked for it (to recognise orphans).

The study itself keeps what its values mean (objective, dataset fingerprint, split and
seed); reopening it for something else is refused, since the values would not compare.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignn_nb.datasets import Dataset
from alignn_nb.tuning.search_space import SearchSpace, TrialSettings
from alignn_nb.tuning.trials import (
    OBJECTIVES,
    VALIDATION_FRACTION,
    TrialPlan,
    objective_problem,
    training_problem,
)

DEFAULT_STORAGE = "alignn-nb-study.journal"
DEFAULT_STUDY = "alignn-nb"
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "none")
STOPPED = "stopped before it finished"
_KEY = "alignn_nb"


def open_storage(storage: str | os.PathLike) -> Any:
    """An Optuna storage: a URL (``scheme://…``) as Optuna reads it, else a journal file.

    Raises:
        ValueError: for a journal file in a folder that does not exist, or a URL Optuna
            cannot open.
    """
    import optuna

    text = str(storage)
    if "://" in text:
        try:
            return optuna.storages.get_storage(text)
        except Exception as failure:  # Optuna raises many types for a bad URL
            raise ValueError(f"storage {text!r}: {type(failure).__name__}: {failure}") from None
    path = Path(text)
    if not path.parent.is_dir():
        raise ValueError(f"storage {text!r}: the folder {path.parent} does not exist")
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def make_sampler(name: str, seed: int = 0) -> Any:
    """Optuna's TPE (the default) or random sampler, seeded."""
    import optuna

    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"sampler {name!r} refused: choose one of {', '.join(SAMPLERS)}")


def make_pruner(name: str) -> Any:
    """Optuna's median pruner (after 2 finished trials), or none."""
    import optuna

    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"pruner {name!r} refused: choose one of {', '.join(PRUNERS)}")


@dataclass(frozen=True)
class StudyKey:
    """What a study's values mean: the objective, the dataset, the split and the seed."""

    objective: str
    dataset: str
    fingerprint: str
    samples: int
    validation_fraction: float
    seed: int

    @classmethod
    def of(cls, objective: str, dataset: Dataset, validation_fraction: float, seed: int):
        if objective not in OBJECTIVES:
            raise ValueError(
                f"objective {objective!r} refused: choose one of {', '.join(OBJECTIVES)}"
            )
        return cls(
            objective, dataset.name, dataset.fingerprint, len(dataset), validation_fraction, seed
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def mismatch(self, stored: Mapping[str, Any]) -> list[str]:
        """The entries where ``stored`` differs from this key, as ``name stored → now``."""
        ours = self.as_dict()
        names = [n for n in ours if n != "dataset" and stored.get(n) != ours[n]]
        shown = {"fingerprint": "dataset"}
        return [
            f"{shown.get(n, n)} {stored.get('dataset') if n == 'fingerprint' else stored.get(n)!r}"
            f" → {ours['dataset'] if n == 'fingerprint' else ours[n]!r}"
            for n in names
        ]


def open_study(
    storage: str | os.PathLike | Any,
    name: str,
    key: StudyKey,
    sampler: Any = "tpe",
    pruner: Any = "median",
) -> Any:
    """The study ``name`` in ``storage``, created (minimising) if it does not exist.

    ``storage`` is a path, a URL or an Optuna storage; ``sampler`` and ``pruner`` are
    names (`SAMPLERS`, `PRUNERS`) or Optuna objects.

    Raises:
        ValueError: when the stored study was made for another objective, dataset, split
            or seed.
    """
    import optuna

    if isinstance(storage, str | os.PathLike):
        storage = open_storage(storage)
    sampler = make_sampler(sampler, key.seed) if isinstance(sampler, str) else sampler
    pruner = make_pruner(pruner) if isinstance(pruner, str) else pruner
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        sampler=sampler,
        pruner=pruner,
        direction="minimize",
        load_if_exists=True,
    )
    stored = study.user_attrs.get(_KEY)
    if stored is None:
        study.set_user_attr(_KEY, key.as_dict())
    elif key.mismatch(stored):
        raise ValueError(
            f"study {name!r} was made for other values ({'; '.join(key.mismatch(stored))}): "
            "its trials would not compare; choose another study name"
        )
    return study


@dataclass(frozen=True)
class TuningPlan:
    """What a sweep tunes and how each trial runs.

    ``base`` holds the settings every trial starts from; ``space`` the values it varies.
    ``report_every`` is how many steps pass between the validation scores a trial
    reports to the pruner (None: a fifth of the trial's steps, at least 1); ``device``
    is "auto" (CUDA where a worker has it), "cpu" or "cuda"; ``threads`` are torch's
    threads per trial.
    """

    space: SearchSpace
    base: TrialSettings
    objective: str = "total"
    seed: int = 0
    validation_fraction: float = VALIDATION_FRACTION
    report_every: int | None = None
    device: str = "auto"
    threads: int = 1

    def key(self, dataset: Dataset) -> StudyKey:
        """The `StudyKey` of this plan on ``dataset``."""
        return StudyKey.of(self.objective, dataset, self.validation_fraction, self.seed)

    def problem(self, dataset: Dataset, local: bool = True) -> str | None:
        """Why the base settings cannot be swept on ``dataset``, or None: an objective
        without a value there, nothing that can be trained, or (``local``: the trials
        run in this environment) alignn_atomwise where DGL is not installed."""
        from alignn_nb.config import DGL_MISSING, PURE_MODEL, dgl_installed, is_pure

        cfg, graph = self.base.cfg, self.base.graph
        problem = objective_problem(self.objective, cfg, dataset)
        if problem is None and local and not is_pure(cfg) and not dgl_installed():
            problem = f"{DGL_MISSING}: choose {PURE_MODEL!r} or install DGL"
        return problem or training_problem(cfg, graph, dataset)

    def trial_plan(self, number: int, settings: TrialSettings) -> TrialPlan:
        """The plain `TrialPlan` a worker runs for trial ``number``."""
        every = self.report_every or max(1, settings.options.steps // 5)
        return TrialPlan(
            number=number,
            settings=settings.as_dict(),
            objective=self.objective,
            seed=self.seed,
            report_every=every,
            device=self.device,
            threads=self.threads,
        )


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the table and ``--json`` show it; ``seconds`` is wall time in s."""

    number: int
    params: dict[str, Any]
    value: float | None
    state: str
    error: str | None
    worker: str | None
    seconds: float | None
    stopped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of one entry of ``alignn-nb sweep --json``'s ``trials``."""
        fields = ("number", "params", "value", "state", "error", "worker", "seconds")
        return {name: getattr(self, name) for name in fields}


def record(frozen: Any) -> TrialRecord:
    """A `TrialRecord` of an Optuna ``FrozenTrial``."""
    attrs = frozen.user_attrs
    return TrialRecord(
        number=frozen.number,
        params=dict(frozen.params),
        value=frozen.value,
        state=frozen.state.name,
        error=attrs.get("error"),
        worker=attrs.get("worker"),
        seconds=attrs.get("seconds"),
        stopped=bool(attrs.get("stopped", False)),
    )


def records(study: Any) -> list[TrialRecord]:
    """Every trial of ``study`` in number order."""
    return [record(t) for t in study.get_trials(deepcopy=False)]


def finished_count(study: Any) -> int:
    """Trials that ran to their end: COMPLETE, PRUNED or FAIL, but not cut short by a Stop."""
    return sum(
        1 for r in records(study) if r.state in ("COMPLETE", "PRUNED", "FAIL") and not r.stopped
    )


def best(study: Any) -> TrialRecord | None:
    """The COMPLETE trial with the lowest value (the first of equals), or None."""
    done = [r for r in records(study) if r.state == "COMPLETE"]
    return min(done, key=lambda r: (r.value, r.number)) if done else None


def importances(study: Any, shown: list[TrialRecord]) -> tuple[dict[str, float], str]:
    """Each tuned field's importance (Optuna's fANOVA, summing to 1), or ``{}`` and why
    there are none yet (fewer than 2 of the ``shown`` trials completed, or Optuna refused
    the space: e.g. one value seen)."""
    if sum(1 for r in shown if r.state == "COMPLETE") < 2:
        return {}, "importances need 2 completed trials"
    import optuna

    try:
        found = optuna.importance.get_param_importances(study)
    except Exception as failure:  # Optuna refuses some spaces; the note says how
        return {}, f"no importances: {type(failure).__name__}: {failure}"
    return {k: float(v) for k, v in found.items()}, ""


def best_settings(study: Any) -> TrialSettings:
    """The settings the best trial trained with.

    Raises:
        ValueError: when no trial has completed.
    """
    top = best(study)
    if top is None:
        raise ValueError(f"study {study.study_name!r} has no completed trial yet")
    frozen = study.get_trials(deepcopy=False)[top.number]
    return TrialSettings.from_dict(frozen.user_attrs["settings"])


def alignn_training_keys(settings: TrialSettings) -> dict[str, Any]:
    """The training options as alignn's TrainingConfig names them (steps have no match)."""
    keys: dict[str, Any] = {"learning_rate": settings.options.learning_rate}
    if settings.options.batch_size is not None:
        keys["batch_size"] = settings.options.batch_size
    return keys


def save_best(
    study: Any, path: str | os.PathLike, training: Mapping[str, Any] | None = None
) -> TrialSettings:
    """Write the best trial's config as an alignn training ``config.json``.

    ``training`` holds other alignn training keys to keep (e.g. a loaded config's); the
    best learning rate and batch size replace theirs. Returns the settings written.
    """
    from alignn_nb.config import save_alignn_config

    settings = best_settings(study)
    keys = {**dict(training or {}), **alignn_training_keys(settings)}
    save_alignn_config(path, settings.cfg, settings.graph, keys)
    return settings


def summary(study: Any, storage: str) -> dict[str, Any]:
    """The JSON shape of ``alignn-nb sweep --json``."""
    top = best(study)
    return {
        "study": study.study_name,
        "storage": storage,
        "objective": study.user_attrs.get(_KEY, {}).get("objective"),
        "trials": [r.as_dict() for r in records(study)],
        "best": None
        if top is None
        else {"number": top.number, "params": top.params, "value": top.value},
    }
