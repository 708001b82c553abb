"""What a study tunes: ranges and choices of config fields, checked against the mirror's bounds.

A `Param` is one field to tune: an integer or float range (optionally log-spaced) or a
list of choices. Any field of `ALIGNNAtomWiseConfig` or `GraphConfig` can be tuned, and
so can the training options of `TrialOptions` (learning_rate, batch_size, steps). A
`SearchSpace` holds several, each field once.

Specs are written as on the command line: ``FIELD=LOW:HIGH``, ``FIELD=LOW:HIGH:log`` or
``FIELD=a,b,c``. Both ends of a range and every choice must be values the field itself
accepts, so a range the mirror would refuse is refused before anything runs, with the
field's own refusal message (`alignn_nb.config.traits.refusal`).

Importing this module loads neither torch nor Optuna; `Param.distribution` imports Optuna.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from traitlets import Bool, Enum, Float, Int, TraitError

from alignn_nb.config import (
    NOWHERE,
    ALIGNNAtomWiseConfig,
    GraphConfig,
    StrictFloat,
    StrictInt,
    StrictTraits,
)

TRAINING = "Training"
DEFAULT_STEPS = 20
"""Optimiser steps of one trial unless the study says otherwise: a short training."""


class TrialOptions(StrictTraits):
    """The training options of one trial: AdamW's learning rate, the batch size and the steps.

    The learning rate default is that of alignn's example force-field configs (as
    `alignn_nb.training.short_run.DEFAULT_LEARNING_RATE`).
    """

    SECTIONS = (TRAINING,)

    learning_rate = StrictFloat(1e-3, help="AdamW's learning rate of a trial.").tag(
        section=TRAINING, effect=(), unit="", exclusive_minimum=0.0
    )
    batch_size = StrictInt(
        None,
        allow_none=True,
        help="Structures per step; None trains on the whole training split every step.",
    ).tag(section=TRAINING, effect=(), unit="", minimum=1)
    steps = StrictInt(DEFAULT_STEPS, help="AdamW steps of a trial.").tag(
        section=TRAINING, effect=(), unit="", minimum=1
    )


OWNERS: tuple[type[StrictTraits], ...] = (ALIGNNAtomWiseConfig, GraphConfig, TrialOptions)
"""The classes whose fields a study can tune, in the order they are listed."""


def tunable_fields() -> list[str]:
    """Every field a `Param` may name: the model's, the graph's, then the training options."""
    return [name for owner in OWNERS for name in owner.field_names()]


FIRST_FIELD = "hidden_features"
"""The field the Sweep tab offers first: it changes both a trial's cost and its accuracy."""
NOT_OFFERED = ("name",)
"""Fields the Sweep tab does not offer: ``name`` picks the model, not a setting of it."""


def offered_fields() -> list[str]:
    """The fields the Sweep tab offers, in `tunable_fields` order: every integer, float and
    choice (True/False or enumerated) field alignn reads, but not those in `NOT_OFFERED`."""
    return [
        name
        for owner in OWNERS
        for name in owner.field_names()
        if name not in NOT_OFFERED
        and isinstance(owner.field_trait(name), Int | Float | Bool | Enum)
        and owner.field_trait(name).metadata.get("effect") != (NOWHERE,)
    ]


def owner_of(field: str) -> type[StrictTraits]:
    """The class that has ``field``.

    Raises:
        ValueError: naming the field and listing the known ones.
    """
    for owner in OWNERS:
        if field in owner.field_names():
            return owner
    raise ValueError(f"no field {field!r} to tune; known fields: {', '.join(tunable_fields())}")


Kind = Literal["int", "float", "choice"]


