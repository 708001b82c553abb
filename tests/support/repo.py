"""Where things are in this repository, and whether the tests run under CI."""

from __future__ import annotations

import os
from pathlib import Path

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[2]
PRESETS = REPO / "alignn_nb" / "config" / "presets"
"""alignn's example training configs, shipped as presets."""
EXAMPLE_DATA = REPO / "alignn_nb" / "datasets" / "examples"
"""alignn's example force-field datasets (JARVIS sample, mlearn Si), shipped as package data."""
