"""A trained model's errors on a dataset: per structure, per atom, and overall.

Each structure is run through alignn's own model (`alignn_nb.model.forward.run`, the
forward pass of the loss terms) on alignn-nb's re-make of alignn's graphs for the run's
config, in small batches. What is recorded matches alignn's ``Test_results.json``:

- ``energy_pred`` is alignn's ``pred_out``: the readout ``out``, eV per atom when
  energy_mult_natoms is on and eV per cell when it is off. alignn's DGL model with
  energy_mult_natoms off has added the short-bond penalty of the whole batch to ``out``
  in place (`alignn_nb.model.physics.penalty_in_readout`); its test loader runs one
  structure per batch, and so does this evaluation for such a model.
- ``energy_target`` is the energy in the same unit (alignn's ``target_out`` when the
  file's unit is the readout's); forces are eV/Å, stress GPa in alignn's stress-head sign.

alignn writes ``Test_results.json`` after its last epoch, with the weights it then saves
as ``last_model.pt``; ``Val_results.json`` and ``Train_results.json`` are written at the
epoch of the best validation loss (``best_model.pt``), the train one accumulated while
the weights changed during that epoch, and the val one for whole batches only (its loader
drops the last incomplete batch).

Overall errors: energy MAE in eV/atom over the structures with an energy, force MAE in
eV/Å over every force component, stress MAE in GPa over every stress component of the
structures that have a stress.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms

from alignn_nb.compute import StopFlag
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Dataset, Sample, Skipped
from alignn_nb.evaluation.run_folder import RunFolder

CHUNK = 8
"""Structures per forward pass (and per Dask task); progress is reported per chunk."""


@dataclass(frozen=True, eq=False)
class StructureErrors:
    """One structure's targets and predictions.

    Energies are in ``energy_unit`` ("eV/atom" or "eV" per cell); forces (N, 3) eV/Å;
    stresses (3, 3) GPa; ``features`` (hidden_features,) is the graph-level vector alignn's
    readout layer ``fc`` reads, or None where the model does not use ``fc``.
    """

    id: str
    atoms: Atoms
    energy_unit: str
    energy_pred: float
    energy_target: float | None = None
    forces_pred: np.ndarray | None = None
    forces_target: np.ndarray | None = None
    stress_pred: np.ndarray | None = None
    stress_target: np.ndarray | None = None
    features: np.ndarray | None = None

    @property
    def natoms(self) -> int:
        return len(self.atoms)

    @property
    def volume_per_atom(self) -> float:
        """Å³ per atom."""
        return float(self.atoms.get_volume()) / self.natoms

    def _per_atom(self, energy: float) -> float:
        return energy if self.energy_unit == "eV/atom" else energy / self.natoms

    @property
    def energy_pred_per_atom(self) -> float:
        """The predicted energy in eV/atom."""
        return self._per_atom(self.energy_pred)

    @property
    def energy_error(self) -> float | None:
        """|predicted − target| energy in eV/atom, None without a target."""
        if self.energy_target is None:
            return None
        return abs(self._per_atom(self.energy_pred) - self._per_atom(self.energy_target))

    @property
    def force_errors(self) -> np.ndarray | None:
        """(N,) length of each atom's force error |F_pred − F_target| in eV/Å."""
        if self.forces_pred is None or self.forces_target is None:
            return None
        return np.linalg.norm(self.forces_pred - self.forces_target, axis=1)

    @property
    def force_mae(self) -> float | None:
        """Mean absolute error over this structure's 3N force components, eV/Å."""
        if self.forces_pred is None or self.forces_target is None:
            return None
        return float(np.mean(np.abs(self.forces_pred - self.forces_target)))

    @property
    def stress_mae(self) -> float | None:
        """Mean absolute error over the 9 stress components, GPa."""
        if self.stress_pred is None or self.stress_target is None:
            return None
        return float(np.mean(np.abs(self.stress_pred - self.stress_target)))

    def as_dict(self) -> dict[str, Any]:
        """The row of ``alignn-nb evaluate --json``."""
        return {
            "id": self.id,
            "atoms": self.natoms,
            "energy_target": self.energy_target,
            "energy_pred": self.energy_pred,
            "force_mae": self.force_mae,
            "stress_mae": self.stress_mae,
        }


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A run's errors on a dataset; ``seconds`` is the wall time of the evaluation.

    ``skipped`` lists the entries of the split that the dataset could not read.
    """

    run: str
    split: str
    weights: str
    structures: tuple[StructureErrors, ...]
    energy_unit: str
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def __repr__(self) -> str:
        return f"Evaluation({self.run!r}, {self.split}, {len(self.structures)} structures)"

    @property
    def energy_mae(self) -> float | None:
        """Energy MAE in eV/atom over the structures with an energy target."""
        return _mean([s.energy_error for s in self.structures])

    @property
    def force_mae(self) -> float | None:
        """Force MAE in eV/Å over every force component of every structure with forces."""
        pairs = [
            (s.forces_pred, s.forces_target)
            for s in self.structures
            if s.forces_pred is not None and s.forces_target is not None
        ]
        if not pairs:
            return None
        return float(np.mean(np.abs(np.concatenate([p - t for p, t in pairs]))))

    @property
    def stress_mae(self) -> float | None:
        """Stress MAE in GPa over the components of the structures with a stress target."""
        return _mean([s.stress_mae for s in self.structures])

    def worst_first(self, key: str = "force_mae") -> list[StructureErrors]:
        """Structures sorted by ``key`` (force_mae, energy_error or stress_mae), worst first;
        those without a value last."""
        return sorted(self.structures, key=lambda s: -(getattr(s, key) or -1.0))

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``alignn-nb evaluate --json``."""
        return {
            "structures": len(self.structures),
            "energy_mae": self.energy_mae,
            "force_mae": self.force_mae,
            "stress_mae": self.stress_mae,
            "per_structure": [s.as_dict() for s in self.structures],
            "skipped": [s.as_dict() for s in self.skipped],
        }

    def text(self) -> str:
        """The MAEs and the worst structures, as lines."""
        rows = [
            f"{self.run} ({self.weights}) on {self.split}: {len(self.structures)} structures, "
            f"{self.seconds:.2f} s",
            f"energy MAE {_fmt(self.energy_mae)} eV/atom",
            f"force MAE  {_fmt(self.force_mae)} eV/Å",
            f"stress MAE {_fmt(self.stress_mae)} GPa",
        ]
        rows += [f"skipped: {s.id}: {s.reason}" for s in self.skipped]
        return "\n".join(rows + [f"note: {note}" for note in self.notes])


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def structure_errors(
    model: Any, samples: Sequence[Sample], cfg: ALIGNNAtomWiseConfig, graph: GraphConfig
) -> list[StructureErrors]:
    """Predictions for ``samples`` with ``model``, in batches as `evaluate` makes them."""
    from alignn_nb.loss import make_batches
    from alignn_nb.model import penalty_in_readout

    size = 1 if penalty_in_readout(cfg) else CHUNK
    batches = make_batches(Dataset("chunk", tuple(samples)), cfg, graph, size)
    return [row for batch in batches for row in _batch_errors(model, batch, cfg)]


