"""Time the loss decomposition and training against a bare alignn-style loop, same run.

Run: ``DGLBACKEND=pytorch .venv/bin/python benchmarks/loss_terms.py [--quick]``. Prints,
for the embedded EMT Cu/Al dataset (30 structures in one batch):

- one decomposition (`decompose`) vs alignn's model plus its train.py loss
  written out by hand, and a reweight (no forward pass);
- one training step (alignn_nb.training.runs.train) vs forward + loss + backward + AdamW by hand;
- a training step with 1 torch thread and with torch's default;
- the 50-step training run (1 thread, as LossPlot runs it): wall time and each term at
  step 1 and step 50.

``--quick`` uses `QUICK_SIZE` structures, times each action once with 1 torch thread and
trains 3 steps instead of 50: a run of seconds.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DGLBACKEND", "pytorch")

import numpy as np
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.model.build import build_model
from alignn_nb.training.batches import Batch, make_batches
from alignn_nb.training.breakdown import decompose, reweight
from alignn_nb.training.example_data import default_dataset
from alignn_nb.training.runs import train

REPEATS = 5
QUICK_SIZE = 4


def by_hand(model: torch.nn.Module, batch: Batch) -> torch.Tensor:
    """alignn's forward and train.py's energy, force and stress terms, written out."""
    conf = model.config
    g = batch.g.local_var()
    g.edata["r"] = batch.g.edata["r"].clone()
    lg = batch.lg.local_var()
    lg.ndata["r"] = g.edata["r"]
    result = model([g, lg, batch.lattice])
    natoms = batch.natoms.float()
    energy = torch.tensor([s.targets.energy for s in batch.samples]).float() / natoms
    forces = torch.tensor(np.concatenate([s.targets.forces for s in batch.samples])).float()
    stress = torch.tensor(np.stack([s.targets.stress for s in batch.samples])).float()
    l1 = torch.nn.L1Loss()
    return (
        conf.graphwise_weight * l1(result["out"], energy)
        + conf.gradwise_weight * l1(result["grad"], forces)
        + conf.stresswise_weight * l1(result["stresses"], stress)
    )


def best_of(action, repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main(quick: bool) -> None:
    repeats, run_steps = (1, 3) if quick else (REPEATS, 50)
    dataset = default_dataset(size=QUICK_SIZE) if quick else default_dataset()
    cfg, graph = ALIGNNAtomWiseConfig(stresswise_weight=0.1), GraphConfig()
    start = time.perf_counter()
    batches = make_batches(dataset, cfg, graph)
    print(f"dataset: {dataset}; graphs built in {time.perf_counter() - start:.2f} s")
    if quick:
        torch.set_num_threads(1)
    torch.manual_seed(0)
    model = build_model(cfg)

    ours = best_of(lambda: decompose(model, batches, cfg), repeats)
    theirs = best_of(lambda: float(by_hand(model, batches[0])), repeats)
    breakdown = decompose(model, batches, cfg)
    other = ALIGNNAtomWiseConfig(stresswise_weight=0.5, graphwise_weight=0.2)
    again = best_of(lambda: reweight(breakdown, other), 50)
    print(
        f"decomposition: ours {ours * 1e3:.1f} ms, alignn by hand {theirs * 1e3:.1f} ms, "
        f"ratio {ours / theirs:.2f}; reweight {again * 1e6:.0f} µs "
        f"({ours / again:,.0f}x faster than a decomposition)"
    )

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def hand_step() -> None:
        optimizer.zero_grad()
        by_hand(model, batches[0]).backward()
        optimizer.step()

    hand = best_of(hand_step, repeats)
    step = train(dataset, cfg, graph, steps=max(2, repeats), model=model)
    ours_step = min(b.seconds - a.seconds for a, b in zip(step.steps, step.steps[1:], strict=False))
    print(
        f"training step: ours {ours_step * 1e3:.0f} ms, alignn by hand {hand * 1e3:.0f} ms, "
        f"ratio {ours_step / hand:.2f}"
    )

    per_step = {}
    for threads in (1,) if quick else (1, torch.get_num_threads()):
        warm = train(dataset, cfg, graph, steps=repeats + 1, seed=0, threads=threads)
        per_step[threads] = (warm.steps[-1].seconds - warm.steps[0].seconds) / repeats
    print(
        "per training step by torch threads: "
        + ", ".join(f"{n}: {t * 1e3:.0f} ms" for n, t in per_step.items())
    )

    run = train(dataset, cfg, graph, steps=run_steps, seed=0, threads=1)
    print(
        f"{run_steps}-step run on {len(dataset)} structures with 1 torch thread (LossPlot's "
        f"default): {run.seconds:.1f} s ({run.seconds / run_steps * 1e3:.0f} ms per step)"
    )
    first, last = run.steps[0], run.steps[-1]
    for name in [*first.weighted, "total"]:
        a = first.total if name == "total" else first.weighted[name]
        b = last.total if name == "total" else last.weighted[name]
        print(f"  {name:<11} step 1: {a:9.5f}  step {run_steps}: {b:9.5f}  ({b / a:.2f}x)")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
