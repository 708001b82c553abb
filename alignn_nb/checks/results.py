"""What the checks give: one `CheckResult` per check and structure, gathered in a
`CheckReport` whose `CheckReport.as_dict` is ``alignn-nb check --json``.

Every result has a ``verdict`` ("pass", "warn" or "error": the check could not run) and a
one-line ``reason`` quoting the threshold, and its values under the keys of `KEYS` (None
where the check could not give them), plus the series its plot draws. Units: energies eV
per cell (as ASE's ``get_potential_energy`` returns them), volumes Å³ per cell, forces
eV/Å, stresses GPa, time fs, drift meV/atom/ps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alignn_nb.checks.settings import CHECK_NAMES, CHECKS, CheckSettings

PASS, WARN, ERROR = "pass", "warn", "error"
VERDICTS = (PASS, WARN, ERROR)
KEYS: dict[str, tuple[str, ...]] = {
    "ev": ("volumes", "energies", "v0", "e0", "bulk_modulus_gpa"),
    "relax": ("steps", "fmax", "energy_change", "min_distance", "volume_change"),
    "md": ("steps", "timestep_fs", "drift_mev_per_atom_ps", "max_force"),
    "forces": ("max_force_error", "max_stress_error"),
}
"""The values each check always reports (None when it could not run), beside verdict and
reason."""


@dataclass(frozen=True)
class CheckResult:
    """One check of one structure: its verdict, the reason, its values and how long it took
    (seconds of wall time, on whichever worker ran it)."""

    check: str
    verdict: str
    reason: str
    values: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")

    @property
    def name(self) -> str:
        """The check's name for people ("energy–volume curve", ...)."""
        return CHECK_NAMES[self.check]

    def as_dict(self) -> dict[str, Any]:
        """Every key of `KEYS` for this check, then the other values, the verdict, the
        reason and the seconds."""
        known = {key: self.values.get(key) for key in KEYS[self.check]}
        rest = {k: v for k, v in self.values.items() if k not in known}
        ending = {"verdict": self.verdict, "reason": self.reason, "seconds": self.seconds}
        return {**known, **rest, **ending}

    def line(self) -> str:
        """``check: verdict: reason`` for the text report."""
        return f"{self.check:<7} {self.verdict:<5} {self.reason}"


def error_result(check: str, reason: str) -> CheckResult:
    """A check that could not run, with every value None."""
    return CheckResult(check, ERROR, " ".join(reason.split()), dict.fromkeys(KEYS[check]))


@dataclass(frozen=True)
class StructureChecks:
    """One structure's checks, in `CHECKS` order. ``atoms`` is the number of atoms of the
    structure itself (the MD runs on a supercell; its size is in the MD's values)."""

    id: str
    formula: str
    atoms: int
    checks: Mapping[str, CheckResult]
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        ordered = {name: self.checks[name].as_dict() for name in CHECKS if name in self.checks}
        return {
            "id": self.id,
            "formula": self.formula,
            "atoms": self.atoms,
            "source": self.source,
            "checks": ordered,
        }


@dataclass(frozen=True, eq=False)
class CheckReport:
    """A run's checks: every structure's results, the settings, notes about alignn's
    calculator for this run, and the wall time in seconds."""

    run: str
    weights: str
    settings: CheckSettings
    structures: tuple[StructureChecks, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    stopped: bool = False

    def __repr__(self) -> str:
        return f"CheckReport({self.run!r}, {len(self.structures)} structures, {self.counts()})"

    def results(self) -> list[CheckResult]:
        return [r for s in self.structures for r in s.checks.values()]

    def counts(self) -> dict[str, int]:
        """How many results have each verdict."""
        found = [r.verdict for r in self.results()]
        return {verdict: found.count(verdict) for verdict in VERDICTS}

    def errors(self) -> list[str]:
        """One line per reason a check could not run, naming the checks it stopped
        (``REASON (214: relax, md, forces; Cu: relax, md, forces)``), in report order."""
        grouped: dict[str, dict[str, list[str]]] = {}
        for s in self.structures:
            for r in s.checks.values():
                if r.verdict == ERROR:
                    grouped.setdefault(r.reason, {}).setdefault(s.id, []).append(r.check)
        return [f"{reason} ({_where(where)})" for reason, where in grouped.items()]

    def structure(self, id: str) -> StructureChecks:
        """The structure ``id``; KeyError when it was not checked."""
        for found in self.structures:
            if found.id == id:
                return found
        raise KeyError(id)

    def as_dict(self) -> dict[str, Any]:
        """``alignn-nb check --json``."""
        return {
            "run": self.run,
            "weights": self.weights,
            "settings": self.settings.as_dict(),
            "notes": list(self.notes),
            "seconds": self.seconds,
            "stopped": self.stopped,
            "counts": self.counts(),
            "structures": [s.as_dict() for s in self.structures],
        }

    def text(self) -> str:
        """One line per check and structure, the notes and the verdict counts."""
        head = f"{self.run} ({self.weights}): {len(self.structures)} structures, "
        head += ", ".join(f"{n} {v}" for v, n in self.counts().items())
        head += f", {self.seconds:.1f} s" + (" (stopped)" if self.stopped else "")
        lines = [head]
        for s in self.structures:
            lines.append(f"{s.id} {s.formula} ({s.atoms} atoms{_source(s.source)}):")
            results = [s.checks[c] for c in CHECKS if c in s.checks]
            if len(results) > 1 and len({(r.verdict, r.reason) for r in results}) == 1:
                names = ",".join(r.check for r in results)
                lines.append(f"  {names:<7} {results[0].verdict:<5} {results[0].reason}")
            else:
                lines += [f"  {r.line()}" for r in results]
        return "\n".join(lines + [f"note: {note}" for note in self.notes]) + "\n"


def _where(checks: dict[str, list[str]]) -> str:
    return "; ".join(f"{structure}: {', '.join(names)}" for structure, names in checks.items())


def _source(source: str) -> str:
    return f", {source}" if source else ""
