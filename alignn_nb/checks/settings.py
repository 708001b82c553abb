"""`CheckSettings`: which physics checks run, and every step size, length and threshold.

Units: Å for lengths, eV/Å for forces, GPa for stresses, fs for the MD time step, K for
the MD temperature, meV/atom/ps for the energy drift. Each threshold is what a verdict
compares with; the reason of a verdict quotes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

CHECKS = ("ev", "relax", "md", "forces")
"""The four checks, in the order they are reported: energy–volume curve, relaxation, NVE
molecular dynamics, force and stress consistency."""
CHECK_NAMES = {
    "ev": "energy–volume curve",
    "relax": "relaxation",
    "md": "NVE molecular dynamics",
    "forces": "force consistency",
}
MIN_EV_POINTS = 11
"""The E–V curve needs at least this many volumes."""


@dataclass(frozen=True)
class CheckSettings:
    """What runs and how; every field is validated when the settings are made.

    Raises:
        ValueError: one line naming the first field out of range or an unknown check.
    """

    checks: tuple[str, ...] = CHECKS
    ev_points: int = MIN_EV_POINTS
    ev_range: float = 0.08
    """Relative volume change at either end of the E–V curve (0.08: ±8%)."""
    ev_convexity_tolerance: float = 1e-5
    """eV/atom: a second difference of the E–V energies below minus this is non-convex
    (alignn's float32 energies round at about 1e-6 eV/atom)."""
    ev_flat_tolerance: float = 1e-4
    """eV/atom: E–V energies spanning less than this are flat (no curvature to judge)."""
    relax_fmax: float = 0.05
    relax_steps: int = 200
    max_volume_change: float = 0.20
    """Relative: a relaxation changing the volume by more is flagged."""
    min_distance: float = 0.6
    """Å: atoms closer than this are flagged (relaxation) or end the MD (a blow-up)."""
    md_steps: int = 500
    md_timestep_fs: float = 1.0
    md_temperature_k: float = 300.0
    md_min_atoms: int = 32
    md_warmup: float = 0.2
    """Fraction of the MD steps left out of the drift's linear fit."""
    drift_tolerance: float = 1.0
    """meV/atom/ps: a larger |drift| of the total energy is flagged (a rule of thumb)."""
    blowup_ev_per_atom: float = 1.0
    """eV/atom: a total energy this far from its start ends the MD as a blow-up."""
    fd_step: float = 1e-3
    """Å for the atom displacements, and the strain for the stress."""
    fd_atoms: int = 3
    rattle: float = 0.05
    """Å: standard deviation of the random displacements of the force check's structure."""
    force_tolerance: float = 1e-2
    """eV/Å: a larger |force − finite difference| is flagged."""
    stress_tolerance: float = 0.05
    """GPa: a larger |stress − finite strain difference| is flagged."""
    seed: int = 0
    """Seeds the MD velocities, the rattle and the atoms the finite differences move."""

    def __post_init__(self) -> None:
        unknown = [c for c in self.checks if c not in CHECKS]
        if unknown or not self.checks:
            raise ValueError(
                f"checks {','.join(self.checks) or '(none)'} refused: choose from "
                f"{','.join(CHECKS)}"
            )
        object.__setattr__(self, "checks", tuple(c for c in CHECKS if c in self.checks))
        for problem in _problems(self):
            raise ValueError(problem)

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values (``checks`` as a list)."""
        values = asdict(self)
        values["checks"] = list(self.checks)
        return values

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def parse_checks(text: str) -> tuple[str, ...]:
    """``"ev,md"`` as ``("ev", "md")``; an unknown name raises `ValueError` (one line)."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    return CheckSettings(checks=names).checks


def _problems(s: CheckSettings) -> list[str]:
    """Why ``s`` cannot run, one line per field (empty when it can)."""
    rules: list[tuple[bool, str]] = [
        (s.ev_points >= MIN_EV_POINTS, f"ev_points {s.ev_points}: at least {MIN_EV_POINTS}"),
        (0 < s.ev_range < 0.5, f"ev_range {s.ev_range}: between 0 and 0.5"),
        (s.ev_convexity_tolerance >= 0, "ev_convexity_tolerance must be 0 or more"),
        (s.ev_flat_tolerance >= 0, "ev_flat_tolerance must be 0 or more"),
        (s.relax_fmax > 0, f"relax_fmax {s.relax_fmax}: must be > 0 eV/Å"),
        (s.relax_steps >= 1, f"relax_steps {s.relax_steps}: at least 1"),
        (s.max_volume_change > 0, "max_volume_change must be > 0"),
        (s.min_distance > 0, f"min_distance {s.min_distance}: must be > 0 Å"),
        (s.md_steps >= 5, f"md steps {s.md_steps}: at least 5 (the drift is a linear fit)"),
        (s.md_timestep_fs > 0, f"md_timestep_fs {s.md_timestep_fs}: must be > 0"),
        (s.md_temperature_k >= 0, f"md_temperature_k {s.md_temperature_k}: must be ≥ 0"),
        (s.md_min_atoms >= 1, f"md_min_atoms {s.md_min_atoms}: at least 1"),
        (0 <= s.md_warmup < 0.9, f"md_warmup {s.md_warmup}: between 0 and 0.9"),
        (s.drift_tolerance > 0, f"drift_tolerance {s.drift_tolerance}: must be > 0"),
        (s.blowup_ev_per_atom > 0, "blowup_ev_per_atom must be > 0"),
        (0 < s.fd_step <= 0.05, f"fd_step {s.fd_step}: between 0 and 0.05"),
        (s.fd_atoms >= 1, f"fd_atoms {s.fd_atoms}: at least 1"),
        (s.rattle >= 0, f"rattle {s.rattle}: must be ≥ 0 Å"),
        (s.force_tolerance > 0, f"force_tolerance {s.force_tolerance}: must be > 0"),
        (s.stress_tolerance > 0, f"stress_tolerance {s.stress_tolerance}: must be > 0"),
    ]
    return [f"setting refused: {text}" for ok, text in rules if not ok]
