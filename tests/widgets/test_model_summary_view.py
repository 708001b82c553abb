"""ModelSummaryView: alignn's parameter counts, kept when a build fails."""

from __future__ import annotations

import re

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig
from alignn_nb.widgets import ModelSummaryView

pytestmark = pytest.mark.dgl


def shown_total(view: ModelSummaryView) -> str:
    html = view.children[1].get_state()["value"]
    return re.search(r"alignn-nb-param-total'>([\d,]+)<", html).group(1)


def test_follows_the_config():
    cfg = ALIGNNAtomWiseConfig()
    view = ModelSummaryView(config=cfg)
    assert view.summary.total == 143_297 and shown_total(view) == "143,297"
    cfg.hidden_features = 128
    assert view.summary.total == 524_289 and shown_total(view) == "524,289"
    assert "gcn_layers.1" in view.children[1].value


def test_without_follow_the_summary_stays():
    cfg = ALIGNNAtomWiseConfig()
    view = ModelSummaryView(config=cfg, follow=False)
    cfg.gcn_layers = 0
    assert view.summary.total == 143_297
    view.rebuild()
    assert view.summary.total == 143_297 - 2 * 21_056


def test_a_failed_build_keeps_the_last_good_summary(monkeypatch):
    cfg = ALIGNNAtomWiseConfig()
    view = ModelSummaryView(config=cfg)

    def explode(_cfg):
        raise RuntimeError("boom")

    monkeypatch.setattr("alignn_nb.widgets.model_summary_view.build_model", explode)
    cfg.hidden_features = 16
    assert view.error == "alignn could not build this model: boom"
    assert view.summary.total == 143_297
    assert "boom" in view.children[0].get_state()["value"]


def test_stale_mark():
    view = ModelSummaryView(config=ALIGNNAtomWiseConfig())
    view.stale = True
    assert "(updating…)" in view.children[1].value
