"""Pictures of what alignn's model reads: one value on the radial-basis bins, the atom
feature vectors, and the tensor shapes entering the first layer.

The figures use matplotlib's object API (no pyplot), so nothing stays open; the bins are
the model's own ``RBFExpansion`` (`alignn_nb.model.inputs`).
"""

from __future__ import annotations

import html

import numpy as np
import torch
from matplotlib.figure import Figure

from alignn_nb.model import ModelInputs, expand, rbf_centers

BAR_COLOR = "#3a6ea5"
VALUE_COLOR = "#c0269f"
BEYOND_COLOR = "#dddddd"


def rbf_figure(
    rbf: torch.nn.Module,
    value: float,
    *,
    quantity: str = "bond length",
    unit: str = "Å",
    reach: float | None = None,
    size: tuple[float, float] = (7.0, 2.6),
) -> Figure:
    """``value`` expanded on ``rbf``'s bins: one bar per bin at its centre.

    Args:
        rbf: alignn's ``RBFExpansion`` (the model's `edge_rbf` or `angle_rbf`).
        value: the bond length in Å or the cosine to expand.
        quantity, unit: the axis label.
        reach: for bonds, the longest bond the graph can hold (the cutoff used, Å); the
            bins beyond it are shaded, since no bond ever lights them.
        size: figure size in inches.
    """
    centers = rbf_centers(rbf)
    weights = expand(rbf, value)[0]
    strongest = int(np.argmax(weights))
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 * (centers[1] - centers[0]) if len(centers) > 1 else 0.1
    if reach is not None and reach < centers[-1]:
        ax.axvspan(reach, centers[-1] + width, color=BEYOND_COLOR, zorder=0)
        ax.text(reach, 1.02, f" beyond the cutoff ({reach:.3g} {unit})", fontsize=8, va="bottom")
    ax.bar(centers, weights, width=width, color=BAR_COLOR, zorder=2)
    ax.axvline(value, color=VALUE_COLOR, linewidth=1.5, zorder=3)
    ax.set_ylim(0, 1.15)
    ax.set_xlabel(f"{quantity} ({unit}); one bar per bin centre" if unit else quantity)
    ax.set_ylabel("bin value")
    unit_text = f" {unit}" if unit else ""
    ax.set_title(
        f"{quantity} {value:.4g}{unit_text} on {rbf.bins} bins from {rbf.vmin:g} to "
        f"{rbf.vmax:g}{unit_text}: strongest bin {strongest} (centre {centers[strongest]:.3g})",
        fontsize=9,
    )
    return fig


def atom_features_figure(
    symbols: list[str], features: np.ndarray, kind: str, size: tuple[float, float] = (7.0, 1.8)
) -> Figure:
    """Each element's feature vector as one row of coloured cells (F columns).

    Args:
        symbols: the distinct elements, one per row of ``features``.
        features: (len(symbols), F) the vectors alignn puts in ``g.ndata["atom_features"]``.
        kind: the ``atom_features`` setting they come from (the title).
    """
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    shown = ax.imshow(features, aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_yticks(range(len(symbols)), symbols)
    ax.set_xlabel(f"feature index (0 to {features.shape[1] - 1})")
    ax.set_title(f"atom_features={kind!r}: {features.shape[1]} numbers per atom", fontsize=9)
    fig.colorbar(shown, ax=ax, pad=0.01)
    return fig


def shapes_html(inputs: ModelInputs) -> str:
    """The tensors on their way into the model as a table: name, shape and meaning."""
    groups = [
        ("what the graphs carry", inputs.graph),
        ("after alignn's expansions and embedding", inputs.embedded),
        (f"entering {inputs.layer or 'no layer (the model has none)'}", inputs.layer_inputs),
    ]
    cell = "padding:2px 10px;border-bottom:1px solid #ddd;text-align:left"
    rows = []
    for title, tensors in groups:
        rows.append(f"<tr><th colspan='3' style='{cell}'>{html.escape(title)}</th></tr>")
        rows += [
            f"<tr><td style='{cell}'><code>{html.escape(t.name)}</code></td>"
            f"<td style='{cell}'>{html.escape(str(t.shape))}</td>"
            f"<td style='{cell}'>{html.escape(t.meaning)}</td></tr>"
            for t in tensors
        ]
    return (
        "<table class='alignn-nb-shapes' style='border-collapse:collapse;font-size:13px'>"
        + "".join(rows)
        + "</table>"
    )