def _switches(cfg: ALIGNNAtomWiseConfig) -> dict[str, Any]:
    """Stress on whenever forces are, so it is measured even with stresswise_weight 0."""
    if cfg.calculate_gradient and cfg.stresswise_weight == 0:
        return {"stresswise_weight": 1.0}
    return {}


def _batch_errors(model: Any, batch: Any, cfg: ALIGNNAtomWiseConfig) -> list[StructureErrors]:
    import torch

    from alignn_nb.loss import energy_unit, forward

    features: list[torch.Tensor] = []
    hook = model.fc.register_forward_pre_hook(lambda _, args: features.append(args[0].detach()))
    try:
        result = forward(model, batch, _switches(cfg))
    finally:
        hook.remove()
    count = len(batch.samples)
    out = result["out"].detach().reshape(count, -1)[:, 0].double().numpy()
    grad = result.get("grad")
    forces = (
        None
        if grad is None
        else np.split(
            grad.detach().double().numpy().reshape(-1, 3), np.cumsum(batch.natoms.numpy())[:-1]
        )
    )
    stresses = result.get("stresses")
    if stresses is not None:
        stresses = stresses.detach().double().reshape(-1, 3, 3).expand(count, 3, 3).numpy()
    vectors = features[0].double().reshape(count, -1).numpy() if features else None
    unit = energy_unit(cfg)
    return [
        _row(
            sample,
            unit,
            float(out[i]),
            None if forces is None else forces[i],
            None if stresses is None else stresses[i],
            None if vectors is None else vectors[i],
        )
        for i, sample in enumerate(batch.samples)
    ]


