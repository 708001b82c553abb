"""Which structures the checks run on.

By default, the lowest-energy structure (eV per atom) of each composition (reduced
formula) in the run's data, the first in file order on a tie. The user adds structures by
id in the data, by file (any format ASE reads, `alignn_nb.structures.load_structure`) or
by the name of a built-in example (`alignn_nb.structures.example`).

A structure that cannot be used keeps its place with a one-line ``problem`` (its checks
are reported as errors; the others run): a name that is none of the three, an unreadable
file, or, when the data is given, elements absent from the run's training data (the
run's train split when it recorded one, else the whole data), named.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ase import Atoms

from alignn_nb.checks.geometry import reduced_formula
from alignn_nb.datasets import Dataset, Sample
from alignn_nb.evaluation import RunFolder


@dataclass(frozen=True, eq=False)
class PlannedStructure:
    """One structure to check: ``id``, reduced ``formula``, the ``atoms``, where it came
    from (``source``: "data", "file" or "example"), the DFT points of its composition in
    the data as (Å³/atom, eV/atom), and why it cannot be checked (``problem``), if so."""

    id: str
    formula: str
    atoms: Atoms
    source: str
    dft: tuple[tuple[float, float], ...] = ()
    problem: str | None = None


def lowest_per_composition(dataset: Dataset) -> list[Sample]:
    """Each composition's structure of the lowest energy per atom, in the order the
    compositions first appear; structures without an energy are skipped."""
    best: dict[str, Sample] = {}
    for sample in dataset:
        energy = sample.targets.energy
        if energy is None:
            continue
        formula = reduced_formula(sample.atoms)
        kept = best.get(formula)
        if kept is None or energy / sample.natoms < _per_atom(kept):
            best[formula] = sample
    return list(best.values())


def _per_atom(sample: Sample) -> float:
    assert sample.targets.energy is not None
    return sample.targets.energy / sample.natoms


def dft_points(dataset: Dataset | None, formula: str) -> tuple[tuple[float, float], ...]:
    """(Å³/atom, eV/atom) of every structure of composition ``formula`` with an energy."""
    if dataset is None:
        return ()
    return tuple(
        (float(s.atoms.get_volume()) / s.natoms, _per_atom(s))
        for s in dataset
        if s.targets.energy is not None and reduced_formula(s.atoms) == formula
    )


def training_elements(run: RunFolder, dataset: Dataset) -> tuple[str, frozenset[str]]:
    """(what it is, the elements) of the run's training data: its train split when the
    run recorded one the data holds, else the whole data."""
    chosen, what = dataset, f"{dataset.name}"
    if run.ids is not None:
        try:
            chosen, what = run.split(dataset, "train"), f"the train split of {dataset.name}"
        except ValueError:
            pass
    return what, frozenset(e for s in chosen for e in s.atoms.get_chemical_symbols())


def _resolve(token: str, dataset: Dataset | None) -> tuple[str, Atoms | None, str, str | None]:
    """(id, atoms, source, problem) of one ``--structure`` value."""
    from alignn_nb.structures import example, examples, load_structure

    if dataset is not None:
        for sample in dataset:
            if sample.id == token:
                return token, sample.atoms.copy(), "data", None
    if Path(token).is_file():
        try:
            return Path(token).name, load_structure(token), "file", None
        except ValueError as refused:
            return Path(token).name, None, "file", str(refused)
    if token in examples():
        return token, example(token), "example", None
    where = f"an id in {dataset.name}, " if dataset is not None else ""
    return (
        token,
        None,
        "",
        (
            f"{token!r} is neither {where}a structure file nor a built-in example "
            f"({', '.join(examples())})"
        ),
    )


def plan_structures(
    run: RunFolder, dataset: Dataset | None, tokens: Sequence[str | os.PathLike] = ()
) -> list[PlannedStructure]:
    """The default structures of ``dataset`` then each of ``tokens``, each id once."""
    planned: list[PlannedStructure] = []
    if dataset is not None:
        for sample in lowest_per_composition(dataset):
            formula = reduced_formula(sample.atoms)
            atoms = sample.atoms.copy()
            planned.append(
                PlannedStructure(sample.id, formula, atoms, "data", dft_points(dataset, formula))
            )
    known = training_elements(run, dataset) if dataset is not None else None
    for token in map(str, tokens):
        ident, atoms, source, problem = _resolve(token, dataset)
        if any(p.id == ident for p in planned):
            continue
        if atoms is None:
            planned.append(PlannedStructure(ident, "", Atoms(), source, (), problem))
            continue
        formula = reduced_formula(atoms)
        if known is not None:
            problem = _absent(atoms, *known)
        planned.append(
            PlannedStructure(ident, formula, atoms, source, dft_points(dataset, formula), problem)
        )
    return planned


def _absent(atoms: Atoms, what: str, elements: frozenset[str]) -> str | None:
    missing = sorted(set(atoms.get_chemical_symbols()) - elements)
    if not missing:
        return None
    return (
        f"element{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
        f"{'are' if len(missing) > 1 else 'is'} absent from the run's training data ({what})"
    )
