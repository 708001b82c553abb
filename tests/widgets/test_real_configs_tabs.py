"""Every alignn example config through the tabs' Python API, on real mlearn Si structures.

Loading the file into the form, a Dataset tab scan and starting a one-trial sweep either
work or are refused with one line naming the field and the reason, the previous state
kept (`tests.support.real_configs.expected_refusal`). The form refuses eALIGNN by name, so that
config never reaches the Dataset and Sweep tabs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, load_alignn_config
from alignn_nb.datasets import load_dataset
from alignn_nb.widgets import ConfigForm, ConfigToolbar, DatasetTab, SweepTab
from alignn_nb.widgets._controls import to_widget_value
from tests.support.real_configs import (
    CONFIGS,
    EALIGNN,
    SMALL,
    config_path,
    expected_refusal,
    runs_here,
    write_si_inputs,
)

HANG_GUARD_S = 300.0
"""Bound on waits that never end on a broken runner; not a speed limit."""
LOADABLE = [c for c in CONFIGS if c != EALIGNN]


@pytest.fixture(scope="module")
def si_json(tmp_path_factory) -> Path:
    return write_si_inputs(tmp_path_factory.mktemp("si"))[0]


def loaded(config: str) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    """The config as the form holds it after loading, with hidden_features 16."""
    cfg, graph = load_alignn_config(config_path(config))
    cfg.hidden_features = 16
    return cfg, graph


@pytest.mark.parametrize("config", CONFIGS)
def test_loading_into_the_form(config):
    toolbar = ConfigToolbar()
    form = ConfigForm(toolbar.config, toolbar.graph, toolbar.settings)
    before = toolbar.config.to_dict(), toolbar.graph.to_dict()
    done = toolbar.load_file(Path(config).name, config_path(config).read_bytes())
    refusal = expected_refusal(config, "form")
    if refusal is not None:
        assert (done, toolbar.failed) == (False, True)
        assert toolbar.message == f"{Path(config).name}: {refusal}"
        assert (toolbar.config.to_dict(), toolbar.graph.to_dict()) == before
        return
    assert (done, toolbar.failed) == (True, False), toolbar.message
    want = load_alignn_config(config_path(config))
    assert toolbar.config.to_dict() == want.cfg.to_dict()
    assert toolbar.graph.to_dict() == want.graph.to_dict()
    assert toolbar.settings.to_dict() == want.settings.to_dict()
    for owner in (toolbar.config, toolbar.graph, toolbar.settings):
        for name in owner.field_names():
            shown = form.control(name).value
            assert shown == to_widget_value(owner.field_trait(name), getattr(owner, name)), name
    assert form.errors == {}
    assert "cannot save" not in toolbar.save_html.value
    saved = load_alignn_config(json.loads(toolbar.config_json()))
    assert saved.cfg.to_dict() == want.cfg.to_dict()
    assert saved.graph.to_dict() == want.graph.to_dict()
    assert saved.settings.to_dict() == want.settings.to_dict()


@pytest.mark.parametrize("config", LOADABLE)
def test_a_dataset_tab_scan(config, si_json):
    tab = DatasetTab(*loaded(config), settle=0.0, source=str(si_json))
    try:
        tab.live = True
        assert tab.wait(HANG_GUARD_S)
    finally:
        tab.stop()
        tab.wait(HANG_GUARD_S)
    assert not tab.failed, tab.message
    stats = tab.stats
    assert stats is not None and stats["structures"] == SMALL and stats["skipped"] == []
    advice = {a["field"]: a for a in stats["advice"]}
    limit = tab.graph.max_neighbors
    if limit is None:
        limit = stats["degree_max"]
        note = f"max_neighbors is null (no limit), which here means {limit}"
        assert advice["max_neighbors"]["note"].startswith(note)
        assert note in tab.summary_html.value
    assert advice["max_neighbors"]["value"] == max(1, round(limit * 2 / 3))


@pytest.mark.slow
@pytest.mark.parametrize("config", LOADABLE)
def test_starting_a_sweep(config, si_json, shared_dask_cluster, tmp_path):
    cfg, graph = loaded(config)
    panel = SweepTab(
        ConfigToolbar(config=cfg, graph=graph),
        load_dataset(si_json),
        storage=str(tmp_path / "study.journal"),
        local_directory=str(tmp_path / "dask"),
        # Without DGL an alignn_atomwise sweep is refused for a local cluster, before it starts.
        scheduler=shared_dask_cluster.address if runs_here(config) else "",
        trials=1,
        steps=1,
    )
    assert panel.add_param("learning_rate=0.0005:0.002:log")
    started = panel.run()
    refusal = expected_refusal(config, "sweep tab")
    if refusal is not None:
        assert (started, panel.failed, panel.message) == (False, True, refusal)
        assert panel.records == [] and not (tmp_path / "study.journal").exists()
        return
    assert started, panel.message
    assert panel.wait(HANG_GUARD_S)
    assert not panel.failed, panel.message
    (record,) = panel.records
    assert record.state == "COMPLETE", record.error
    assert panel.message.startswith("done: best trial 0 total ")
