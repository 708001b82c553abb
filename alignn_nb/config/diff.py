"""Which config fields differ from a reference: the defaults or a loaded file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from alignn_nb.config.alignn_io import LoadedConfig
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.config.training_settings import TrainingSettings


class DiffRow(NamedTuple):
    """One changed field: its section, name, the reference value and the current value."""

    section: str
    field: str
    reference: Any
    current: Any


def _rows(
    config: ALIGNNAtomWiseConfig | GraphConfig | TrainingSettings, reference: Mapping[str, Any]
) -> list[DiffRow]:
    unknown = [k for k in reference if k not in config.field_names()]
    if unknown:
        raise ValueError(
            f"the reference for {type(config).__name__} has unknown fields: "
            + ", ".join(map(repr, unknown))
        )
    changed = config.changed_fields(reference)
    return [
        DiffRow(config.field_trait(name).metadata["section"], name, reference[name], value)
        for name, value in changed.items()
    ]


def config_diff(
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    reference_cfg: Mapping[str, Any],
    reference_graph: Mapping[str, Any],
) -> list[DiffRow]:
    """The fields of ``cfg`` and ``graph`` whose value differs from the reference dicts.

    Rows follow declaration order: the model fields, then the graph options.
    Fields missing from a reference are not compared.

    Raises:
        ValueError: when a reference names a field the config does not have.
    """
    return _rows(cfg, reference_cfg) + _rows(graph, reference_graph)


def diff_from_defaults(
    cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, settings: TrainingSettings | None = None
) -> list[DiffRow]:
    """The fields that differ from alignn-nb's defaults (the design table; alignn's for the
    training ``settings``, whose rows come last when given)."""
    rows = config_diff(cfg, graph, cfg.defaults(), graph.defaults())
    return rows + ([] if settings is None else _rows(settings, settings.defaults()))


def diff_from_loaded(
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    loaded: LoadedConfig,
    settings: TrainingSettings | None = None,
) -> list[DiffRow]:
    """The fields that differ from the values a loaded config file gave (the training
    ``settings``' rows last, when given)."""
    rows = config_diff(cfg, graph, loaded.cfg.to_dict(), loaded.graph.to_dict())
    return rows + ([] if settings is None else _rows(settings, loaded.settings.to_dict()))
