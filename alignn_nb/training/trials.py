"""One trial of a study: a short training of one config, scored on a validation split.

`run_trial` is what a Dask worker runs. It trains alignn's model with
`alignn_nb.training.runs.train` on the training split, and scores it on the validation
split with alignn's loss (`alignn_nb.training.breakdown.loss_terms`):

- ``total``: alignn's weighted validation loss, the sum of the weighted terms;
- ``energy``: the graphwise term's MAE, in eV/atom (alignn's energy term with
  energy_mult_natoms on, which this objective needs);
- ``forces``: the gradwise term's MAE in eV/Å.

Every ``report_every`` steps, and after the last, it scores the model and hands the value
to a `TrialChannel`, which also says when to stop (a pruned trial, a stopped study). The
channel is how a worker talks to the driver, so workers never need the study's storage.
Everything here is seeded: the split, the model's initial weights and the batch order.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.training.datasets import Dataset
from alignn_nb.training.search_space import TrialSettings

OBJECTIVES = {
    "total": "alignn's weighted validation loss",
    "energy": "validation energy MAE (eV/atom)",
    "forces": "validation force MAE (eV/Å)",
}
"""The objectives a study can minimise, with what each one is."""
_TERM = {"energy": "graphwise", "forces": "gradwise"}
_TARGET = {"energy": "energy", "forces": "forces"}
DEVICES = ("auto", "cpu", "cuda")
VALIDATION_FRACTION = 0.2


class TrialChannel(Protocol):
    """How a running trial reports to the driver and learns that it must stop."""

    def report(self, step: int, value: float) -> None:
        """Hand the objective ``value`` after ``step`` optimiser steps to the driver."""

    def should_stop(self) -> bool:
        """True once the driver wants the trial to end (pruned, or the study stopped)."""


@dataclass(frozen=True)
class TrialPlan:
    """Everything a worker needs for one trial, as plain values."""

    number: int
    settings: dict[str, dict[str, Any]]
    objective: str = "total"
    seed: int = 0
    report_every: int = 1
    device: str = "cpu"
    threads: int = 1

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"objective {self.objective!r} refused: choose one of {', '.join(OBJECTIVES)}"
            )
        if self.device not in DEVICES:
            raise ValueError(f"device {self.device!r} refused: choose one of {', '.join(DEVICES)}")
        if self.report_every < 1 or self.threads < 1:
            raise ValueError("report_every and threads must be at least 1")


@dataclass(frozen=True)
class TrialOutcome:
    """What a trial gave: its last objective ``value``, every reported ``(step, value)``,
    the steps it trained, whether it was told to stop, the device and its seconds (s)."""

    value: float
    reports: tuple[tuple[int, float], ...]
    steps: int
    stopped: bool
    device: str
    seconds: float


def split_dataset(
    dataset: Dataset, validation_fraction: float = VALIDATION_FRACTION, seed: int = 0
) -> tuple[Dataset, Dataset]:
    """``(train, validation)``: a seeded shuffle of ``dataset`` cut at ``validation_fraction``.

    The validation split has at least one sample, the training split too.

    Raises:
        ValueError: for a fraction outside (0, 1) or fewer than two samples.
    """
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation fraction {validation_fraction!r} refused: it is in (0, 1)")
    if len(dataset) < 2:
        raise ValueError(
            f"{dataset.name} has {len(dataset)} sample(s): a train/validation split needs two"
        )
    order = np.random.default_rng(seed).permutation(len(dataset))
    count = min(len(dataset) - 1, max(1, round(validation_fraction * len(dataset))))
    pick = lambda indices: tuple(dataset.samples[i] for i in sorted(indices))  # noqa: E731
    return (
        Dataset(
            f"{dataset.name} (train)", pick(order[count:]), dataset.conventions, dataset.file_energy
        ),
        Dataset(
            f"{dataset.name} (validation)",
            pick(order[:count]),
            dataset.conventions,
            dataset.file_energy,
        ),
    )


def objective_problem(objective: str, cfg: ALIGNNAtomWiseConfig, dataset: Dataset) -> str | None:
    """Why ``objective`` cannot score ``cfg`` on ``dataset``, or None when it can."""
    if objective not in OBJECTIVES:
        return f"objective {objective!r} refused: choose one of {', '.join(OBJECTIVES)}"
    if objective == "total":
        return None
    target = _TARGET[objective]
    if not dataset.target_counts()[target]:
        return f"the {objective} objective needs {target} targets and {dataset.name} has none"
    if objective == "energy" and not cfg.energy_mult_natoms:
        return (
            "the energy objective is alignn's graphwise MAE in eV/atom, which needs "
            "energy_mult_natoms on (off, alignn's readout predicts eV per cell)"
        )
    if objective == "forces" and not (cfg.calculate_gradient and cfg.gradwise_weight):
        return "the forces objective needs forces: calculate_gradient on and gradwise_weight > 0"
    return None


def training_problem(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, dataset: Dataset) -> str | None:
    """Why a short training of ``cfg`` on ``dataset`` cannot start, or None when it can:
    a config alignn's forward pass cannot run on a plain dataset, or no loss term that
    can have a value (`alignn_nb.training.terms.untrainable`)."""
    from alignn_nb.training.batches import check_inputs
    from alignn_nb.training.terms import untrainable

    try:
        check_inputs(cfg, graph)
    except ValueError as refused:
        return str(refused)
    return untrainable(cfg, dataset.target_counts())


def score(
    model: torch.nn.Module,
    validation: Dataset,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    objective: str,
    batch_size: int | None = None,
) -> float:
    """The ``objective`` of ``model`` on ``validation`` (model in eval mode, no update).

    Raises:
        ValueError: when the objective has no value (the term's status says why) or is
            not finite (training diverged).
    """
    from alignn_nb.training.breakdown import loss_terms

    breakdown = loss_terms(model, validation, cfg, graph, batch_size=batch_size)
    if objective == "total":
        value = breakdown.total
    else:
        term = breakdown.terms.get(_TERM[objective])
        if term is None or term.raw is None:
            status = "it does not apply to this config" if term is None else term.status
            raise ValueError(f"the {objective} objective has no value: {status}")
        value = term.raw
    if not math.isfinite(value):
        raise ValueError(f"the {objective} objective is {value}: the training diverged")
    return float(value)


def resolve_device(device: str) -> str:
    """``"cpu"`` or ``"cuda"`` for ``device`` ("auto": CUDA when this process has it).

    Raises:
        ValueError: for ``"cuda"`` where torch sees no CUDA device.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' refused: torch sees no CUDA device on this worker")
    return device


class _Scorer:
    """Scores the model every ``every`` steps and reports to the channel; stops on request."""

    def __init__(self, run: Callable[[], float], every: int, channel: TrialChannel | None):
        self.run, self.every, self.channel = run, every, channel
        self.reports: list[tuple[int, float]] = []
        self.stop = threading.Event()

    def after_step(self, index: int, last: bool) -> None:
        if last or index % self.every == 0:
            self.report(index)
        if self.channel is not None and self.channel.should_stop():
            self.stop.set()

    def report(self, index: int) -> None:
        if self.reports and self.reports[-1][0] == index:
            return
        value = self.run()
        self.reports.append((index, value))
        if self.channel is not None:
            self.channel.report(index, value)


def run_trial(
    plan: TrialPlan,
    train_set: Dataset,
    validation: Dataset,
    channel: TrialChannel | None = None,
) -> TrialOutcome:
    """Train ``plan``'s settings on ``train_set`` and score them on ``validation``.

    torch runs with ``plan.threads`` threads (restored afterwards).

    Raises:
        ValueError: for settings alignn cannot train, an objective without a value, or a
            device this process does not have. The driver records the message.
    """
    from alignn_nb.model.build import build_model
    from alignn_nb.training.runs import train

    start = time.perf_counter()
    settings = TrialSettings.from_dict(plan.settings)
    cfg, graph, options = settings.cfg, settings.graph, settings.options
    device = resolve_device(plan.device)
    problem = objective_problem(plan.objective, cfg, validation)
    problem = problem or training_problem(cfg, graph, train_set)
    if problem is not None:
        raise ValueError(problem)
    saved_threads = torch.get_num_threads()
    torch.set_num_threads(plan.threads)
    try:
        model = build_model(cfg, seed=plan.seed)

        def evaluate() -> float:
            model.eval()
            try:
                return score(model, validation, cfg, graph, plan.objective, options.batch_size)
            finally:
                model.train()

        scorer = _Scorer(evaluate, plan.report_every, channel)
        run = train(
            train_set,
            cfg,
            graph,
            steps=options.steps,
            seed=plan.seed,
            model=model,
            learning_rate=options.learning_rate,
            batch_size=options.batch_size,
            callback=lambda step: scorer.after_step(step.index, step.index == options.steps),
            stop=scorer.stop,
        )
        if run.steps and not scorer.reports:
            scorer.report(len(run.steps))
    finally:
        torch.set_num_threads(saved_threads)
    if not scorer.reports:
        raise ValueError("the trial was stopped before its first step")
    return TrialOutcome(
        value=scorer.reports[-1][1],
        reports=tuple(scorer.reports),
        steps=len(run.steps),
        stopped=run.stopped or len(run.steps) < options.steps,
        device=device,
        seconds=time.perf_counter() - start,
    )
