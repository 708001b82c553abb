"""A trained model to explore: an alignn output folder, or a run of alignn-nb's own training.

alignn 2026.8.11's ``train_dgl`` writes into its ``output_dir``:

- ``config.json``: the whole training config (``TrainingConfig.dict()``), read here with
  `alignn_nb.config.alignn_io.load_alignn_config` (either model flavour);
- ``best_model.pt`` (the weights at the epoch of the lowest validation loss),
  ``current_model.pt`` (after each epoch) and ``last_model.pt`` (after the last epoch):
  state dicts of tensors, loaded here with ``torch.load(weights_only=True)`` only;
- ``history_train.json`` and ``history_val.json`` (`alignn_nb.training.history`);
- ``ids_train_val_test.json``: the ids of each split, ``{"id_train", "id_val", "id_test"}``;
- ``Train_results.json``, ``Val_results.json`` and ``Test_results.json``: per-batch
  targets and predictions (see `alignn_nb.training.evaluation`).

alignn records no data folder: ``train_for_folder``'s ``root_dir`` is only printed, and
the config's ``dataset`` and ``filename`` name no file. The structures are therefore given
separately (``--data``), and the run's split picks its ids out of them.

Refusals: a missing folder, config or weights file, a weights file that needs more than
tensors to unpickle (nothing in it is run), and weights that do not fit the config's model
each raise with a message naming what does not fit; nothing is built from them.
"""

from __future__ import annotations

import json
import os
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.training.datasets import Dataset
from alignn_nb.training.history import AlignnHistory, load_history

if TYPE_CHECKING:
    import torch

    from alignn_nb.training.runs import TrainingRun

WEIGHT_FILES = ("best_model.pt", "last_model.pt", "current_model.pt")
"""The state dicts alignn's train_dgl writes; the first is the default."""
IDS_FILE = "ids_train_val_test.json"
SPLITS = ("train", "val", "test", "all")
_SHOWN = 4
"""Mismatched parameters named in a refusal before "and N more"."""


@dataclass(frozen=True, eq=False)
class TrainedRun:
    """A model config with weights that fit it, and what else the run left.

    ``state`` maps parameter names to tensors (a state dict that fits ``cfg``); ``ids``
    holds the ids of each split ("train", "val", "test") when the run recorded them;
    ``folder`` and ``weights`` are None for an in-memory run of alignn-nb's training.
    """

    name: str
    cfg: ALIGNNAtomWiseConfig
    graph: GraphConfig
    state: Mapping[str, torch.Tensor]
    folder: Path | None = None
    weights: Path | None = None
    training: Mapping[str, Any] | None = None
    ids: Mapping[str, tuple[str, ...]] | None = None
    history: AlignnHistory | None = None
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        weights = self.weights.name if self.weights else "in memory"
        splits = ", ".join(f"{k} {len(v)}" for k, v in (self.ids or {}).items()) or "no split"
        return f"TrainedRun({self.name!r}, {self.cfg.name}, weights {weights}; {splits})"

    def model(self) -> torch.nn.Module:
        """alignn's model for ``cfg`` with these weights, in eval mode (a new one per call)."""
        from alignn_nb.model.build import build_model

        model = build_model(self.cfg, seed=0)
        model.load_state_dict(self.state)
        return model.eval()

    def split(self, dataset: Dataset, split: str) -> Dataset:
        """The structures of ``split`` ("train", "val", "test" or "all") in the run's order.

        An id of the split that ``dataset`` skipped (an entry it could not read) is left
        out, and its `Skipped` is kept in the split's ``skipped``.

        Raises:
            ValueError: for an unknown split, a split the run did not record, ids of the
                split that ``dataset`` does not hold (the first few are named), or a split
                whose every structure was skipped.
        """
        if split not in SPLITS:
            raise ValueError(f"split {split!r} is not one of {', '.join(SPLITS)}")
        if split == "all":
            return replace(dataset, name=f"{dataset.name} (all)", path=None)
        if self.ids is None:
            raise ValueError(
                f"{self.name} records no split ({IDS_FILE} is missing): use split 'all'"
            )
        by_id = {sample.id: sample for sample in dataset}
        ids = self.ids[split]
        skipped = tuple(s for s in dataset.skipped if s.id in set(ids))
        unread = {s.id for s in skipped}
        missing = [i for i in ids if i not in by_id and i not in unread]
        if missing:
            raise ValueError(
                f"{dataset.name} lacks {len(missing)} of the {len(ids)} {split} ids of "
                f"{self.name} ({_listed(missing)}): is it the data this run was trained on?"
            )
        _check_unique(dataset, set(ids), split)
        samples = tuple(by_id[i] for i in ids if i in by_id)
        if not samples:
            raise ValueError(
                f"every {split} structure of {self.name} was skipped in {dataset.name} "
                f"({skipped[0].id}: {skipped[0].reason})"
            )
        return Dataset(
            f"{dataset.name} ({split})",
            samples,
            dataset.conventions,
            dataset.file_energy,
            skipped=skipped,
        )