def _row(
    sample: Sample, unit: str, energy: float, forces: Any, stress: Any, features: Any
) -> StructureErrors:
    targets = sample.targets
    target = targets.energy
    if target is not None and unit == "eV/atom":
        target = target / sample.natoms
    return StructureErrors(
        id=sample.id,
        atoms=sample.atoms,
        energy_unit=unit,
        energy_pred=energy,
        energy_target=target,
        forces_pred=forces,
        forces_target=targets.forces,
        stress_pred=None if targets.stress is None and stress is None else stress,
        stress_target=targets.stress,
        features=features,
    )


def _chunk_task(item: tuple[dict, dict, dict, tuple[Sample, ...]]) -> list[StructureErrors]:
    """One Dask task: build the model from the config and weights, evaluate the samples."""
    from alignn_nb.model import build_model

    cfg_values, graph_values, state, samples = item
    cfg, graph = ALIGNNAtomWiseConfig(**cfg_values), GraphConfig(**graph_values)
    model = build_model(cfg, seed=0)
    model.load_state_dict(state)
    return structure_errors(model.eval(), samples, cfg, graph)


def _chunks(dataset: Dataset) -> list[tuple[Sample, ...]]:
    return [dataset.samples[i : i + CHUNK] for i in range(0, len(dataset), CHUNK)]


Progress = Callable[[int, int], None]


def _local(
    run: RunFolder, chunks: list, progress: Progress | None, stop: StopFlag | None
) -> list[StructureErrors]:
    model, rows = run.model(), []
    total = sum(len(c) for c in chunks)
    for chunk in chunks:
        if stop is not None and stop.is_set():
            raise InterruptedError("the evaluation was stopped")
        rows += structure_errors(model, chunk, run.cfg, run.graph)
        if progress is not None:
            progress(len(rows), total)
    return rows


def _on_cluster(
    run: RunFolder,
    chunks: list,
    cluster: Any,
    progress: Progress | None,
    stop: StopFlag | None,
    local_directory: str | None,
) -> list[StructureErrors]:
    from alignn_nb.compute import connect, run_all

    items = [(run.cfg.to_dict(), run.graph.to_dict(), dict(run.state), c) for c in chunks]
    sizes = [len(c) for c in chunks]

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(sum(sizes[:done]), sum(sizes))

    with connect(cluster, local_directory=local_directory) as client:
        outcomes = run_all(client, _chunk_task, items, on_progress=report, stop=stop)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise ValueError(f"{len(failed)} of {len(outcomes)} tasks failed: {failed[0].error}")
    return [row for outcome in outcomes for row in outcome.value]


def evaluate(
    run: RunFolder,
    dataset: Dataset,
    split: str = "all",
    *,
    on_progress: Progress | None = None,
    stop: StopFlag | None = None,
    cluster: Any = None,
    local_directory: str | None = None,
) -> Evaluation:
    """``run``'s errors on the structures of ``split`` in ``dataset`` (see the module).

    ``on_progress(done, total)`` is called after each chunk of structures; setting
    ``stop`` ends the evaluation with InterruptedError. With a `alignn_nb.compute.cluster.Cluster`
    the chunks run as Dask tasks there.

    Raises:
        ValueError: for a split the run or the dataset cannot give, an empty set, a config
            alignn's forward pass cannot run, or failed Dask tasks.
    """
    from alignn_nb.loss import check_inputs, energy_unit, file_energy_note

    chosen = run.split(dataset, split)
    if len(chosen) == 0:
        raise ValueError(f"the {split} split of {dataset.name} is empty")
    check_inputs(run.cfg, run.graph)
    start = time.perf_counter()
    chunks = _chunks(chosen)
    if cluster is None:
        rows = _local(run, chunks, on_progress, stop)
    else:
        rows = _on_cluster(run, chunks, cluster, on_progress, stop, local_directory)
    note = file_energy_note(dataset, run.cfg)
    return Evaluation(
        run=run.name,
        split=split,
        weights=run.weights.name if run.weights else "in memory",
        structures=tuple(rows),
        energy_unit=energy_unit(run.cfg),
        seconds=time.perf_counter() - start,
        notes=() if note is None else (note,),
        skipped=chosen.skipped,
    )
