"""The loss decomposition against the epoch losses alignn's own training loop logs.

alignn's ``train_for_folder`` trains one epoch at learning rate 0 on a small EMT force-field
folder written in ``tmp_path``, with a config written by `save_alignn_config`. Its
``train_dgl`` logs, per split, ``[total, graphwise, atomwise, gradwise, stresswise,
additional]`` in ``history_train.json`` and ``history_val.json``: each entry is
weight × L1 of one batch (0 for a term it does not add), summed over the split's batches and
divided by their number. batch_size equals the size of the train and validation splits, so
each split is one batch (alignn shuffles the train batch, which no L1 mean or penalty sum
sees). `loss_terms` then runs on the same structures, read back from the same file, with
alignn's saved weights: with learning rate 0 they are the weights the epoch ran with.

alignn feeds ``total_energy`` unchanged to its readout, so the file holds eV per atom when
energy_mult_natoms is on and eV per cell when it is off, the unit alignn-nb's graphwise
term assumes; stresses are written as 3×3 matrices in alignn's stress-head convention.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, to_alignn_config
from alignn_nb.datasets import Dataset, default_dataset, read_id_prop
from alignn_nb.loss import TERMS, LossBreakdown, forward, loss_terms, make_batches
from alignn_nb.model import build_model
from tests.support.alignn_training import train_alignn, write_id_prop

pytestmark = [
    pytest.mark.dgl,
    pytest.mark.slow,
    # alignn's own noise: pydantic's deprecated .dict(), and its test loop comparing a
    # squeezed scalar with a (1,) target.
    pytest.mark.filterwarnings("ignore:The `dict` method is deprecated"),
    pytest.mark.filterwarnings("ignore:Using a target size"),
]

#: Structures in the train and in the validation split: each split is one batch of them.
SPLIT = 2
TRAINING = {
    "epochs": 1,
    "learning_rate": 0.0,
    "batch_size": SPLIT,
    "n_train": SPLIT,
    "n_val": SPLIT,
    "n_test": 1,
    "keep_data_order": True,
    "num_workers": 0,
    "random_seed": 0,
    "write_predictions": False,
}
#: One layer of each kind keeps alignn's run short; lighten_edges off keeps every triplet,
#: as alignn's builders do.
SMALL = {"alignn_layers": 1, "gcn_layers": 1, "lighten_edges": False}
#: A threshold above Cu's nearest-neighbour distance (about 2.55 Å), so the penalty bites.
BITING = {"penalty_threshold": 2.6, "penalty_factor": 0.5}
PURE = {"name": "alignn_atomwise_pure"}
CASES = {
    "default weights, forces and stress": {"stresswise_weight": 0.1},
    "cell energies, penalty on": {
        "stresswise_weight": 0.1,
        "energy_mult_natoms": False,
        **BITING,
    },
    "cell energies, penalty off": {
        "stresswise_weight": 0.1,
        "energy_mult_natoms": False,
        "use_penalty": False,
        **BITING,
    },
    "pure model, cell energies, penalty on": {
        **PURE,
        "stresswise_weight": 0.1,
        "energy_mult_natoms": False,
        **BITING,
    },
}


@dataclass(frozen=True)
class AlignnRun:
    """What one epoch of alignn's loop left in its output folder, and the inputs it read."""

    cfg: ALIGNNAtomWiseConfig
    graph: GraphConfig
    output: Path
    dataset: Dataset

    def logged(self, split: str) -> list[float]:
        """alignn's epoch losses for ``split`` ("train" or "val")."""
        return json.loads((self.output / f"history_{split}.json").read_text())[-1]

    def split(self, split: str) -> Dataset:
        """The structures alignn put in ``split``, in its order."""
        ids = json.loads((self.output / "ids_train_val_test.json").read_text())[f"id_{split}"]
        by_id = {sample.id: sample for sample in self.dataset}
        return Dataset(split, tuple(by_id[i] for i in ids))

    def model(self, cfg: ALIGNNAtomWiseConfig | None = None) -> torch.nn.Module:
        """alignn-nb's model for ``cfg`` (default: the run's) with the weights alignn saved."""
        model = build_model(cfg or self.cfg)
        model.load_state_dict(torch.load(self.output / "current_model.pt"))
        return model


