"""Plots of the physics checks (`alignn_nb.checks.CheckResult`), one figure per check.

* `ev_plot`: the model's energy against volume (eV and Å³ per cell), the Birch–Murnaghan
  fit, and the DFT points of the same composition from the data;
* `relax_plot`: the relaxation's energy (eV per cell) and largest force (eV/Å, log scale,
  with the fmax threshold) by step;
* `md_plot`: the MD's total, kinetic and potential energy over time, each minus its value
  at t = 0 (eV per supercell), with the drift's fitted line;
* `forces_plot`: the model's force components against their finite differences (eV/Å),
  and its stress against finite strain (GPa).

The title gives the verdict in its colour. A check that could not run (verdict "error")
has no plot: `physics_plot` raises `ValueError` with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from alignn_nb.checks import CheckResult

VERDICT_COLORS = {"pass": "#1a7f37", "warn": "#b35900", "error": "#b00020"}
SIZE = (4.6, 3.4)


def _figure(columns: int = 1) -> tuple[Figure, list[Axes]]:
    width = SIZE[0] * (1.0 if columns == 1 else 1.7)
    figure = Figure(figsize=(width, SIZE[1]), layout="constrained")
    return figure, [figure.add_subplot(1, columns, i + 1) for i in range(columns)]


def _title(figure: Figure, result: CheckResult, what: str) -> None:
    figure.suptitle(f"{what}: {result.verdict}", color=VERDICT_COLORS[result.verdict], fontsize=11)


def ev_plot(result: CheckResult, label: str = "") -> Figure:
    """Energy against volume, the fit and the DFT points (see the module)."""
    from alignn_nb.checks import eos_curve

    v = result.values
    figure, (axes,) = _figure()
    axes.plot(v["volumes"], v["energies"], "o", ms=4, label="model")
    if v.get("v0") is not None:
        grid = np.linspace(min(v["volumes"]), max(v["volumes"]), 100)
        try:
            fitted = eos_curve(v["volumes"], v["energies"], grid)
            axes.plot(grid, fitted, "-", lw=1, label="Birch–Murnaghan")
            axes.axvline(v["v0"], color="#888", lw=0.8, ls=":")
        except (RuntimeError, ValueError):
            pass
    if v.get("dft_volumes"):
        axes.plot(v["dft_volumes"], v["dft_energies"], "s", ms=4, mfc="none", label="DFT (data)")
    axes.set_xlabel("volume (Å³ per cell)")
    axes.set_ylabel("energy (eV per cell)")
    axes.legend(fontsize=8)
    b = v.get("bulk_modulus_gpa")
    extra = "" if b is None else f" · B {b:.3g} GPa"
    _title(figure, result, f"E–V {label}{extra}")
    return figure


def relax_plot(result: CheckResult, fmax: float = 0.05, label: str = "") -> Figure:
    """The relaxation's energy and largest force by step (see the module)."""
    v = result.values
    figure, (energy, force) = _figure(2)
    steps = np.arange(len(v["energies"]))
    energy.plot(steps, v["energies"], "-o", ms=3)
    energy.set_xlabel("FIRE step")
    energy.set_ylabel("energy (eV per cell)")
    force.semilogy(steps, np.maximum(v["fmaxes"], 1e-12), "-o", ms=3, color="#d62728")
    force.axhline(fmax, color="#888", ls="--", lw=1, label=f"fmax {fmax:g} eV/Å")
    force.set_xlabel("FIRE step")
    force.set_ylabel("largest force (eV/Å)")
    force.legend(fontsize=8)
    _title(figure, result, f"relaxation {label} · {v['steps']} steps")
    return figure


def md_plot(result: CheckResult, label: str = "") -> Figure:
    """Total, kinetic and potential energy minus their start over time (see the module)."""
    v = result.values
    figure, (axes,) = _figure()
    time_fs = np.asarray(v["time_fs"])
    for name in ("total", "kinetic", "potential"):
        series = np.asarray(v[f"{name}_energy"])
        axes.plot(time_fs, series - series[0], lw=1.2 if name == "total" else 0.9, label=name)
    drift = v.get("drift_mev_per_atom_ps")
    first = v.get("warmup_steps", 0)
    if drift is not None and len(time_fs) > first + 1:
        total = np.asarray(v["total_energy"])
        t, e = time_fs[first:], total[first:] - total[0]
        slope, offset = np.polyfit(t, e, 1)
        axes.plot(t, slope * t + offset, "k--", lw=0.8, label="drift fit")
    axes.set_xlabel("time (fs)")
    axes.set_ylabel("energy − its start (eV per supercell)")
    axes.legend(fontsize=8)
    said = "" if drift is None else f" · drift {drift:.3g} meV/atom/ps"
    _title(figure, result, f"NVE MD {label} · {v['steps']} × {v['timestep_fs']:g} fs{said}")
    return figure


def _diagonal(axes: Axes, x: np.ndarray, y: np.ndarray) -> None:
    values = np.concatenate([x, y]) if x.size else np.zeros(1)
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low or 1.0)
    axes.plot([low - pad, high + pad], [low - pad, high + pad], color="#888", lw=1)


def forces_plot(result: CheckResult, label: str = "") -> Figure:
    """Model forces against finite differences, and stress against finite strain."""
    v = result.values
    stress = v.get("stress_model") is not None
    figure, panels = _figure(2 if stress else 1)
    model, fd = np.ravel(v["forces_model"]), np.ravel(v["forces_fd"])
    _diagonal(panels[0], fd, model)
    panels[0].scatter(fd, model, s=14)
    panels[0].set_xlabel("−dE/dx, finite differences (eV/Å)")
    panels[0].set_ylabel("model force (eV/Å)")
    panels[0].set_title(f"largest difference {v['max_force_error']:.3g} eV/Å", fontsize=9)
    if stress:
        s_model, s_fd = np.asarray(v["stress_model"]), np.asarray(v["stress_fd"])
        _diagonal(panels[1], s_fd, s_model)
        panels[1].scatter(s_fd, s_model, s=14, color="#9467bd")
        panels[1].set_xlabel("(1/V) dE/dε, finite strain (GPa)")
        panels[1].set_ylabel("model stress (GPa)")
        panels[1].set_title(f"largest difference {v['max_stress_error']:.3g} GPa", fontsize=9)
    _title(figure, result, f"force consistency {label}")
    return figure


PLOTS: dict[str, Callable[..., Figure]] = {
    "ev": ev_plot,
    "relax": relax_plot,
    "md": md_plot,
    "forces": forces_plot,
}
"""The plot of each check."""


def physics_plot(result: CheckResult, label: str = "", **options: Any) -> Figure:
    """The plot of ``result``'s check (``options`` go to it, e.g. ``fmax`` for relax).

    Raises:
        ValueError: for a check that could not run (its reason is the message).
    """
    if result.verdict == "error":
        raise ValueError(result.reason)
    return PLOTS[result.check](result, label=label, **options)
