"""Graph counts and alignn's notes as short HTML: a table and a bulleted list, not a wall
of printed text.

`GraphSummary` displays itself in a notebook (``_repr_html_``, with a plain-text repr for
text-only readers); `counts_html` and `notes_html` give the same HTML to widgets. Every
piece of text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

COLUMNS = ("atoms", "edges", "triplets", "bonds per atom", "cutoff used")
TABLE_STYLE = "border-collapse:collapse;font-size:13px;margin:4px 0"
CELL_STYLE = "padding:2px 10px;border-bottom:1px solid #ddd;text-align:right"


def _cells(stats: Mapping[str, Any]) -> tuple[str, ...]:
    """The values of `COLUMNS` for one graph's stats, as text."""
    degrees = f"{stats['degree_min']}–{stats['degree_max']} (mean {stats['degree_mean']:.1f})"
    if stats["degree_min"] == stats["degree_max"]:
        degrees = str(stats["degree_min"])
    return (
        f"{stats['atoms']:,}",
        f"{stats['edges']:,}",
        f"{stats['triplets']:,}",
        degrees,
        f"{stats['cutoff_used']:.3g} Å",
    )


def counts_html(rows: Mapping[str, Mapping[str, Any]]) -> str:
    """A table with one row per labelled graph: atoms, edges, triplets, degrees, cutoff."""
    head = "".join(f"<th style='{CELL_STYLE}'>{html.escape(c)}</th>" for c in ("", *COLUMNS))
    body = "".join(
        "<tr>"
        + f"<th style='{CELL_STYLE};text-align:left'>{html.escape(label)}</th>"
        + "".join(f"<td style='{CELL_STYLE}'>{html.escape(v)}</td>" for v in _cells(stats))
        + "</tr>"
        for label, stats in rows.items()
    )
    return (
        f"<table class='alignn-nb-counts-table' style='{TABLE_STYLE}'><tr>{head}</tr>{body}</table>"
    )


def notes_html(notes: list[str] | tuple[str, ...], title: str = "") -> str:
    """alignn's notes about a graph as a bulleted list (empty when there are none)."""
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    heading = f"<div><b>{html.escape(title)}</b></div>" if title else ""
    return (
        f"<div class='alignn-nb-notes' style='font-size:13px'>{heading}"
        f"<ul style='margin:2px 0 6px 0'>{items}</ul></div>"
    )


class GraphSummary:
    """The counts and notes of one or several graphs, displayed as a table and lists.

    Args:
        graphs: a `CrystalGraphs`, or labels mapped to `CrystalGraphs` (one row each).
        label: the row's label when ``graphs`` is a single `CrystalGraphs`.
    """

    def __init__(self, graphs: Any, label: str = "graph") -> None:
        pairs = graphs.items() if isinstance(graphs, Mapping) else [(label, graphs)]
        self.stats = {name: g.stats for name, g in pairs}

    def _repr_html_(self) -> str:
        several = len(self.stats) > 1
        notes = "".join(
            notes_html(s["notes"], f"notes on {name}" if several else "notes")
            for name, s in self.stats.items()
        )
        return counts_html(self.stats) + notes

    def __repr__(self) -> str:
        lines = []
        for name, stats in self.stats.items():
            cells = ", ".join(f"{c} {v}" for c, v in zip(COLUMNS, _cells(stats), strict=True))
            lines.append(f"{name}: {cells}")
            lines += [f"  - {note}" for note in stats["notes"]]
        return "\n".join(lines)
