"""`PredictionView`: energy, parameter count, forces, stress, extra heads and stage timings."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np
from traitlets import Bool, Dict, Instance, Int, Unicode, observe

from alignn_nb.model import Prediction, Quantity

#: Force rows shown before the rest are summarised as "… N more".
MAX_ROWS = 20
_ERROR_COLOUR = "#b00020"
_TABLE = "style='font-family:monospace;font-size:12px;line-height:1.3;border-collapse:collapse'"


def _cell(value: float, spec: str) -> str:
    return f"<td style='text-align:right;padding:0 6px'>{value:{spec}}</td>"


def rows_table(
    values: Any,
    css_class: str,
    header: tuple[str, ...],
    spec: str,
    index: str = "atom",
    limit: int = MAX_ROWS,
) -> str:
    """An HTML table of an (N, k) array: the first ``limit`` rows, then "… N more".

    ``header`` names the k columns; ``index`` heads the row-number column.
    """
    array = np.asarray(values, dtype=float).reshape(len(values), -1)
    heads = "".join(f"<th>{html.escape(h)}</th>" for h in (index, *header))
    body = "".join(
        f"<tr><td>{index}</td>{''.join(_cell(v, spec) for v in row)}</tr>"
        for index, row in enumerate(array[:limit])
    )
    more = len(array) - limit
    if more > 0:
        body += (
            f"<tr class='alignn-nb-more'><td colspan='{len(header) + 1}'>… {more} more</td></tr>"
        )
    return f"<table class='{css_class}' {_TABLE}><tr>{heads}</tr>{body}</table>"


def energy_html(energy: Quantity, natoms: int | None) -> str:
    """The energy in eV and, when the atom count is known, eV per atom."""
    if energy.unit != "eV":
        text = html.escape(f"{energy.value} ({energy.unit})")
        return f"<b>Energy</b> <span class='alignn-nb-energy'>{text}</span>"
    per_atom = (
        f" (<span class='alignn-nb-energy-per-atom'>{energy.value / natoms:.6f} eV/atom</span>)"
        if natoms
        else ""
    )
    return f"<b>Energy</b> <span class='alignn-nb-energy'>{energy.value:.6f} eV</span>{per_atom}"


def stress_html(stress: Quantity) -> str:
    """The 3×3 stress tensor in GPa (the first structure of alignn's (1, 3, 3) output)."""
    matrix = np.asarray(stress.value, dtype=float).reshape(-1, 3, 3)[0]
    body = "".join(
        f"<tr><th>{axis}</th>{''.join(_cell(v, '.5g') for v in row)}</tr>"
        for axis, row in zip("xyz", matrix, strict=True)
    )
    head = "<tr><th></th><th>x</th><th>y</th><th>z</th></tr>"
    return (
        f"<b>Stress</b> ({html.escape(stress.unit)})"
        f"<table class='alignn-nb-stress' {_TABLE}>{head}{body}</table>"
    )


def forces_html(forces: Quantity) -> str:
    """The (N, 3) forces in eV/Å, with |F| per atom."""
    array = np.asarray(forces.value, dtype=float).reshape(-1, 3)
    with_norm = np.column_stack([array, np.linalg.norm(array, axis=1)])
    table = rows_table(with_norm, "alignn-nb-forces", ("Fx", "Fy", "Fz", "|F|"), ".4g")
    return f"<b>Forces</b> ({html.escape(forces.unit)}, {len(array)} atoms){table}"


def head_html(name: str, quantity: Quantity, css_class: str, index: str) -> str:
    """An extra head's output as rows: (N, k) per atom for atomwise, (1, k) for additional."""
    values = np.atleast_2d(np.asarray(quantity.value, dtype=float))
    header = tuple(str(k) for k in range(values.shape[1]))
    table = rows_table(values, css_class, header, ".5g", index)
    return f"<b>{html.escape(name)}</b> ({html.escape(quantity.unit)}){table}"


def parameters_text(count: int) -> str:
    """A parameter count as shown, e.g. ``"524,289 parameters"``."""
    return f"{count:,} parameter{'' if count == 1 else 's'}"


def timings_text(timings: dict[str, float]) -> str:
    """Stage timings in ms, e.g. ``"graph 3.1 ms · forward 12.0 ms · total 15.1 ms"``."""
    if not timings:
        return ""
    parts = [f"{stage} {seconds * 1000:.1f} ms" for stage, seconds in timings.items()]
    parts.append(f"total {sum(timings.values()) * 1000:.1f} ms")
    return " · ".join(parts)


class PredictionView(widgets.VBox):
    """Shows a `Prediction`: energy and the model's parameter count, forces, stress and extra
    heads, with timings.

    When `stale` is set the values on display belong to an older config; they stay
    visible, marked, until a new prediction arrives. `error` is shown above them.
    """

    prediction = Instance(Prediction, allow_none=True, help="The forward pass on display.")
    natoms = Int(
        None, allow_none=True, help="Atoms in the structure; None to take it from the forces."
    )
    stale = Bool(False, help="True while the prediction on display is for an older config.")
    timings = Dict(help="Stage name to wall time in seconds, shown in insertion order.")
    error = Unicode("", help="The message of the last failed stage, or empty.")
    parameters = Int(
        None,
        allow_none=True,
        help="Parameters of the model that made the prediction, shown next to the energy; "
        "None when unknown.",
    )

    def __init__(self, prediction: Prediction | None = None, **kwargs: Any) -> None:
        self._html = widgets.HTML()
        super().__init__(children=[self._html], **kwargs)
        if prediction is not None:
            self.prediction = prediction
        self._render()

    @observe("prediction", "natoms", "stale", "timings", "error", "parameters")
    def _on_display_changed(self, change: dict) -> None:
        self._render()

    def _atom_count(self) -> int | None:
        if self.natoms is not None:
            return self.natoms
        forces = self.prediction.forces if self.prediction is not None else None
        return forces.shape[0] if forces is not None else None

    def _status_html(self) -> str:
        parts = []
        if self.error:
            parts.append(
                f"<div class='alignn-nb-error' style='color:{_ERROR_COLOUR}'>"
                f"{html.escape(self.error)}</div>"
            )
        if self.stale:
            parts.append("<div class='alignn-nb-stale'><i>stale: updating…</i></div>")
        return "".join(parts)

    def _parameters_html(self) -> str:
        if self.parameters is None:
            return ""
        return f" · <span class='alignn-nb-parameters'>{parameters_text(self.parameters)}</span>"

    def _body_html(self, prediction: Prediction) -> str:
        parts = [energy_html(prediction.energy, self._atom_count()) + self._parameters_html()]
        parts.append(
            f"<span class='alignn-nb-wall-time'>forward pass {prediction.seconds * 1000:.1f} ms"
            "</span>"
        )
        if prediction.forces is not None:
            parts.append(forces_html(prediction.forces))
        if prediction.stress is not None:
            parts.append(stress_html(prediction.stress))
        if prediction.atomwise is not None:
            parts.append(head_html("Atomwise", prediction.atomwise, "alignn-nb-atomwise", "atom"))
        if prediction.additional is not None:
            parts.append(
                head_html("Additional", prediction.additional, "alignn-nb-additional", "structure")
            )
        if prediction.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in prediction.notes)
            parts.append(f"<ul class='alignn-nb-notes' style='margin:2px 0'>{items}</ul>")
        return "".join(f"<div>{part}</div>" for part in parts)

    def _render(self) -> None:
        body = (
            self._body_html(self.prediction)
            if self.prediction is not None
            else "<i class='alignn-nb-empty'>no prediction yet</i>"
        )
        timings = timings_text(self.timings)
        line = f"<div class='alignn-nb-timings'>{html.escape(timings)}</div>" if timings else ""
        stale = " alignn-nb-is-stale" if self.stale else ""
        self._html.value = (
            f"<div class='alignn-nb-prediction{stale}' style='line-height:1.4'>"
            f"{self._status_html()}{body}{line}</div>"
        )

    def show(
        self,
        prediction: Prediction,
        timings: dict[str, float] | None = None,
        parameters: int | None = None,
    ) -> None:
        """Display a fresh ``prediction``, its stage timings (s) and its model's parameter
        count (None: unknown); clears stale and error."""
        with self.hold_trait_notifications():
            self.prediction = prediction
            self.timings = dict(timings or {})
            self.parameters = parameters
            self.stale = False
            self.error = ""
