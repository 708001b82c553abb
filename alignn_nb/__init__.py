"""alignn-nb: configure and explore ALIGNN-atomwise models in Jupyter."""

from __future__ import annotations

import os

os.environ.setdefault("DGLBACKEND", "pytorch")

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.findings import Finding, check

__all__ = ["ALIGNNAtomWiseConfig", "Finding", "GraphConfig", "check"]
__version__ = "0.1.0"
