"""What a loaded or saved alignn ``config.json`` means, in words: the notes that relate
alignn-nb's line-graph options (lighten_edges, backtracking) and the flavours' defaults to
what alignn's builders and models do with the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alignn_nb.config.mirror import (
    ALIGNNAtomWiseConfig,
    GraphConfig,
)
from alignn_nb.config.rules import (
    training_defaults,
)


def pure_default_note(name: str, value: Any) -> str:
    """Why a field missing from a pure block did not take the mirror's default."""
    unit = ALIGNNAtomWiseConfig.field_trait(name).metadata.get("unit", "")
    mirror = ALIGNNAtomWiseConfig.field_trait(name).default()
    return (
        (
            f"{name} is not in the model block, so alignn_atomwise_pure's default {value} {unit} "
            f"applies (alignn_atomwise's, and alignn-nb's, is {mirror} {unit})."
        )
        .replace(" )", ")")
        .replace("  ", " ")
    )


def load_notes(
    cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, given: Mapping[str, Any], full: bool
) -> list[str]:
    """Why loading set lighten_edges off and backtracking on, and what three_body_cutoff does."""
    strategy = graph.neighbor_strategy
    if strategy == "pure_torch":
        return pure_torch_notes(cfg, graph)
    notes = [
        f"lighten_edges set off: alignn's {strategy} builder keeps every triplet, so the "
        f"line graph here does too; inner_cutoff {cfg.inner_cutoff} Å stays alignn's "
        "smooth-cutoff radius and filters no triplet.",
        "backtracking set on: alignn's line graphs keep u→v→u triplets, a bond paired with "
        "its own reverse.",
    ]
    tbc = graph.three_body_cutoff
    if tbc is not None:
        note = (
            f"three_body_cutoff {tbc} Å kept as written; alignn applies it only in its "
            f"pure_torch builder, so with {strategy} it limits no triplet."
        )
        if tbc != cfg.inner_cutoff:
            note += (
                f" It disagrees with inner_cutoff {cfg.inner_cutoff} Å; the line graph here "
                "uses neither while lighten_edges is off."
            )
    elif "three_body_cutoff" in given:
        note = (
            "three_body_cutoff null kept as None (alignn's pure_torch builder reads it as "
            f"cutoff); alignn's {strategy} builder ignores it."
        )
    elif full:
        note = (
            "three_body_cutoff is not in the config; alignn's default "
            f"{training_defaults()['three_body_cutoff']} Å is read only by its pure_torch "
            "builder, so it is left unset (None) and exported as null."
        )
    else:
        note = "three_body_cutoff left unset (None): only alignn's pure_torch builder reads it."
    return [*notes, note]


def pure_torch_notes(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> list[str]:
    """lighten_edges and backtracking for alignn's pure_torch builder."""
    tbc = graph.triplet_cutoff()
    return [
        f"lighten_edges set off: alignn's pure_torch builder limits triplets only by "
        f"three_body_cutoff ({tbc} Å), which the line graph here applies too; inner_cutoff "
        f"{cfg.inner_cutoff} Å stays alignn's smooth-cutoff radius and filters no triplet.",
        "backtracking set on: alignn's line graphs keep u→v→u triplets, a bond paired with "
        "its own reverse.",
    ]


def lighten_export_notes(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> list[str]:
    """How lighten_edges and three_body_cutoff (Å) are written."""
    strategy = graph.neighbor_strategy
    tbc = graph.three_body_cutoff
    if strategy == "pure_torch":
        return [pure_torch_export_note(cfg, graph)]
    if cfg.lighten_edges:
        replaced = "" if tbc in (None, cfg.inner_cutoff) else f" (replacing {tbc} Å)"
        return [
            f"lighten_edges on: inner_cutoff {cfg.inner_cutoff} Å is written as "
            f"three_body_cutoff{replaced}. alignn applies three_body_cutoff only in its "
            f"pure_torch builder; its {strategy} builder keeps every triplet, so alignn "
            "training sees triplets the line graph here leaves out."
        ]
    lighten = (
        "lighten_edges off: not an alignn field; the line graph here keeps every triplet, "
        f"as alignn's {strategy} builder does."
    )
    if tbc is None:
        return [
            lighten,
            "three_body_cutoff None is written as null, which alignn's pure_torch builder "
            f"reads as cutoff ({graph.cutoff} Å); left out, alignn would default to "
            f"{training_defaults()['three_body_cutoff']} Å. Its {strategy} builder ignores "
            "it either way.",
        ]
    return [
        lighten,
        f"three_body_cutoff {tbc} Å is written as is; alignn's {strategy} builder ignores "
        "it (only its pure_torch builder reads it).",
    ]


def pure_torch_export_note(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> str:
    """How lighten_edges and three_body_cutoff (Å) are written for the pure_torch builder."""
    tbc = "null (the cutoff)" if graph.three_body_cutoff is None else f"{graph.three_body_cutoff} Å"
    note = f"three_body_cutoff {tbc} is written as is; alignn's pure_torch builder reads it."
    if cfg.lighten_edges:
        note += (
            f" lighten_edges on is not an alignn field: the line graph here also drops "
            f"triplets with a bond beyond inner_cutoff {cfg.inner_cutoff} Å, which alignn "
            "training keeps."
        )
    return note


def backtracking_export_note(cfg: ALIGNNAtomWiseConfig) -> str:
    """How backtracking maps: alignn always keeps u→v→u triplets."""
    if cfg.backtracking:
        return (
            "backtracking on: not an alignn field; alignn's line graphs keep u→v→u triplets "
            "too, so there is nothing to write."
        )
    return (
        "backtracking off cannot be expressed in an alignn training config: every alignn "
        "graph builder keeps u→v→u triplets, so alignn training sees the triplets the "
        "line graph here leaves out."
    )


def export_notes(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> list[str]:
    """Plain-English notes on how lighten_edges, backtracking and three_body_cutoff are written."""
    return [*lighten_export_notes(cfg, graph), backtracking_export_note(cfg)]