@dataclass(frozen=True)
class Param:
    """One field to tune: ``low``..``high`` (``log``-spaced or not) or one of ``choices``."""

    field: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        _check(self)

    def distribution(self) -> Any:
        """The Optuna distribution of this param."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "choice":
            return CategoricalDistribution(self.choices)
        low, high = self.bounds()
        if self.kind == "int":
            return IntDistribution(int(low), int(high), log=self.log)
        return FloatDistribution(float(low), float(high), log=self.log)

    def bounds(self) -> tuple[float, float]:
        """``(low, high)`` of a range.

        Raises:
            ValueError: for a param without both ends (a choice param).
        """
        if self.low is None or self.high is None:
            raise ValueError(f"{self.field}: a range needs two numbers, LOW:HIGH")
        return float(self.low), float(self.high)


def _kind_of(field: str) -> Kind:
    trait = owner_of(field).field_trait(field)
    if isinstance(trait, Bool | Enum):
        return "choice"
    if isinstance(trait, Int):
        return "int"
    if isinstance(trait, Float):
        return "float"
    return "choice"


def _accept(field: str, value: Any) -> Any:
    """``value`` as ``field`` holds it, or `ValueError` with the mirror's refusal."""
    scratch = owner_of(field)()
    try:
        setattr(scratch, field, value)
    except TraitError as refused:
        raise ValueError(str(refused)) from None
    return getattr(scratch, field)


def _check(param: Param) -> None:
    """Refuse a param whose kind, ends or choices the field does not accept."""
    kind = _kind_of(param.field)
    if param.kind == "choice":
        if not param.choices:
            raise ValueError(f"{param.field}: give at least one choice")
        for choice in param.choices:
            _accept(param.field, choice)
        if len(set(map(repr, param.choices))) != len(param.choices):
            raise ValueError(f"{param.field}: a choice is listed twice")
        return
    if kind == "choice":
        trait = owner_of(param.field).field_trait(param.field)
        raise ValueError(f"{param.field} takes choices, not a range: {_allowed(trait)}")
    if param.kind != kind:
        raise ValueError(f"{param.field} is {'an integer' if kind == 'int' else 'a float'} field")
    low, high = _accept(param.field, param.low), _accept(param.field, param.high)
    if low is None or high is None:
        raise ValueError(f"{param.field}: a range needs two numbers, LOW:HIGH")
    if low > high:
        raise ValueError(f"{param.field}: LOW {low:g} is above HIGH {high:g}")
    if param.log and not (low >= 1 if kind == "int" else low > 0):
        bound = ">= 1" if kind == "int" else "> 0"
        raise ValueError(f"{param.field}: a log range needs LOW {bound}, got {low:g}")


def _allowed(trait: Any) -> str:
    from alignn_nb.config import allowed_text

    return allowed_text(trait)


_WORDS = {"true": True, "false": False, "none": None, "null": None}


def parse_value(text: str) -> Any:
    """One value of a spec or a ``--set``: true/false, none/null, a JSON number or string,
    else the text. Words are case-insensitive; ``"6"`` in quotes stays the string ``"6"``."""
    stripped = text.strip()
    if stripped.lower() in _WORDS:
        return _WORDS[stripped.lower()]
    try:
        return json.loads(stripped)
    except ValueError:
        return stripped


def parse_param(text: str) -> Param:
    """A `Param` from ``FIELD=LOW:HIGH``, ``FIELD=LOW:HIGH:log`` or ``FIELD=a,b,c``.

    Raises:
        ValueError: one line starting with ``text``, for a spec that is not of these forms,
            an unknown field, or a range or choice the field refuses.
    """
    try:
        return _parse(text)
    except ValueError as problem:
        raise ValueError(f"{text}: {problem}") from None


