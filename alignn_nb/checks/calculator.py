"""The one boundary with alignn's ASE calculator (``alignn.ff.calculators``).

The run's weights (read with ``torch.load(weights_only=True)`` by
`alignn_nb.training.load_run`) go into alignn's own model, which is handed to alignn's own
``AlignnAtomwiseCalculator`` with ``model=``, so its predictions are exactly alignn's.
What alignn 2026.8.11's calculator does that a caller would not expect, and what is done
about it here:

- **Energy per atom or per cell.** It multiplies the readout by the atom count unless told
  ``intensive=False``. The readout is eV per atom only with energy_mult_natoms on; with it
  off the readout is already eV per cell, so the calculator is told ``intensive=False``.
  Either way ``get_potential_energy`` is eV per cell.
- **Its config is changed.** It writes ``stresswise_weight`` 0.1 over a 0 and
  ``batch_stress`` True into the dict it is given: it gets a fresh dict per calculator,
  never the run's. That edit does not reach a model handed in with ``model=`` (the model
  reads its own config), and alignn's model forms a stress only with stresswise_weight
  ≠ 0; without one the calculator's stress is a (3, 3) array of zeros. So the model here
  is built with stresswise_weight 0.1 when the run's is 0: its stress is then the virial
  of its forces, which changes neither energy nor forces. Stress is in eV/Å³ with ASE's
  sign (the head's GPa divided by 160.21766208).
- **Forces without a gradient.** With calculate_gradient off (alignn switches it off when
  gradwise_weight is 0) the calculator's forces are an uninitialised one-element tensor:
  the checks that need forces report such a model as an error (`no_forces_reason`).
- **Where the short-bond penalty goes.** alignn adds its penalty to the energy its forces
  are the gradient of; with energy_mult_natoms on, the readout it reports leaves it out
  (see `alignn_nb.model.physics.penalty_in_readout`), and with use_cutoff_function on the
  penalty reads the cutoff envelope of every bond (`envelope_penalty`). `notes` says so.
- **No cache.** It never records the atoms it computed, so ASE recomputes energy, forces
  and stress for each ``get_*`` call on unchanged atoms (three model calls per MD step
  instead of one). The calculator made here is alignn's class with only that added
  (`recording_class`): it records the atoms as ASE's base class does, nothing else.
- **Precision.** alignn runs in float32, whose rounding of a cell's energy is about 1e-7
  relative: a 64-atom cell of 300 eV rounds at 3e-5 eV, too coarse for the force check's
  central differences at 1e-3 Å. ``precision="float64"`` hands the calculator the same
  model in float64 behind a cast of alignn's graphs (`Float64Model`); the process's torch
  default dtype is never changed.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

    from alignn_nb.evaluation import RunFolder

STRESS_ON = 0.1
"""The stresswise_weight alignn's calculator writes over a 0; the model gets it too."""
PRECISIONS = ("float32", "float64")


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """What a worker needs to make the run's calculator (it pickles): the mirror's values,
    the graph options, the state dict and alignn's training config dict (None for a run
    that has no config.json)."""

    name: str
    cfg: Mapping[str, Any]
    graph: Mapping[str, Any]
    state: Mapping[str, torch.Tensor]
    alignn_config: Mapping[str, Any] | None = None

    @property
    def config(self) -> ALIGNNAtomWiseConfig:
        return ALIGNNAtomWiseConfig(**self.cfg)

    @property
    def has_forces(self) -> bool:
        """True when the model differentiates its energy (calculate_gradient on and
        gradwise_weight > 0, without which alignn switches calculate_gradient off)."""
        cfg = self.config
        return bool(cfg.calculate_gradient) and cfg.gradwise_weight > 0

    @property
    def trained_on_stress(self) -> bool:
        """True when the run's loss had a stress term (stresswise_weight > 0)."""
        return self.has_forces and self.config.stresswise_weight > 0


def model_spec(run: RunFolder) -> ModelSpec:
    """The `ModelSpec` of a loaded run; its config.json is read again when it has one."""
    alignn_config = None
    if run.folder is not None and (Path(run.folder) / "config.json").is_file():
        alignn_config = json.loads((Path(run.folder) / "config.json").read_text())
    return ModelSpec(run.name, run.cfg.to_dict(), run.graph.to_dict(), run.state, alignn_config)


def no_forces_reason(spec: ModelSpec) -> str:
    """Why ``spec``'s model gives no forces (call only when `ModelSpec.has_forces` is False)."""
    cfg = spec.config
    why = "calculate_gradient is off" if not cfg.calculate_gradient else "gradwise_weight is 0"
    return (
        f"the model computes no forces ({why}; alignn switches calculate_gradient off when "
        "gradwise_weight is 0): relaxation, MD and force consistency need forces"
    )


