"""One input control per configuration field, generated from the field's trait metadata.

A control never writes a refused value into the config: it shows what the user typed,
and `FieldControl.error` says why it was refused. Fields that allow ``None`` get a text
box where an empty entry or ``None`` means None.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from traitlets import Bool, Enum, Float, Int, TraitType, Unicode

from alignn_nb.config import allowed_text

#: Short labels for the places alignn reads a field, shown beside each control.
EFFECT_LABELS = {
    "model shape": "shape",
    "forward pass": "forward",
    "graph construction": "graph",
    "loss": "loss",
    "training loop": "training",
    "nowhere": "unused",
    "pure only": "pure only",
}
#: What the dropdown of an optional True/False field shows for each value.
OPTIONAL_BOOL_LABELS = {None: "auto (None)", True: "True", False: "False"}


def tooltip(trait: TraitType) -> str:
    """The hover text of a field: description, unit, allowed values and where alignn reads it."""
    meta = trait.metadata
    unit = f" [{meta['unit']}]" if meta.get("unit") else ""
    effect = ", ".join(meta.get("effect", ()))
    return f"{trait.help}{unit}\nAllowed: {allowed_text(trait)}.\nTakes effect in: {effect}."


def _none_text(value: Any) -> str:
    return "None" if value is None else str(value)


def _optional_bool(trait: TraitType) -> bool:
    return isinstance(trait, Bool) and trait.allow_none


def _parse_optional(trait: TraitType, text: str) -> Any:
    """The value typed into an optional field's text box (None, int, float or text)."""
    stripped = text.strip()
    if stripped in ("", "None", "none", "null"):
        return None
    if isinstance(trait, Unicode):
        return stripped
    try:
        return int(stripped) if isinstance(trait, Int) else float(stripped)
    except ValueError:
        return stripped


def make_input(trait: TraitType, value: Any) -> widgets.ValueWidget:
    """The input widget for one field, by trait type."""
    common = {
        "description": trait.name,
        "tooltip": tooltip(trait),
        "style": _STYLE,
        "layout": widgets.Layout(width="300px"),
    }
    if _optional_bool(trait):
        options = list(OPTIONAL_BOOL_LABELS.values())
        return widgets.Dropdown(options=options, value=OPTIONAL_BOOL_LABELS[value], **common)
    if trait.allow_none:
        return widgets.Text(value=_none_text(value), continuous_update=False, **common)
    if isinstance(trait, Enum):
        return widgets.Dropdown(options=list(trait.values or ()), value=value, **common)
    if isinstance(trait, Bool):
        return widgets.Checkbox(value=value, indent=True, **common)
    if isinstance(trait, Int):
        return widgets.IntText(value=value, continuous_update=False, **common)
    if isinstance(trait, Float):
        return widgets.FloatText(value=value, continuous_update=False, **common)
    return widgets.Text(value=str(value), continuous_update=False, **common)


_STYLE = {"description_width": "170px"}


def to_field_value(trait: TraitType, widget_value: Any) -> Any:
    """Convert what the input widget holds into the value offered to the config."""
    if _optional_bool(trait):
        by_label = {label: value for value, label in OPTIONAL_BOOL_LABELS.items()}
        return by_label.get(widget_value, widget_value)
    if trait.allow_none and isinstance(widget_value, str):
        return _parse_optional(trait, widget_value)
    return widget_value


def to_widget_value(trait: TraitType, field_value: Any) -> Any:
    """Convert a config value into what the input widget shows."""
    if _optional_bool(trait):
        return OPTIONAL_BOOL_LABELS[field_value]
    return _none_text(field_value) if trait.allow_none else field_value


def effect_badge(trait: TraitType) -> widgets.HTML:
    """A small label naming where alignn reads the field."""
    labels = [EFFECT_LABELS[e] for e in trait.metadata.get("effect", ())]
    text = html.escape(" · ".join(labels))
    return widgets.HTML(
        value=f"<span class='alignn-nb-effect' style='color:#666;font-size:11px'>{text}</span>",
        layout=widgets.Layout(width="110px"),
    )