def _check_unique(dataset: Dataset, wanted: set[str], split: str) -> None:
    """Refuse a split whose ids name several structures of ``dataset``: alignn's
    ids_train_val_test.json then cannot say which of them the run used."""
    counts: dict[str, int] = {}
    for sample in dataset:
        if sample.id in wanted:
            counts[sample.id] = counts.get(sample.id, 0) + 1
    repeated = [f"{i} ×{n}" for i, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(
            f"{len(repeated)} of the {split} ids name several structures in {dataset.name} "
            f"({_listed(repeated)}): alignn's {IDS_FILE} cannot say which; use split 'all'"
        )


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _weights_path(folder: Path, weights: str | os.PathLike | None) -> Path:
    """The weights file: ``folder/best_model.pt`` by default; a bare name is looked up in
    ``folder`` when it is not a file where it is given."""
    if weights is None:
        path = folder / WEIGHT_FILES[0]
    else:
        path = Path(weights)
        if not path.is_file() and (folder / path).is_file():
            path = folder / path
    if not path.is_file():
        present = sorted(p.name for p in folder.glob("*.pt"))
        found = f"; {folder} holds {', '.join(present)}" if present else ""
        raise FileNotFoundError(f"no weights file {path}{found}")
    return path


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """The state dict in ``path``, unpickled with ``torch.load(weights_only=True)``.

    Raises:
        ValueError: when the file needs more than tensors to load (its code never runs), is
            not a torch file, or holds something other than a dict of tensors.
    """
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as refused:
        found = re.search(r"Unsupported (?:class|global: GLOBAL) ([\w.]+)", str(refused))
        if found is None:
            detail = str(refused).rsplit("error:", 1)[-1].strip().splitlines()[0]
            raise ValueError(f"{path.name} is not a torch weights file: {detail}") from None
        raise ValueError(
            f"{path.name} needs more than tensors to load (it asks for {found.group(1)}): "
            "refused, nothing in it was run; alignn's best_model.pt, last_model.pt and "
            "current_model.pt are plain state dicts"
        ) from None
    except (RuntimeError, OSError, EOFError) as failure:
        message = str(failure).strip().splitlines()[0] if str(failure).strip() else "empty"
        raise ValueError(f"{path.name} is not a torch weights file: {message}") from None
    if not isinstance(state, Mapping) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        keys = ", ".join(map(str, list(state)[:_SHOWN])) if isinstance(state, Mapping) else ""
        what = f"a dict of {keys}" if keys else type(state).__name__
        raise ValueError(f"{path.name} holds {what}, not a model's state dict of tensors")
    return dict(state)


def check_fit(state: Mapping[str, torch.Tensor], cfg: ALIGNNAtomWiseConfig, label: str) -> None:
    """Refuse a state dict whose parameter names or shapes differ from ``cfg``'s model.

    Raises:
        ValueError: naming the parameters that differ, with both shapes.
    """
    from alignn_nb.model.build import build_model

    expected = {k: tuple(v.shape) for k, v in build_model(cfg, seed=0).state_dict().items()}
    given = {k: tuple(v.shape) for k, v in state.items()}
    problems = [
        f"{k} is {list(given[k])} in the file but {list(expected[k])} for the config"
        for k in expected
        if k in given and given[k] != expected[k]
    ]
    missing = [k for k in expected if k not in given]
    extra = [k for k in given if k not in expected]
    if missing:
        problems.append(f"missing {_listed(missing)}")
    if extra:
        problems.append(f"not in the config's model: {_listed(extra)}")
    if problems:
        raise ValueError(f"{label} does not fit the config's model: {'; '.join(problems)}")


def _ids(folder: Path) -> dict[str, tuple[str, ...]] | None:
    path = folder / IDS_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return {split: tuple(map(str, data[f"id_{split}"])) for split in SPLITS[:3]}
    except (ValueError, KeyError, TypeError) as failure:
        raise ValueError(
            f"{IDS_FILE} is not alignn's id_train/id_val/id_test lists: {failure}"
        ) from None


def load_run(folder: str | os.PathLike, weights: str | os.PathLike | None = None) -> TrainedRun:
    """An alignn output folder with the weights in ``weights`` (default best_model.pt).

    Raises:
        FileNotFoundError: for a missing folder, config.json or weights file.
        ValueError: for a config alignn-nb cannot load, weights that need more than
            tensors to load or do not fit the config, or an unreadable split file.
    """
    from alignn_nb.config.alignn_io import load_alignn_config

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no alignn output folder at {folder}")
    config = folder / "config.json"
    if not config.is_file():
        raise FileNotFoundError(
            f"{folder} has no config.json; alignn's train_dgl writes it into its output_dir"
        )
    loaded = load_alignn_config(config)
    path = _weights_path(folder, weights)
    state = load_state(path)
    check_fit(state, loaded.cfg, path.name)
    history = load_history(folder) if (folder / "history_train.json").is_file() else None
    return TrainedRun(
        name=folder.name,
        cfg=loaded.cfg,
        graph=loaded.graph,
        state=state,
        folder=folder,
        weights=path,
        training=loaded.training,
        ids=_ids(folder),
        history=history,
        notes=tuple(loaded.notes),
    )


def run_dataset(
    run: TrainedRun,
    source: str | os.PathLike,
    energy: str | None = None,
    stress: str = "alignn",
) -> Dataset:
    """The structures ``run`` was trained on: alignn's ``id_prop.json``, the folder holding
    it (alignn's ``root_dir``), or an extxyz file.

    alignn feeds an id_prop file's total_energy and stresses to its loss unchanged, so by
    default the energy is read in the unit of the run's readout (eV per atom when
    energy_mult_natoms is on, else per cell) and stresses as GPa in alignn's sign. Entries
    that repeat an earlier one are kept, as alignn kept them (its split may name them).

    Raises:
        FileNotFoundError: when there is no such file (or no id_prop.json in the folder).
        ValueError: for a file that cannot be read as a dataset.
    """
    from alignn_nb.training.datasets import load_dataset

    path = Path(source)
    if path.is_dir():
        path = path / "id_prop.json"
    if path.suffix.lower() != ".json":
        return load_dataset(path)
    if energy is None:
        energy = "per_atom" if run.cfg.energy_mult_natoms else "total"
    return load_dataset(path, energy=energy, stress=stress, keep_duplicates=True)


def from_training(run: TrainingRun, graph: GraphConfig, name: str = "alignn-nb run") -> TrainedRun:
    """alignn-nb's own training run (`alignn_nb.training.train`) as a run to explore.

    It trained on a whole dataset, so it has no split: evaluate it on split "all".
    """
    if run.config is None:
        raise ValueError("the training run has no config")
    state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
    note = f"alignn-nb's training: {len(run.steps)} AdamW steps"
    return TrainedRun(name, run.config.copy(), graph.copy(), state, notes=(note,))
