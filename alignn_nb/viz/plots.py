"""Plain matplotlib figures of the loss terms; each function returns a new `Figure`.

The figures are made without pyplot, so they can be drawn from a worker thread and need
no closing to free global state (closing them with ``plt.close`` is harmless).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alignn_nb.evaluation import AlignnHistory
from alignn_nb.loss import TERMS, LossBreakdown, WeightResponse
from alignn_nb.training import Step

COLORS = {
    "graphwise": "#1f77b4",
    "atomwise": "#9467bd",
    "gradwise": "#ff7f0e",
    "stresswise": "#2ca02c",
    "additional": "#8c564b",
    "total": "#222222",
}
LABELS = {
    "graphwise": "graphwise (energy)",
    "atomwise": "atomwise",
    "gradwise": "gradwise (forces)",
    "stresswise": "stresswise (stress)",
    "additional": "additional",
    "total": "total",
}
VIEWS = ("absolute", "fraction")


def _figure(width: float = 6.0, height: float = 3.6) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def contribution_bars(
    breakdowns: LossBreakdown | Mapping[str, LossBreakdown], view: str = "absolute"
) -> Figure:
    """Stacked bars of the weighted terms, one bar per breakdown.

    ``view`` "absolute" stacks the weighted values (the loss, in alignn's mixed units);
    "fraction" stacks each term's share of the total. Terms without a value are named in
    the legend with their status.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    named = {"": breakdowns} if isinstance(breakdowns, LossBreakdown) else dict(breakdowns)
    figure, axes = _figure()
    positions = np.arange(len(named))
    bottom = np.zeros(len(named))
    for name in TERMS:
        heights = np.array([_bar_value(b, name, view) for b in named.values()])
        statuses = {b.terms[name].status for b in named.values() if name in b.terms}
        if not statuses:
            continue
        label = LABELS[name] + ("" if statuses == {"ok"} else f" ({', '.join(statuses - {'ok'})})")
        axes.bar(positions, heights, 0.6, bottom=bottom, color=COLORS[name], label=label)
        bottom += heights
    axes.set_xticks(positions, [k or "dataset" for k in named])
    axes.set_ylabel("share of the total loss" if view == "fraction" else "weighted loss term")
    axes.set_title("alignn's loss, term by term" + (" (fractions)" if view == "fraction" else ""))
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def _bar_value(breakdown: LossBreakdown, name: str, view: str) -> float:
    term = breakdown.terms.get(name)
    if term is None or term.weighted is None:
        return 0.0
    return (term.share or 0.0) if view == "fraction" else term.weighted


def weight_response_plot(result: WeightResponse) -> Figure:
    """Weighted terms and total against one loss weight, with the current weight marked."""
    figure, axes = _figure()
    for name, values in result.weighted.items():
        axes.plot(result.values, values, color=COLORS[name], label=LABELS[name])
    axes.plot(result.values, result.total, color=COLORS["total"], lw=2.2, label="total")
    axes.axvline(
        result.current,
        color="#b00020",
        ls="--",
        lw=1.2,
        label=f"current {result.field} = {result.current:g}",
    )
    axes.set_xlabel(result.field)
    axes.set_ylabel("weighted loss term")
    axes.set_title(f"sensitivity to {result.field}")
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def _log_if_positive(axes: Axes, arrays: Sequence[np.ndarray]) -> None:
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.empty(0)
    if finite.size and np.all(finite > 0):
        axes.set_yscale("log")


def training_plot(steps: Sequence[Step], planned: int | None = None) -> Figure:
    """Per-term weighted values and the total against the optimiser step."""
    figure, axes = _figure()
    index = np.array([s.index for s in steps])
    names = [n for n in TERMS if any(n in s.weighted for s in steps)]
    curves = [np.array([s.weighted.get(n, math.nan) for s in steps]) for n in names]
    for name, values in zip(names, curves, strict=True):
        axes.plot(index, values, color=COLORS[name], label=LABELS[name], marker=".")
    totals = np.array([s.total for s in steps])
    axes.plot(index, totals, color=COLORS["total"], lw=2.2, label="total")
    _log_if_positive(axes, [*curves, totals])
    axes.set_xlim(0.5, max(planned or 0, len(steps), 1) + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("AdamW step")
    axes.set_ylabel("weighted loss term")
    axes.set_title("training on the CPU" + (f" ({len(steps)}/{planned} steps)" if planned else ""))
    if steps:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def history_plot(history: AlignnHistory) -> Figure:
    """alignn's per-epoch terms: training (solid) and validation (dashed)."""
    figure, axes = _figure()
    epochs = np.arange(1, history.epochs + 1)
    curves = []
    for name in (*history.active_terms(), "total"):
        values = history.series(name)
        curves.append(values)
        axes.plot(epochs, values, color=COLORS[name], marker=".", label=f"{LABELS[name]} train")
        if history.val is not None:
            val = history.series(name, "val")
            curves.append(val)
            axes.plot(
                np.arange(1, len(val) + 1),
                val,
                color=COLORS[name],
                ls="--",
                label=f"{LABELS[name]} val",
            )
    _log_if_positive(axes, curves)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.set_ylabel("weighted term, mean over batches")
    axes.set_title(f"alignn history: {history.folder.name}")
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


RUN_STYLES: tuple[dict[str, Any], ...] = (
    {"marker": "o", "alpha": 1.0},
    {"marker": "x", "alpha": 0.6},
)
"""How the first and second run of an overlay are told apart."""


def histories_plot(histories: Mapping[str, AlignnHistory]) -> Figure:
    """Several runs' alignn curves overlaid (at most two): each run's active terms and
    total, training solid and validation dashed, runs by marker (o first, x second)."""
    if not 1 <= len(histories) <= len(RUN_STYLES):
        raise ValueError(f"give 1 or 2 histories, not {len(histories)}")
    figure, axes = _figure(7.0, 3.8)
    curves = []
    for (run, history), style in zip(histories.items(), RUN_STYLES, strict=False):
        for name in (*history.active_terms(), "total"):
            for split, ls in (("train", "-"), ("val", "--")):
                if split == "val" and history.val is None:
                    continue
                values = history.series(name, split)
                curves.append(values)
                label = f"{run}: {LABELS[name]} {split}"
                epochs = np.arange(1, len(values) + 1)
                axes.plot(epochs, values, color=COLORS[name], ls=ls, label=label, **style)
    _log_if_positive(axes, curves)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.set_ylabel("weighted term, mean over batches")
    axes.set_title(" vs ".join(histories))
    axes.legend(fontsize="xx-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def figure_png(figure: Figure, dpi: int = 90) -> bytes:
    """A matplotlib ``figure`` as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