def _parse(text: str) -> Param:
    field, sep, body = text.partition("=")
    field = field.strip()
    if not sep or not field or not body.strip():
        raise ValueError("a spec is FIELD=LOW:HIGH[:log] or FIELD=a,b,c")
    kind = _kind_of(field)
    if "," in body:
        return Param(field, "choice", choices=tuple(parse_value(p) for p in body.split(",")))
    parts = body.split(":")
    if len(parts) == 3 and parts[2].strip().lower() == "log":
        parts, log = parts[:2], True
    else:
        log = False
    if len(parts) != 2:
        if len(parts) == 1 and kind == "choice":
            raise ValueError(f"one value is no search: give {field}=a,b or use --set {body}")
        raise ValueError("a range is LOW:HIGH or LOW:HIGH:log, choices are a,b,c")
    if kind == "choice":
        trait = owner_of(field).field_trait(field)
        raise ValueError(f"{field} takes choices, not a range: {_allowed(trait)}")
    low, high = (parse_value(p) for p in parts)
    return Param(field, kind, low=low, high=high, log=log)


@dataclass(frozen=True)
class TrialSettings:
    """What one trial trains: the model config, the graph options and the training options."""

    cfg: ALIGNNAtomWiseConfig
    graph: GraphConfig
    options: TrialOptions

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Every field of the three, as plain values: ``{"model", "graph", "training"}``."""
        return {
            "model": self.cfg.to_dict(),
            "graph": self.graph.to_dict(),
            "training": self.options.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> TrialSettings:
        """The settings `as_dict` wrote (unknown or refused values raise `TraitError`)."""
        return cls(
            ALIGNNAtomWiseConfig(**data["model"]),
            GraphConfig(**data["graph"]),
            TrialOptions(**data["training"]),
        )


@dataclass(frozen=True)
class SearchSpace:
    """The params of a study, each field once, in the order given."""

    params: tuple[Param, ...]

    def __post_init__(self) -> None:
        if not self.params:
            raise ValueError("nothing to tune: give at least one --param FIELD=LOW:HIGH")
        fields = [p.field for p in self.params]
        twice = sorted({f for f in fields if fields.count(f) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} is given more than once")

    @classmethod
    def parse(cls, specs: Iterable[str]) -> SearchSpace:
        """A space from spec texts (see `parse_param`)."""
        return cls(tuple(parse_param(spec) for spec in specs))

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.params]

    def distributions(self) -> dict[str, Any]:
        """Each field's Optuna distribution, for ``study.ask``."""
        return {p.field: p.distribution() for p in self.params}

    def settings(
        self,
        values: Mapping[str, Any],
        cfg: ALIGNNAtomWiseConfig,
        graph: GraphConfig,
        options: TrialOptions,
    ) -> TrialSettings:
        """Copies of ``cfg``, ``graph`` and ``options`` with the trial's ``values`` in place.

        Raises:
            ValueError: when a value is refused (a field's own bounds are checked again).
        """
        parts: dict[type, dict[str, Any]] = {owner: {} for owner in OWNERS}
        for field, value in values.items():
            parts[owner_of(field)][field] = value
        settings = TrialSettings(cfg.copy(), graph.copy(), options.copy())
        copies: tuple[StrictTraits, ...] = (settings.cfg, settings.graph, settings.options)
        try:
            for copy, owner in zip(copies, OWNERS, strict=True):
                copy.update(**parts[owner])
        except TraitError as refused:
            raise ValueError(str(refused)) from None
        return settings


def params_of(distributions: Mapping[str, Any]) -> list[Param]:
    """The `Param` of each stored Optuna distribution (the inverse of `Param.distribution`)."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    params = []
    for field, dist in distributions.items():
        if isinstance(dist, CategoricalDistribution):
            params.append(Param(field, "choice", choices=tuple(dist.choices)))
        else:
            kind: Kind = "int" if isinstance(dist, IntDistribution) else "float"
            params.append(Param(field, kind, low=dist.low, high=dist.high, log=dist.log))
    return params


def spec_of(param: Param) -> str:
    """The spec text that `parse_param` reads back as ``param``."""
    if param.kind == "choice":
        return f"{param.field}={','.join(_spec_text(c) for c in param.choices)}"
    ends = f"{_spec_text(param.low)}:{_spec_text(param.high)}"
    return f"{param.field}={ends}" + (":log" if param.log else "")


def _spec_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
