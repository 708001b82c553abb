"""Run alignn's own model on one structure: energy, forces and stress with units and notes.

`predict` is where alignn's forward-pass quirks are reported; the forward pass itself is
`alignn_nb.model.forward.run`, the same one the loss terms use.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from alignn_nb.model.forward import Forward, GraphsLike, model_graphs, run
from alignn_nb.model.physics import (
    bond_penalty,
    num_atoms,
    penalty_in_readout,
    readout_energy,
    zbl_energy,
    zbl_switched_on,
)


@dataclass(frozen=True)
class Quantity:
    """A predicted value with its unit; ``value`` is a float or a nested list."""

    value: Any
    unit: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Prediction:
    """The outputs of one forward pass, with units and wall time in seconds."""

    energy: Quantity
    forces: Quantity | None
    stress: Quantity | None
    atomwise: Quantity | None
    additional: Quantity | None
    seconds: float
    penalty: float = 0.0
    notes: tuple[str, ...] = ()


def _quantity(tensor: torch.Tensor, unit: str) -> Quantity:
    detached = tensor.detach().cpu()
    value = detached.item() if detached.numel() == 1 else detached.tolist()
    return Quantity(value=value, unit=unit, shape=tuple(detached.shape))


def _optional(result: dict, key: str, active: bool, unit: str) -> Quantity | None:
    return _quantity(result[key], unit) if active else None


def _zbl_notes(model: torch.nn.Module, g: Any, zbl: float) -> list[str]:
    """What the pure model's ZBL term did here, in words."""
    if not zbl_switched_on(model):
        return []
    if "Z" not in g.ndata:
        return [
            "ZBL repulsion is on but not applied: these graphs carry no atomic numbers, which "
            "alignn stores only with its pure_torch builder"
        ]
    return [f"includes alignn's ZBL repulsion of {zbl:.6g} eV"] if zbl else []


def _energy(result: dict, conf: Any, natoms: int, penalty: float) -> tuple[Quantity, list[str]]:
    """The energy alignn differentiates for forces (eV), from its readout ``out``.

    That is the readout (× atoms with energy_mult_natoms) plus the short-bond penalty,
    which alignn's DGL model has already put into ``out`` when energy_mult_natoms is off
    (`penalty_in_readout`). The pure model has already folded its ZBL energy into ``out``
    (per atom).
    """
    out = result["out"]
    if conf.classification:
        return _quantity(out, "log-probability"), ["classification: out holds 2 log-probabilities"]
    energy = readout_energy(out, natoms, conf, penalty) + penalty
    return _quantity(energy, "eV"), _energy_notes(conf, natoms, penalty)


def _energy_notes(conf: Any, natoms: int, penalty: float) -> list[str]:
    if conf.energy_mult_natoms:
        notes = [f"energy is the per-atom readout times {natoms} atoms (energy_mult_natoms)"]
    else:
        notes = ["energy is the per-cell readout (energy_mult_natoms off)"]
    if not penalty:
        return notes
    notes.append(f"includes alignn's short-bond penalty of {penalty:.6g} eV")
    if penalty_in_readout(conf):
        notes.append(
            "alignn's DGL model adds that penalty in place to its readout out, so its graphwise "
            "loss fits readout + penalty to the energy target"
        )
    return notes


def predict(model: torch.nn.Module, graphs: GraphsLike) -> Prediction:
    """Run ``model`` on one structure's graphs.

    Returns the energy alignn differentiates (eV: the readout, × atoms when
    energy_mult_natoms is on, plus the short-bond penalty and the pure model's ZBL
    repulsion), forces (eV/Å, shape (N, 3)) when gradients are on, stress (GPa, shape
    (1, 3, 3)) when stresswise_weight > 0, and the atomwise and additional heads when active.
    """
    conf = model.config
    start = time.perf_counter()
    with torch.no_grad():
        forward = run(model, graphs)
    seconds = time.perf_counter() - start
    result = forward.result
    g = model_graphs(model, graphs)[0]
    natoms = num_atoms(g)
    penalty = bond_penalty(conf, g)
    energy, notes = _energy(result, conf, natoms, penalty)
    notes += _zbl_notes(model, g, zbl_energy(model, g))
    forces, stress = _forces_and_stress(forward, conf, natoms)
    if forward.zeroed:
        notes.append(
            "no ALIGNN or GCN layer and no penalty reads the bonds, so the energy ignores "
            "positions: forces are exactly zero (alignn's own autograd call fails here)"
        )
    return Prediction(
        energy=energy,
        forces=forces,
        stress=stress,
        atomwise=_optional(
            result,
            "atomwise_pred",
            conf.atomwise_output_features > 0 and conf.atomwise_weight != 0,
            "model units",
        ),
        additional=_optional(
            result, "additional", conf.additional_output_features > 0, "model units"
        ),
        seconds=seconds,
        penalty=penalty,
        notes=tuple(notes),
    )


def _forces_and_stress(
    forward: Forward, conf: Any, natoms: int
) -> tuple[Quantity | None, Quantity | None]:
    """Forces (eV/Å, (N, 3)) and stress (GPa, (1, 3, 3)) when alignn computed them, or zeros."""
    computed = forward.gradients or forward.zeroed
    forces = _optional(forward.result, "grad", computed, "eV/Å")
    if forces is not None and forward.gradients and natoms == 1:
        forces = Quantity([forces.value], "eV/Å", (1, 3))
    stress = _optional(forward.result, "stresses", computed and conf.stresswise_weight != 0, "GPa")
    return forces, stress
