"""A sweep's trials as pictures: parallel coordinates (a matplotlib `Figure`) and HTML.

One vertical axis per tuned field, then the objective value; each COMPLETE trial is a
line through its values, coloured by its value (darker is better). Numeric axes are
scaled to their range (log10 first for a log range); choices are spread evenly in the
order given. No pyplot, so it can be drawn on a worker thread.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from alignn_nb.tuning import Param, TrialRecord

COLUMNS = ("number", "params", "value", "state", "worker", "seconds")


def _position(param: Param, value: Any) -> float:
    """``value`` of ``param`` on a 0..1 axis."""
    if param.kind == "choice":
        labels = [repr(c) for c in param.choices]
        where = labels.index(repr(value)) if repr(value) in labels else 0
        return where / max(1, len(labels) - 1)
    low, high = param.bounds()
    number = float(value)
    if param.log:
        low, high, number = math.log10(low), math.log10(high), math.log10(number)
    return 0.5 if high == low else (number - low) / (high - low)


def parallel_coordinates(
    records: Sequence[TrialRecord], params: Sequence[Param], objective: str = "value"
) -> Figure:
    """The completed trials of ``records`` across ``params`` and the objective."""
    figure = Figure(figsize=(6.0, 3.2), layout="constrained")
    axes = figure.add_subplot()
    done = [(r, r.value) for r in records if r.state == "COMPLETE" and r.value is not None]
    names = [p.field for p in params] + [objective]
    axes.set_xticks(range(len(names)), names, rotation=20)
    axes.set_yticks([0, 1], ["low", "high"])
    axes.set_xlim(-0.2, len(names) - 0.8)
    for x in range(len(names)):
        axes.axvline(x, color="#999", linewidth=0.8)
    if not done:
        axes.set_title("no completed trial yet")
        return figure
    values = [value for _, value in done]
    top, bottom = max(values), min(values)
    colours = figure.colorbar(
        axes.scatter([], [], c=[], cmap="viridis", vmin=bottom, vmax=top), ax=axes
    )
    colours.set_label(objective)
    for record, value in done:
        shade = 0.5 if top == bottom else (value - bottom) / (top - bottom)
        ys = [_position(p, record.params.get(p.field)) for p in params] + [shade]
        axes.plot(range(len(names)), ys, color=colours.cmap(colours.norm(value)), lw=1.5)
    axes.set_title(f"{len(done)} completed trials")
    return figure


def importance_figure(importance: dict[str, float]) -> Figure:
    """Horizontal bars of each field's importance (fractions summing to 1), largest on top."""
    figure = Figure(figsize=(4.0, 0.6 + 0.35 * max(1, len(importance))), layout="constrained")
    axes = figure.add_subplot()
    ranked = sorted(importance.items(), key=lambda item: item[1])
    axes.barh([name for name, _ in ranked], [value for _, value in ranked], color="#4878a8")
    axes.set_xlim(0, 1)
    axes.set_xlabel("importance (fANOVA)")
    return figure


def importance_text(importance: dict[str, float]) -> str:
    """One line of each field's importance, or empty."""
    if not importance:
        return ""
    return "importance: " + ", ".join(f"{k} {v:.2f}" for k, v in importance.items())


def trials_html(shown: list[TrialRecord]) -> str:
    """The trials as an HTML table (every cell escaped), one row per trial."""
    head = "".join(f"<th>{name}</th>" for name in COLUMNS)
    rows = []
    for r in shown:
        value = "" if r.value is None else f"{r.value:.6g}"
        seconds = "" if r.seconds is None else f"{r.seconds:.1f}"
        state = r.state + (f" ({r.error})" if r.error else "")
        cells = (str(r.number), str(r.params), value, state, r.worker or "", seconds)
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f"<table class='alignn-nb-sweep-trials'><tr>{head}</tr>{''.join(rows)}</table>"