def _calculator_config(spec: ModelSpec, cfg: ALIGNNAtomWiseConfig) -> dict[str, Any]:
    """A fresh alignn config dict for the calculator: the run's own config.json (graph
    options exactly as alignn trained with them), its model block made from ``cfg``."""
    from alignn_nb.config import to_alignn_config, to_alignn_model_config

    if spec.alignn_config is None:
        return to_alignn_config(cfg, GraphConfig(**spec.graph))
    config = copy.deepcopy(dict(spec.alignn_config))
    config["model"] = to_alignn_model_config(cfg).model_dump()
    return config


def model_config(spec: ModelSpec) -> ALIGNNAtomWiseConfig:
    """The config the checks' model is built with: the run's, with stresswise_weight
    `STRESS_ON` where it is 0 and forces are on, so that the model forms a stress."""
    cfg = spec.config
    if spec.has_forces and cfg.stresswise_weight == 0:
        cfg.stresswise_weight = STRESS_ON
    return cfg


def make_calculator(spec: ModelSpec, precision: str = "float32") -> Calculator:
    """alignn's ``AlignnAtomwiseCalculator`` with the run's model, on the CPU.

    Raises:
        ValueError: where DGL is missing (alignn's calculator builds DGL graphs) or for an
            unknown precision.
    """
    from alignn_nb.config import dgl_installed

    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if not dgl_installed():
        raise ValueError("DGL is not installed: alignn's ASE calculator builds DGL graphs")
    from alignn_nb.model import build_model

    cfg = model_config(spec)
    model = build_model(cfg, seed=0)
    model.load_state_dict(dict(spec.state))
    model.eval()
    handed: Any = model if precision == "float32" else Float64Model(model)
    return recording_class()(
        model=handed,
        config=_calculator_config(spec, cfg),
        device="cpu",
        intensive=bool(cfg.energy_mult_natoms),
    )


@functools.cache
def recording_class() -> type[Calculator]:
    """alignn's ``AlignnAtomwiseCalculator`` that records the atoms it computed (ASE's
    ``Calculator.calculate``), so that ASE reuses its results while they do not change."""
    from alignn.ff.calculators import AlignnAtomwiseCalculator
    from ase.calculators.calculator import Calculator, all_changes

    class RecordingAlignnCalculator(AlignnAtomwiseCalculator):
        def calculate(
            self, atoms: Any = None, properties: Any = None, system_changes: Any = all_changes
        ) -> None:
            Calculator.calculate(self, atoms, properties, system_changes)
            super().calculate(self.atoms, properties, system_changes)

    return RecordingAlignnCalculator


class Float64Model(torch.nn.Module):
    """``model`` in float64, taking alignn's float32 graphs and lattice (cast on the way in)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model.double()

    def forward(self, inputs: tuple[Any, ...]) -> Any:
        return self.model(tuple(_to_float64(item) for item in inputs))


def _to_float64(item: Any) -> Any:
    """A float tensor, or every float feature of a DGL graph, cast to float64 in place."""
    if isinstance(item, torch.Tensor):
        return item.double() if item.is_floating_point() else item
    for frame in (item.ndata, item.edata):
        for key in list(frame.keys()):
            value = frame[key]
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                frame[key] = value.double()
    return item


def notes(spec: ModelSpec) -> list[str]:
    """What a reader of the checks should know about alignn's calculator for this run."""
    from alignn_nb.model import envelope_penalty, penalty_in_readout

    cfg = spec.config
    found = []
    if not cfg.energy_mult_natoms:
        found.append(
            "the readout is eV per cell (energy_mult_natoms off): alignn's calculator is "
            "told intensive=False, or it would multiply the energy by the atom count"
        )
    if spec.has_forces and cfg.use_penalty and not penalty_in_readout(cfg):
        acts = (
            "reads the smooth-cutoff envelope of every bond (use_cutoff_function on, "
            "multiply_cutoff off), so it acts on every bond"
            if envelope_penalty(cfg)
            else f"acts on bonds shorter than {cfg.penalty_threshold:g} Å"
        )
        found.append(
            f"alignn's short-bond penalty {acts}: its forces include it, the energy its "
            "calculator reports leaves it out; force consistency and the MD drift measure "
            "that difference"
        )
    if spec.has_forces and cfg.stresswise_weight == 0:
        found.append(
            f"the run was not trained on stress (stresswise_weight 0): the model is built "
            f"with stresswise_weight {STRESS_ON:g} (as alignn's calculator sets in its "
            "config) so that its stress, the virial of its forces, can be checked; the "
            "relaxation keeps the cell fixed"
        )
    return found
