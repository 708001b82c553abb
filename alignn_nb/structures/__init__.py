"""The structure stage: structures from files, ase, jarvis and pymatgen, the built-in
examples, and uploaded files (structures and configs) checked before they are parsed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package
from alignn_nb.structures.loading import (
    MIN_DISTANCE,
    check_elements,
    check_structure,
    example,
    examples,
    load_structure,
)

if TYPE_CHECKING:
    from alignn_nb.structures.lapack import one_blas_thread
    from alignn_nb.structures.primitive import WORTH_FROM, primitive_without_symmetry
    from alignn_nb.structures.uploads import (
        ACCEPTED_STRUCTURES,
        CONFIG_SUFFIXES,
        MAX_UPLOAD_BYTES,
        MAX_UPLOAD_MB,
        STRUCTURE_KIND,
        STRUCTURE_NAMES,
        STRUCTURE_SUFFIXES,
        accepted_text,
        accepts,
        config_from_upload,
        name_refusal,
        size_refusal,
        structure_from_upload,
    )

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
