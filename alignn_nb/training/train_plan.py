"""Everything ``alignn-nb train`` checks before it writes or trains anything.

`check_training` turns a `TrainRequest` into a `TrainPlan` or refuses it with one line
(`Refused`): the output folder (new or empty; with ``resume``, a run of alignn-nb that is
not going), the config through the mirror (`alignn_nb.config.load_alignn_config`, then the
settings: model and graph fields and the training settings on the mirror's traits, other
training keys through alignn's own ``TrainingConfig``), the data
(`alignn_nb.training.train_data.inspect_data`) and the split alignn will cut from it
(alignn's ``get_id_train_val_test``).

The config handed to alignn is the mirror's export (`alignn_nb.config.to_alignn_config`)
with ``output_dir`` set to the output folder and, on a resume, ``resume_checkpoint``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traitlets import TraitError

from alignn_nb.config import (
    ALIGNNAtomWiseConfig,
    AlignnConfigError,
    GraphConfig,
    LoadedConfig,
    TrainingSettings,
    load_alignn_config,
    training_defaults,
)
from alignn_nb.training.train_data import DataPlan, inspect_data
from alignn_nb.training.train_folder import (
    FINAL,
    Checkpoint,
    RunFolder,
    alive,
    describe,
    latest_checkpoint,
)
from alignn_nb.training.train_request import Refused, TrainRequest


@dataclass(frozen=True, eq=False)
class TrainPlan:
    """A checked request: alignn's whole training ``config`` (a dict), the mirror's
    ``cfg`` and ``graph``, the checked ``data`` (None on a resume: the run's own is used),
    and on a resume the run's state and its last whole epoch."""

    request: TrainRequest
    folder: RunFolder
    config: dict[str, Any]
    cfg: ALIGNNAtomWiseConfig
    graph: GraphConfig
    data: DataPlan | None = None
    state: dict[str, Any] | None = None
    checkpoint: Checkpoint | None = None

    @property
    def epochs(self) -> int:
        return int(self.config["epochs"])

    @property
    def resumed(self) -> int:
        """Whole epochs before this start (0 for a new run)."""
        return 0 if self.checkpoint is None else self.checkpoint.epoch


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def split_settings(
    settings: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``settings`` as (model fields, graph options, training keys).

    Raises:
        Refused: naming a field that is none of them.
    """
    model, graph, training = {}, {}, {}
    for name, value in settings.items():
        if name in GraphConfig.field_names():
            graph[name] = value
        elif name in ALIGNNAtomWiseConfig.field_names():
            model[name] = value
        elif name in training_defaults() and name != "model":
            training[name] = value
        else:
            raise Refused(
                f"--set {name}: no model, graph or training field {name!r} (alignn's "
                "TrainingConfig has no such key either)"
            )
    return model, graph, training


def _export(
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    loaded: LoadedConfig,
    training: Mapping[str, Any],
    output: str,
) -> dict[str, Any]:
    """alignn's config: the loaded one with the ``--set`` training keys ``training`` put in
    (the training settings among them on the loaded settings' mirror)."""
    from alignn_nb.config import SETTINGS_KEYS, to_alignn_config

    settings: TrainingSettings = loaded.settings.copy()
    try:
        settings.update(**{k: v for k, v in training.items() if k in SETTINGS_KEYS})
    except TraitError as refused:
        raise Refused(f"--set: {_one_line(refused)}") from None
    try:
        config = to_alignn_config(cfg, graph, {**loaded.training, **training}, settings)
    except AlignnConfigError as refused:
        raise Refused(_one_line("; ".join(refused.problems))) from None
    config["output_dir"] = output
    return config


def _loaded(source: str | Mapping[str, Any], flag: str) -> Any:
    try:
        return load_alignn_config(source)
    except AlignnConfigError as refused:
        raise Refused(f"{flag}: {_one_line(refused)}") from None


def _new_run(request: TrainRequest, folder: RunFolder) -> TrainPlan:
    if folder.output.exists() and (not folder.output.is_dir() or any(folder.output.iterdir())):
        raise Refused(
            f"--output {folder.output}: not an empty folder; give a new or empty one, or "
            "--resume to continue the run in it"
        )
    if request.config is None:
        raise Refused("--config: give alignn's training config.json")
    if request.data is None:
        raise Refused("--data: give the structures to train on")
    loaded = _loaded(request.config, "--config")
    model, graph_values, training = split_settings(request.settings)
    cfg, graph = loaded.cfg.copy(), loaded.graph.copy()
    try:
        cfg.update(**model)
        graph.update(**graph_values)
    except TraitError as refused:
        raise Refused(f"--set: {_one_line(refused)}") from None
    config = _export(cfg, graph, loaded, training, str(folder.output))
    config["resume_checkpoint"] = False
    data = inspect_data(request.data, config)
    check_split(config, data.structures, data.name)
    return TrainPlan(request, folder, config, cfg, graph, data)


def check_split(config: Mapping[str, Any], structures: int, name: str) -> None:
    """Refuse a split that alignn cannot cut from ``structures`` entries.

    Raises:
        Refused: naming the split's sizes and the structures there are.
    """
    try:
        split_indices(config, structures)
    except (ValueError, AssertionError):
        sizes = {k: config.get(k) for k in ("n_train", "n_val", "n_test")}
        ratios = {k: config.get(k) for k in ("train_ratio", "val_ratio", "test_ratio")}
        given = sizes if any(v is not None for v in sizes.values()) else ratios
        listed = ", ".join(f"{k} {v}" for k, v in given.items())
        raise Refused(
            f"{name} has {structures} structures: alignn cannot split {listed} from them"
        ) from None


def split_indices(config: Mapping[str, Any], structures: int) -> tuple[list[int], ...]:
    """alignn's own (train, val, test) indices of ``structures`` entries for ``config``,
    as ``train_for_folder`` asks for them (split seed 123, its default)."""
    from alignn.data import get_id_train_val_test

    found = get_id_train_val_test(
        total_size=structures,
        train_ratio=config.get("train_ratio"),
        val_ratio=config.get("val_ratio"),
        test_ratio=config.get("test_ratio"),
        n_train=config.get("n_train"),
        n_test=config.get("n_test"),
        n_val=config.get("n_val"),
        keep_data_order=config.get("keep_data_order", False),
    )
    return tuple([int(i) for i in part] for part in found)


def _same(given: str | Mapping[str, Any] | None, recorded: str | None, flag: str) -> None:
    if given is not None and given != recorded:
        shown = given if isinstance(given, str) else "(a config dict)"
        raise Refused(
            f"{flag} {shown}: --resume continues the run with its own ({recorded}); "
            f"leave {flag} out"
        )


def _resumed_run(request: TrainRequest, folder: RunFolder) -> TrainPlan:
    state = folder.read_state()
    if state is None or not folder.config.is_file():
        raise Refused(f"--resume: {folder.output} holds no run of alignn-nb train")
    if alive(state):
        raise Refused(f"--resume: a run is going in {folder.output} ({describe(state)})")
    _same(request.config, state.get("config_source"), "--config")
    _same(request.data, state.get("data_source"), "--data")
    model, graph_values, training = split_settings(request.settings)
    if model or graph_values:
        names = ", ".join([*model, *graph_values])
        raise Refused(f"--set {names}: only training keys can change on a resume")
    loaded = _loaded(json.loads(folder.config.read_text()), "the run's config")
    config = _export(loaded.cfg, loaded.graph, loaded, training, str(folder.output))
    checkpoint = latest_checkpoint(folder)
    done = 0 if checkpoint is None else checkpoint.epoch
    if state.get("status") in FINAL and state.get("finished") and done >= int(config["epochs"]):
        raise Refused(
            f"--resume: the run in {folder.output} finished its {done} epochs; "
            "raise them with --set epochs=N to train on"
        )
    config["resume_checkpoint"] = done > 0
    return TrainPlan(
        request, folder, config, loaded.cfg, loaded.graph, state=state, checkpoint=checkpoint
    )


def check_training(request: TrainRequest) -> TrainPlan:
    """Check ``request`` without writing anything.

    Raises:
        Refused: one line naming what is refused (the folder, a config field, a --set
            value, the data, the split).
    """
    folder = RunFolder.of(request.output)
    if request.resume:
        return _resumed_run(request, folder)
    return _new_run(request, folder)
