"""A short, seeded training run of alignn's model on the CPU, with per-term values per step.

Each step is one AdamW update on one batch, with alignn's loss (`alignn_nb.loss.breakdown`): the
same forward pass, the same terms and weights as alignn's ``train_dgl``. Parameters are
grouped as alignn's ``group_decay`` does (no weight decay on biases and norms). The default
learning rate (1e-3) and weight decay (1e-5) are those of alignn's example force-field
configs; alignn's scheduler is not used, so the rate stays constant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from alignn_nb.compute import StopFlag
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Dataset
from alignn_nb.evaluation import RunFolder
from alignn_nb.loss import (
    TERMS,
    WEIGHTS,
    Batch,
    applies,
    check_inputs,
    forward,
    make_batches,
    raw_terms,
    weighted_loss,
)

DEFAULT_STEPS = 50
DEFAULT_LEARNING_RATE = 1e-3
DEFAULT_WEIGHT_DECAY = 1e-5


@dataclass(frozen=True)
class Step:
    """One optimiser step: weighted and raw value of each term that has one, their total,
    and the wall time in seconds since the run started."""

    index: int
    weighted: dict[str, float]
    raw: dict[str, float]
    total: float
    seconds: float


@dataclass
class ShortRun:
    """The trained model (the same object that was passed in, if any) and its steps;
    ``config`` is the model config it was trained with."""

    model: torch.nn.Module
    steps: list[Step] = field(default_factory=list)
    planned: int = DEFAULT_STEPS
    stopped: bool = False
    seconds: float = 0.0
    config: ALIGNNAtomWiseConfig | None = None

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else "done"
        last = f", total {self.steps[-1].total:.4g}" if self.steps else ""
        return f"ShortRun({len(self.steps)}/{self.planned} steps {state}{last})"

    def series(self, name: str, weighted: bool = True) -> list[float]:
        """One term's values per step (``"total"`` for the total)."""
        if name == "total":
            return [step.total for step in self.steps]
        source = "weighted" if weighted else "raw"
        return [getattr(step, source).get(name, float("nan")) for step in self.steps]

    def as_run_folder(self, graph: GraphConfig, name: str = "alignn-nb run") -> RunFolder:
        """This run's trained weights as a run to explore, with ``graph``'s graph options.

        It trained on a whole dataset, so it has no split: evaluate it on split "all".

        Raises:
            ValueError: when the run has no config.
        """
        if self.config is None:
            raise ValueError("the training run has no config")
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        note = f"alignn-nb's training: {len(self.steps)} AdamW steps"
        return RunFolder(name, self.config.copy(), graph.copy(), state, notes=(note,))


def _optimizer(
    model: torch.nn.Module, learning_rate: float, weight_decay: float
) -> torch.optim.Optimizer:
    from alignn.utils import group_decay

    return torch.optim.AdamW(group_decay(model), lr=learning_rate, weight_decay=weight_decay)


def _active(cfg: ALIGNNAtomWiseConfig) -> list[str]:
    return [name for name in TERMS if applies(name, cfg)]


def _step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    cfg: ALIGNNAtomWiseConfig,
    threshold: float | None,
) -> tuple[dict, dict, float]:
    """One AdamW update; returns weighted values, raw values and the total."""
    optimizer.zero_grad()
    raw = raw_terms(forward(model, batch), batch, cfg, _active(cfg), threshold)
    loss = weighted_loss(raw, cfg)
    if loss is None:
        raise ValueError("nothing to train: no loss term has a value on this dataset")
    loss.backward()
    optimizer.step()
    values = {
        name: float(term.value.detach()) for name, term in raw.items() if term.value is not None
    }
    weighted = {name: getattr(cfg, WEIGHTS[name]) * value for name, value in values.items()}
    return weighted, values, float(loss.detach())


def train(
    dataset: Dataset,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    *,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    model: torch.nn.Module | None = None,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    weight_decay: float = DEFAULT_WEIGHT_DECAY,
    batch_size: int | None = None,
    callback: Callable[[Step], None] | None = None,
    stop: StopFlag | None = None,
    classification_threshold: float | None = None,
    threads: int | None = None,
) -> ShortRun:
    """Train ``model`` (or a fresh one from ``cfg`` seeded with ``seed``) for ``steps`` steps.

    Batches of ``batch_size`` structures (None: the whole dataset each step, split only to
    fit the memory guard of `alignn_nb.loss.batches.make_batches`) are visited
    in an order shuffled with ``seed``. ``callback`` gets each `Step`; setting ``stop``
    ends the run before the next step. The model is left in eval mode with its new weights.
    ``threads`` sets torch's intra-op threads for the run (restored afterwards); on shared
    cores one thread avoids the large slow-down of threads waiting for each other.

    Raises:
        ValueError: for steps < 1, a bad learning rate, an empty dataset, a config alignn
            cannot run, or a dataset on which no term has a target.
    """
    from alignn_nb.model import build_model

    _check_run(steps, learning_rate, threads)
    check_inputs(cfg, graph)
    batches = make_batches(dataset, cfg, graph, batch_size)
    model = build_model(cfg, seed=seed) if model is None else model
    optimizer = _optimizer(model, learning_rate, weight_decay)
    run = ShortRun(model=model, planned=steps, config=cfg)
    saved_threads = torch.get_num_threads()
    torch.set_num_threads(threads or saved_threads)
    start = time.perf_counter()
    model.train()
    try:
        for index, batch in zip(range(steps), _visits(batches, seed), strict=False):
            if stop is not None and stop.is_set():
                run.stopped = True
                break
            weighted, raw, total = _step(model, optimizer, batch, cfg, classification_threshold)
            step = Step(index + 1, weighted, raw, total, time.perf_counter() - start)
            run.steps.append(step)
            if callback is not None:
                callback(step)
    finally:
        model.eval()
        torch.set_num_threads(saved_threads)
        run.seconds = time.perf_counter() - start
    return run


def _check_run(steps: int, learning_rate: float, threads: int | None) -> None:
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")


def _visits(batches: list[Batch], seed: int) -> Iterator[Batch]:
    """The batches, endlessly, each pass in an order shuffled with ``seed``."""
    order = torch.Generator().manual_seed(seed)
    while True:
        for position in torch.randperm(len(batches), generator=order).tolist():
            yield batches[position]
