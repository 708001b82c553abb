"""alignn-nb: configure and explore ALIGNN-atomwise models in Jupyter.

The packages follow the data flow, each importing only from those ranked below it (see
docs/architecture.md): `compute` (jobs, threads, clusters) under everything, then
`config` → `structures` → `graphs` → `datasets` → `model` → `loss` → `evaluation` →
`training`, with `sizing` and `tuning` over whole datasets, the live engine in `live`,
the views in `viz`, the widgets in `widgets` and the command line in `cli`. Importing
this package loads neither torch nor DGL; the names that need them are imported on first
use.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

os.environ.setdefault("DGLBACKEND", "pytorch")

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig

if TYPE_CHECKING:
    from alignn_nb.config import Finding, check
    from alignn_nb.graphs import build_graphs
    from alignn_nb.model import build_model
    from alignn_nb.structures import load_structure
    from alignn_nb.widgets import Dashboard

__version__ = "0.1.0"

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
