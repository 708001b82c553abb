"""A dataset's graph statistics as pictures: size histograms (matplotlib) and HTML tables.

Both read the dict of `alignn_nb.sizing.stats.dataset_stats` (the keys of
``alignn-nb dataset-stats --json``); `count_histograms` draws the bounded histograms a
scan streams as it goes. Estimates that are missing or null are shown as
"not estimated". No pyplot, so the figure can be drawn on a worker thread.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

COUNTS = ("atoms", "edges", "triplets")
NOT_ESTIMATED = "not estimated"
HEAVIEST_SHOWN = 5
"""How many of the heaviest structures `heaviest_structures` lists by default."""


def size_histograms(per_structure: Sequence[Mapping[str, Any]], bins: int = 20) -> Figure:
    """Histograms of atoms, edges and triplets per structure, side by side."""
    figure = Figure(figsize=(9.0, 2.6), layout="constrained")
    for column, key in enumerate(COUNTS):
        axes = figure.add_subplot(1, len(COUNTS), column + 1)
        values = [row[key] for row in per_structure]
        if values:
            axes.hist(values, bins=min(bins, max(1, len(set(values)))), color="#4878a8")
        axes.set_xlabel(f"{key} per structure")
        axes.set_ylabel("structures" if column == 0 else "")
    return figure


def count_histograms(
    histograms: Mapping[str, tuple[Sequence[float], Sequence[int]]],
) -> Figure:
    """Histograms already counted (``{key: (bin edges, counts)}``, as a scan streams them)
    of atoms, edges and triplets per structure, side by side."""
    figure = Figure(figsize=(9.0, 2.6), layout="constrained")
    for column, key in enumerate(COUNTS):
        axes = figure.add_subplot(1, len(COUNTS), column + 1)
        edges, counts = histograms.get(key, ((), ()))
        if len(counts):
            axes.stairs(counts, edges, fill=True, color="#4878a8")
        axes.set_xlabel(f"{key} per structure")
        axes.set_ylabel("structures" if column == 0 else "")
    return figure


def memory_text(size: float | None) -> str:
    """Bytes as ``"3.39 MB"`` (decimal units), or "not estimated" for None."""
    if size is None:
        return NOT_ESTIMATED
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{int(size)} B"


def seconds_text(seconds: float | None) -> str:
    """Seconds as ``"1.2 s"`` or ``"3.4 min"``, or "not estimated" for None."""
    if seconds is None:
        return NOT_ESTIMATED
    if seconds >= 120:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"


def heaviest_structures(
    per_structure: Sequence[Mapping[str, Any]], count: int = HEAVIEST_SHOWN
) -> list[int]:
    """Indices into ``per_structure`` of the ``count`` rows with most triplets (ties: order)."""
    order = sorted(range(len(per_structure)), key=lambda i: (-per_structure[i]["triplets"], i))
    return order[:count]


def _table(css: str, rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table class='{css}'>{body}</table>"


def totals_rows(stats: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The dataset's name, structure count and each count's total, min, median and max."""
    rows = [
        ("dataset", str(stats.get("dataset", ""))),
        ("structures", f"{stats['structures']:,}"),
    ]
    for key in COUNTS:
        found = stats.get(key)
        if found is None:
            rows.append((key, "none counted"))
            continue
        rows.append(
            (
                key,
                f"{found['total']:,} total; per structure {found['min']:,} to "
                f"{found['max']:,}, median {found['median']:g}",
            )
        )
    return rows


def cost_rows(stats: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Graph memory, the heaviest batch and its estimates, the epoch time, the batch fit."""
    batch = stats.get("heaviest_batch") or {}
    rows = [("graph memory", memory_text(stats.get("graph_memory_bytes")))]
    if batch:
        rows.append(
            (
                "heaviest batch",
                f"{len(batch['ids'])} structures, {batch['triplets']:,} triplets",
            )
        )
    rows.append(("step peak memory", memory_text(batch.get("peak_memory_bytes"))))
    rows.append(("step time", seconds_text(batch.get("step_seconds"))))
    rows.append(("epoch time", seconds_text(stats.get("epoch_seconds"))))
    largest = stats.get("largest_batch_size")
    rows.append(("largest batch that fits", NOT_ESTIMATED if largest is None else str(largest)))
    return rows


def advice_html(advice: Sequence[Mapping[str, Any]] | None) -> str:
    """The advice as a table (one row per change), or a line saying it is not estimated."""
    if not advice:
        return f"<div class='alignn-nb-dataset-advice'>advice: {NOT_ESTIMATED}</div>"
    head = "<tr><th>change</th><th>graph memory</th><th>step peak</th><th>epoch</th></tr>"
    rows = [
        "<tr>"
        f"<td>{html.escape(str(a.get('field')))} = {html.escape(str(a.get('value')))}"
        f"{_advice_note(a.get('note'))}</td>"
        f"<td>{memory_text(a.get('graph_memory_bytes'))}</td>"
        f"<td>{memory_text(a.get('peak_memory_bytes'))}</td>"
        f"<td>{seconds_text(a.get('epoch_seconds'))}</td>"
        "</tr>"
        for a in advice
    ]
    return f"<table class='alignn-nb-dataset-advice'>{head}{''.join(rows)}</table>"


def _advice_note(note: Any) -> str:
    return "" if not note else f"<br><small>{html.escape(str(note))}</small>"


def problems_html(stats: Mapping[str, Any]) -> str:
    """Skipped entries with their reasons, and the ids past the triplet budget."""
    skipped = stats.get("skipped") or []
    lines = [
        f"<li>{html.escape(str(s['id']))}: {html.escape(str(s['reason']))}</li>" for s in skipped
    ]
    over = stats.get("over_budget") or []
    budget = stats.get("triplet_budget")
    over_text = ", ".join(str(i) for i in over) if over else "none"
    limit = f" (more than {budget:,} triplets)" if budget is not None else ""
    return (
        f"<div class='alignn-nb-dataset-skipped'><b>skipped: {len(skipped)}</b>"
        f"{'<ul>' + ''.join(lines) + '</ul>' if lines else ''}</div>"
        f"<div class='alignn-nb-dataset-over'><b>over budget{html.escape(limit)}:</b> "
        f"{html.escape(over_text)}</div>"
    )


def stats_html(stats: Mapping[str, Any]) -> str:
    """The whole summary: totals, costs, advice, problems and notes (all text escaped)."""
    notes = "".join(f"<li>{html.escape(str(n))}</li>" for n in stats.get("notes", []))
    return (
        _table("alignn-nb-dataset-totals", totals_rows(stats))
        + _table("alignn-nb-dataset-costs", cost_rows(stats))
        + advice_html(stats.get("advice"))
        + problems_html(stats)
        + (f"<ul class='alignn-nb-dataset-notes'>{notes}</ul>" if notes else "")
    )
