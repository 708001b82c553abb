"""The Dataset tab on 200,000 structures: the kernel's memory stays flat and the widgets'
state stays under 1 MB, while the histograms, the heaviest structures and the progress
are drawn from the streamed counts."""

from __future__ import annotations

import json
import threading
from typing import Any

import psutil
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets.synthetic import write_synthetic_id_prop
from alignn_nb.widgets.dataset_tab import DatasetTab

STRUCTURES = 200_000
BASELINE = 2_000
"""The scan the large one is measured against: it pays the imports and the first drawing."""
HANG_GUARD_S = 1800.0
"""Bound on a scan that never ends; not a speed limit."""
STATE_LIMIT = 10**6
GROWTH_LIMIT = 150 * 10**6
"""Bytes the kernel's peak may exceed the baseline scan's by. The counts' columns take 48 a
structure (10 MB here, twice that while an array grows); the allocator's arenas add an
amount that follows the machine's load (the peak grew 55 MB on a quiet machine, 106 MB
during the whole suite). Keeping anything per structure beyond the columns, such as a
parsed structure (kB each), would take hundreds of MB."""


def state_bytes(widget: Any) -> int:
    """Bytes of the synced state of ``widget`` and every widget inside it."""
    import ipywidgets as widgets

    total, seen, todo = 0, set(), [widget]
    while todo:
        found = todo.pop()
        if id(found) in seen:
            continue
        seen.add(id(found))
        state = found.get_state()
        for value in state.values():
            total += len(value) if isinstance(value, bytes | memoryview) else 0
        text = {k: v for k, v in state.items() if not isinstance(v, bytes | memoryview)}
        total += len(json.dumps(text, default=str))
        for name in found.keys:
            value = getattr(found, name, None)
            items = value if isinstance(value, list | tuple) else [value]
            todo += [item for item in items if isinstance(item, widgets.Widget)]
    return total


class PeakMemory:
    """The largest resident size of this process while inside (sampled every 20 ms)."""

    def __enter__(self) -> PeakMemory:
        self.process = psutil.Process()
        self.before = self.peak = self.process.memory_info().rss
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


@pytest.mark.slow
def test_200000_structures_with_flat_memory_and_a_small_state(tmp_path) -> None:
    small = write_synthetic_id_prop(tmp_path / "small.json", BASELINE, seed=3)
    data = write_synthetic_id_prop(tmp_path / "id_prop.json", STRUCTURES, seed=3)
    tab = DatasetTab(ALIGNNAtomWiseConfig(), GraphConfig(), settle=0.0, source=str(small))
    with PeakMemory() as baseline:
        tab.live = True
        assert tab.wait(HANG_GUARD_S)
    assert tab.stats["structures"] == BASELINE
    drawn: list[int] = []
    tab.plot.observe(lambda change: drawn.append(tab.progress.value), "value")
    with PeakMemory() as memory:
        tab.source = str(data)
        assert tab.wait(HANG_GUARD_S)
    assert tab.stats["structures"] == STRUCTURES and tab.stats["per_structure"] is None
    assert tab.progress.value == tab.progress.max == STRUCTURES
    assert len(drawn) > 1 and drawn[0] < STRUCTURES, "no histogram drawn while scanning"
    assert len(tab.heaviest_dropdown.options) == 5
    assert state_bytes(tab) < STATE_LIMIT
    grown = memory.peak - baseline.peak
    assert grown < GROWTH_LIMIT, f"the kernel grew {grown / 1e6:.0f} MB more than for {BASELINE}"