def run_alignn(root: Path, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> AlignnRun:
    """One epoch of alignn's train_for_folder at learning rate 0, all of it inside ``root``."""
    source = default_dataset(size=2 * SPLIT + 1, seed=1)
    id_prop = write_id_prop(root / "data", source, per_atom=cfg.energy_mult_natoms)
    config = to_alignn_config(cfg, graph, TRAINING)
    output = train_alignn(root, config, id_prop)
    energy = "per_atom" if cfg.energy_mult_natoms else "total"
    dataset = read_id_prop(id_prop, energy=energy, stress="alignn")
    return AlignnRun(cfg, graph, output, dataset)


def _settings(case: str) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    cfg = ALIGNNAtomWiseConfig(**SMALL, **CASES[case])
    strategy = "pure_torch" if cfg.name == PURE["name"] else "k-nearest"
    return cfg, GraphConfig(neighbor_strategy=strategy)


@pytest.fixture(scope="module")
def alignn_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], AlignnRun]:
    """alignn's run for a case of CASES, made once per module."""
    runs: dict[str, AlignnRun] = {}

    def run(case: str) -> AlignnRun:
        if case not in runs:
            runs[case] = run_alignn(tmp_path_factory.mktemp("alignn"), *_settings(case))
        return runs[case]

    return run


def as_logged(breakdown: LossBreakdown) -> list[float]:
    """The breakdown in alignn's history shape: the total, then each weighted term or 0."""
    assert all(term.ok for term in breakdown.terms.values()), breakdown.terms
    terms = [breakdown.terms[n].weighted if n in breakdown.terms else 0.0 for n in TERMS]
    return [breakdown.total, *terms]


@pytest.mark.parametrize("split", ["train", "val"])
@pytest.mark.parametrize("case", list(CASES))
def test_terms_equal_the_epoch_losses_alignn_logs(case, split, alignn_run):
    run = alignn_run(case)
    logged = run.logged(split)
    breakdown = loss_terms(run.model(), run.split(split), run.cfg, run.graph, batch_size=SPLIT)
    assert breakdown.samples == SPLIT
    assert as_logged(breakdown) == pytest.approx(logged, rel=1e-5, abs=1e-7)
    graphwise, atomwise, gradwise, stresswise, additional = logged[1:]
    assert min(graphwise, gradwise, stresswise) > 1e-3 and atomwise == additional == 0


def test_alignn_writes_only_into_its_folder(alignn_run):
    run = alignn_run("default weights, forces and stress")
    root = run.output.parent
    assert sorted(p.name for p in root.iterdir()) == [
        "config.json",
        "data",
        "output",
        "sampletest_data",
        "sampletrain_data",
        "sampleval_data",
    ]


def test_alignns_dgl_readout_holds_the_whole_batchs_penalty(alignn_run):
    """With energy_mult_natoms off alignn's DGL model adds the penalty in place to ``out``:
    each structure's logged prediction is its readout plus the penalty of its whole batch."""
    run = alignn_run("cell energies, penalty on")
    predicted = json.loads((run.output / "Val_results.json").read_text())[0]["pred_out"]
    val = run.split("val")
    without = run.cfg.copy()
    without.update(use_penalty=False)
    batch = make_batches(val, without, run.graph, batch_size=SPLIT)[0]
    readout = forward(run.model(without), batch)["out"].detach()
    breakdown = loss_terms(run.model(), val, run.cfg, run.graph)
    penalty = breakdown.penalty.energy
    assert penalty > 0.5
    assert predicted == pytest.approx((readout + penalty).tolist(), rel=1e-5)
    assert any("adds the short-bond penalty in place" in note for note in breakdown.notes)
