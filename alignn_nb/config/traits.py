"""Strict trait types and the `HasTraits` base shared by the configuration mirrors.

Each field trait carries its metadata as tags:

- ``section``: the heading it is grouped under;
- ``effect``: a tuple of the places that read it, each one of `EFFECTS`; ``"pure only"``
  marks fields only alignn's pure-torch model ``alignn_atomwise_pure`` has;
- ``unit``: a short unit string, or ``""``;
- ``minimum`` / ``maximum``: inclusive bounds; ``exclusive_minimum``: a strict lower bound.

A refused value raises `TraitError` naming the field, the value and what is allowed, and
the previous value stays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn, Self, TypeVar, overload

from traitlets import Bool, Enum, Float, HasTraits, Int, TraitError, TraitType, Unicode

if TYPE_CHECKING:
    from traitlets.utils.sentinel import Sentinel

EFFECTS = (
    "model shape",
    "forward pass",
    "graph construction",
    "loss",
    "training loop",
    "nowhere",
    "pure only",
)


def _bounds_text(meta: Mapping[str, Any]) -> str:
    parts = []
    if "exclusive_minimum" in meta:
        parts.append(f"> {meta['exclusive_minimum']}")
    if "minimum" in meta:
        parts.append(f">= {meta['minimum']}")
    if "maximum" in meta:
        parts.append(f"<= {meta['maximum']}")
    return (" " + " and ".join(parts)) if parts else ""


def allowed_text(trait: TraitType) -> str:
    """Say in words which values ``trait`` accepts."""
    if isinstance(trait, Enum):
        text = "one of " + ", ".join(repr(v) for v in trait.values or ())
    elif isinstance(trait, Bool):
        text = "True or False"
    elif isinstance(trait, Int):
        text = "an integer" + _bounds_text(trait.metadata)
    elif isinstance(trait, Float):
        text = "a finite number" + _bounds_text(trait.metadata)
    elif isinstance(trait, Unicode):
        text = "a string"
    else:
        text = trait.info()
    return text + (" or None" if trait.allow_none else "")


def _out_of_bounds(value: float, meta: Mapping[str, Any]) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return True
    if "exclusive_minimum" in meta and not value > meta["exclusive_minimum"]:
        return True
    if "minimum" in meta and value < meta["minimum"]:
        return True
    return "maximum" in meta and value > meta["maximum"]


def refusal(trait: TraitType, value: Any) -> str:
    """The message for a refused ``value`` of ``trait``."""
    unit = trait.metadata.get("unit", "")
    unit_text = f" ({unit})" if unit else ""
    allowed = allowed_text(trait)
    return f"{trait.name} = {value!r} refused: {trait.name}{unit_text} must be {allowed}"


#: What reading a field gives (G) and what assigning it takes (S); ``allow_none=True`` adds None.
G = TypeVar("G")
S = TypeVar("S")


class _StrictMixin(TraitType[G, S]):
    """Shared strict validation for the field trait types."""

    def error(
        self, obj: Any, value: Any, error: Exception | None = None, info: str | None = None
    ) -> NoReturn:
        raise TraitError(refusal(self, value))

    def _check_bounds(self, obj: Any, value: Any, given: Any) -> Any:
        """Return ``value``, or refuse ``given`` (what the user passed) when out of bounds."""
        if value is not None and _out_of_bounds(value, self.metadata):
            self.error(obj, given)
        return value


class StrictInt(_StrictMixin[G, S], Int[G, S]):
    """An `Int` that refuses bools and checks the ``minimum``/``maximum`` tags.

    A checker reads a field as ``int``, or as ``int | None`` when ``allow_none=True``.
    """

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: StrictInt[int, int],
            default_value: int | Sentinel = ...,
            allow_none: Literal[False] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        @overload
        def __init__(
            self: StrictInt[int | None, int | None],
            default_value: int | Sentinel | None = ...,
            allow_none: Literal[True] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def validate(self, obj: Any, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(obj, value)
        return self._check_bounds(obj, value, value)


class StrictFloat(_StrictMixin[G, S], Float[G, S]):
    """A `Float` that accepts ints, refuses bools, NaN and inf, and checks bound tags.

    A checker reads a field as ``float``, or as ``float | None`` when ``allow_none=True``.
    """

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: StrictFloat[float, float],
            default_value: float | Sentinel = ...,
            allow_none: Literal[False] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        @overload
        def __init__(
            self: StrictFloat[float | None, float | None],
            default_value: float | Sentinel | None = ...,
            allow_none: Literal[True] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def validate(self, obj: Any, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(obj, value)
        return self._check_bounds(obj, float(value), value)


class StrictBool(_StrictMixin[G, S], Bool[G, S]):
    """A `Bool` that refuses 0, 1 and strings.

    A checker reads a field as ``bool``, or as ``bool | None`` when ``allow_none=True``.
    """

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: StrictBool[bool, bool],
            default_value: bool | Sentinel = ...,
            allow_none: Literal[False] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        @overload
        def __init__(
            self: StrictBool[bool | None, bool | None],
            default_value: bool | Sentinel | None = ...,
            allow_none: Literal[True] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def validate(self, obj: Any, value: Any) -> Any:
        if not isinstance(value, bool):
            self.error(obj, value)
        return value


class StrictUnicode(_StrictMixin[G, S], Unicode[G, S]):
    """A `Unicode` that refuses bytes and every other non-string.

    A checker reads a field as ``str``, or as ``str | None`` when ``allow_none=True``.
    """

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: StrictUnicode[str, str],
            default_value: str | Sentinel = ...,
            allow_none: Literal[False] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        @overload
        def __init__(
            self: StrictUnicode[str | None, str | None],
            default_value: str | Sentinel | None = ...,
            allow_none: Literal[True] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def validate(self, obj: Any, value: Any) -> Any:
        if not isinstance(value, str):
            self.error(obj, value)
        return value


class StrictEnum(_StrictMixin[G, G], Enum[G]):
    """An `Enum` whose refusal lists the allowed values.

    A checker reads a field as the type of its values, with None when ``allow_none=True``.
    """

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: StrictEnum[G],
            values: Sequence[G],
            default_value: G | Sentinel = ...,
            allow_none: Literal[False] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        @overload
        def __init__(
            self: StrictEnum[G | None],
            values: Sequence[G],
            default_value: G | Sentinel | None = ...,
            allow_none: Literal[True] = ...,
            read_only: bool | None = ...,
            help: str | None = ...,
            config: Any = ...,
            **kwargs: Any,
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...


class StrictTraits(HasTraits):
    """`HasTraits` whose fields are declared in order and which refuses unknown names."""

    #: Section headings in display order; subclasses set it.
    SECTIONS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **values: Any) -> None:
        super().__init__()
        self.update(**values)

    def __setattr__(self, name: str, value: Any) -> None:
        if not (name.startswith("_") or self.has_trait(name) or hasattr(type(self), name)):
            raise TraitError(self.unknown_field(name, value))
        super().__setattr__(name, value)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.changed_fields().items())
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    # mutable, so unhashable; HasTraits (object) declares __hash__ as a method
    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def unknown_field(cls, name: str, value: Any) -> str:
        """The message for a field name this class does not have."""
        return (
            f"{cls.__name__} has no field {name!r} (value {value!r} refused); "
            f"known fields: {', '.join(cls.field_names())}"
        )

    @classmethod
    def field_names(cls) -> list[str]:
        """Field names in declaration order."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, TraitType) and name not in names:
                    names.append(name)
        return names

    @classmethod
    def field_trait(cls, name: str) -> TraitType:
        """The trait object of field ``name``."""
        return cls.class_traits()[name]

    @classmethod
    def fields_in(cls, section: str) -> list[str]:
        """Field names of one section, in declaration order."""
        return [n for n in cls.field_names() if cls.field_trait(n).metadata["section"] == section]

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The default value of every field."""
        return {n: cls.field_trait(n).default() for n in cls.field_names()}

    def to_dict(self) -> dict[str, Any]:
        """Every field's current value, in declaration order."""
        return {name: getattr(self, name) for name in self.field_names()}

    def changed_fields(self, reference: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Fields whose value differs from ``reference`` (the defaults if None)."""
        ref = self.defaults() if reference is None else reference
        return {k: v for k, v in self.to_dict().items() if k in ref and ref[k] != v}

    def update(self, **values: Any) -> None:
        """Set several fields at once; if any value is refused, none changes.

        Raises:
            TraitError: naming every unknown field, or the first refused value.
        """
        unknown = [self.unknown_field(k, v) for k, v in values.items() if not self.has_trait(k)]
        if unknown:
            raise TraitError("; ".join(unknown))
        with self.hold_trait_notifications():
            for name, value in values.items():
                setattr(self, name, value)

    def reset(self, section: str | None = None) -> None:
        """Restore the defaults of one section, or of every field."""
        names = self.field_names() if section is None else self.fields_in(section)
        defaults = self.defaults()
        self.update(**{n: defaults[n] for n in names})

    def copy(self) -> Self:
        """An independent copy with the same values."""
        return type(self)(**self.to_dict())
