"""The short training run (`alignn_nb.training.short_run.train`) as a `ThreadJob`.

`short_run_job` snapshots the config and graph options, gives the run a model of its own
(a copy of the given model reconfigured for the snapshot, or a fresh seeded one for a new
shape) and returns the job, not started, with the `ShortRun` it fills. Edits made to the
config while the job runs never reach the run. What an observer sees:

- ``progress``: steps done of the planned steps;
- ``event``: one ``step`` per optimiser step, its data the `Step`;
- ``message``: ``training finished after N steps in S s`` (or ``stopped``) at the end;
- ``result``: the `ShortRun`, its model trained in place (also after a stop);
- ``stop()``: the run ends before its next step.

`shape_changes_since` says whether the trained weights still fit a config edited during
the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from alignn_nb.compute import JobContext, ThreadJob
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, shape_changes
from alignn_nb.datasets import Dataset
from alignn_nb.training.short_run import (
    DEFAULT_LEARNING_RATE,
    DEFAULT_STEPS,
    DEFAULT_WEIGHT_DECAY,
    ShortRun,
    Step,
    train,
)


@dataclass(frozen=True)
class ShortRunSettings:
    """How a short run trains: AdamW ``steps`` at ``learning_rate`` and ``weight_decay``,
    ``batch_size`` structures a step (None: the whole dataset), ``threads`` torch threads,
    ``seed`` for a fresh model and the batch order."""

    steps: int = DEFAULT_STEPS
    seed: int = 0
    learning_rate: float = DEFAULT_LEARNING_RATE
    weight_decay: float = DEFAULT_WEIGHT_DECAY
    batch_size: int | None = None
    threads: int | None = None


def short_run_task(
    ctx: JobContext,
    run: ShortRun,
    dataset: Dataset,
    graph: GraphConfig,
    settings: ShortRunSettings,
) -> ShortRun:
    """Train ``run.model`` for ``run.planned`` steps with ``run.config``; the steps are
    appended to ``run.steps`` as they happen. Returns ``run``."""
    if run.config is None:
        raise ValueError("a short run needs the config it trains with")

    def on_step(step: Step) -> None:
        run.steps.append(step)
        ctx.report(step.index, run.planned)
        ctx.emit("step", step)

    ctx.report(0, run.planned, unit="steps")
    finished = train(
        dataset,
        run.config,
        graph,
        steps=run.planned,
        seed=settings.seed,
        model=run.model,
        learning_rate=settings.learning_rate,
        weight_decay=settings.weight_decay,
        batch_size=settings.batch_size,
        threads=settings.threads,
        callback=on_step,
        stop=ctx.stop_event,
    )
    run.stopped, run.seconds = finished.stopped, finished.seconds
    word = "stopped" if run.stopped else "finished"
    ctx.message(f"training {word} after {len(run.steps)} steps in {run.seconds:.1f} s")
    return run


def short_run_job(
    dataset: Dataset,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    model: torch.nn.Module | None = None,
    settings: ShortRunSettings | None = None,
    *,
    name: str = "training",
) -> tuple[ThreadJob, ShortRun]:
    """The job training a copy of ``model`` (or a fresh one) on ``dataset`` with snapshots
    of ``cfg`` and ``graph``, not started, and the `ShortRun` it fills.

    Raises:
        ValueError: when alignn cannot build a model of ``cfg``.
    """
    from alignn_nb.model import model_for

    settings = settings or ShortRunSettings()
    config, graph = cfg.copy(), graph.copy()
    own = model_for(config, model, seed=settings.seed, copy=True)
    run = ShortRun(model=own, planned=settings.steps, config=config)
    job = ThreadJob(short_run_task, (run, dataset, graph, settings), name=name, unit="steps")
    return job, run


def shape_changes_since(run: ShortRun, cfg: ALIGNNAtomWiseConfig) -> list[str]:
    """The fields that shape the model in which ``cfg`` differs from the config ``run``
    trained with (``"hidden_features 64 → 16"``); empty when its weights still fit."""
    return [] if run.config is None else shape_changes(run.config, cfg)
