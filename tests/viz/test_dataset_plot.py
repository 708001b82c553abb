"""Dataset plots: histogram counts, estimates shown when present, "not estimated" when null."""

from __future__ import annotations

from alignn_nb.viz import heaviest_structures, size_histograms, stats_html

ROWS = [
    {"id": "a", "atoms": 2, "edges": 30, "triplets": 400},
    {"id": "b<1>", "atoms": 8, "edges": 90, "triplets": 1500},
    {"id": "c", "atoms": 8, "edges": 96, "triplets": 1500},
]


def stats(**extra) -> dict:
    return {
        "dataset": "toy.json",
        "structures": 3,
        "skipped": [{"id": "d", "reason": "entry 3 has no jarvis 'atoms' dict"}],
        "atoms": {"total": 18, "min": 2, "median": 8, "max": 8},
        "edges": {"total": 216, "min": 30, "median": 90, "max": 96},
        "triplets": {"total": 3400, "min": 400, "median": 1500, "max": 1500},
        "per_structure": ROWS,
        "graph_memory_bytes": 3_390_320,
        "heaviest_batch": {
            "ids": ["b<1>", "c"],
            "triplets": 3000,
            "peak_memory_bytes": None,
            "step_seconds": None,
        },
        "epoch_seconds": None,
        "triplet_budget": 1000,
        "over_budget": ["b<1>", "c"],
        "notes": [],
        **extra,
    }


def test_histograms_count_every_structure_once_per_panel():
    figure = size_histograms(ROWS)
    assert [a.get_xlabel() for a in figure.axes] == [
        "atoms per structure",
        "edges per structure",
        "triplets per structure",
    ]
    assert [sum(p.get_height() for p in a.patches) for a in figure.axes] == [3, 3, 3]
    assert heaviest_structures(ROWS, 2) == [1, 2]


def test_null_estimates_read_not_estimated_and_ids_are_escaped():
    html = stats_html(stats())
    assert "<th style='text-align:left'>graph memory</th><td>3.39 MB</td>" in html
    assert "<td>2 structures, 3,000 triplets</td>" in html
    for name in ("step peak memory", "step time", "epoch time", "largest batch that fits"):
        assert f"<th style='text-align:left'>{name}</th><td>not estimated</td>" in html
    assert "advice: not estimated" in html
    assert "<li>d: entry 3 has no jarvis &#x27;atoms&#x27; dict</li>" in html
    assert "(more than 1,000 triplets):</b> b&lt;1&gt;, c</div>" in html


def test_estimates_and_advice_are_shown_when_present():
    batch = {"ids": ["c"], "triplets": 1500, "peak_memory_bytes": 2.5e9, "step_seconds": 1.5}
    advice = [
        {
            "field": "cutoff",
            "value": 6.0,
            "graph_memory_bytes": 1_200_000,
            "peak_memory_bytes": 8e8,
            "epoch_seconds": 300.0,
        }
    ]
    html = stats_html(
        stats(heaviest_batch=batch, epoch_seconds=90.0, advice=advice, largest_batch_size=16)
    )
    assert "<th style='text-align:left'>step peak memory</th><td>2.5 GB</td>" in html
    assert "<th style='text-align:left'>step time</th><td>1.5 s</td>" in html
    assert "<th style='text-align:left'>epoch time</th><td>90 s</td>" in html
    assert "<th style='text-align:left'>largest batch that fits</th><td>16</td>" in html
    assert "<tr><td>cutoff = 6.0</td><td>1.2 MB</td><td>800 MB</td><td>5 min</td></tr>" in html
    assert "not estimated" not in html
