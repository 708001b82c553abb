"""The structure stage: structures from files, ase, jarvis and pymatgen, the built-in
examples, and uploaded files (structures and configs) checked before they are parsed."""

from alignn_nb.structures.loading import (
    MIN_DISTANCE,
    check_elements,
    check_structure,
    example,
    examples,
    load_structure,
)

__all__ = [
    "MIN_DISTANCE",
    "check_elements",
    "check_structure",
    "example",
    "examples",
    "load_structure",
]
