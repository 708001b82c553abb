"""Dashboard: switching between alignn's two model flavours live."""

from __future__ import annotations

import pytest
from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePure

from alignn_nb import ALIGNNAtomWiseConfig, Dashboard
from alignn_nb.data import default_dataset
from alignn_nb.model import build_model, dgl_installed, model_summary, to_alignn_model_config

PURE_ONLY = ["conv_type", "num_heads", "use_zbl", "zbl_cutoff", "model_three_body_cutoff"]


def alignn_count(cfg: ALIGNNAtomWiseConfig) -> int:
    """Parameters of alignn's own model class for ``cfg``'s flavour."""
    if cfg.name == "alignn_atomwise_pure":
        model = ALIGNNAtomWisePure(to_alignn_model_config(cfg))
    else:
        from alignn.models.alignn_atomwise import ALIGNNAtomWise

        model = ALIGNNAtomWise(to_alignn_model_config(cfg))
    return sum(p.numel() for p in model.parameters())


@pytest.fixture
def dashboard():
    board = Dashboard(dataset=default_dataset(size=2))
    board.wait()
    yield board
    board.session.wait()


@pytest.mark.slow
def test_the_dashboard_switches_flavours_live_and_counts_as_alignn(dashboard):
    form, config = dashboard.form, dashboard.config
    if dgl_installed():
        assert dashboard.summary.summary.total == alignn_count(config) == 143_297
    else:
        assert "DGL is not installed; alignn_atomwise needs it" in dashboard.status
        assert form.findings[0].message.startswith("DGL is not installed")
    assert all(form.control(n).disabled for n in PURE_ONLY)
    form.control("name").value = "alignn_atomwise_pure"
    form.control("conv_type").value = "t_alignn"
    form.control("num_heads").value = 4
    dashboard.wait()
    assert not any(form.control(n).disabled for n in PURE_ONLY)
    assert dashboard.session.result.error is None
    pure_total = alignn_count(config)
    assert dashboard.summary.summary.total == pure_total != 143_297
    assert type(dashboard.session.result.model) is ALIGNNAtomWisePure
    assert dashboard.prediction.prediction is not None
    form.control("name").value = "alignn_atomwise"
    dashboard.wait()
    assert all(form.control(n).disabled for n in PURE_ONLY)
    if dgl_installed():
        assert dashboard.summary.summary.total == 143_297
    else:
        assert "DGL is not installed; alignn_atomwise needs it" in dashboard.status
        assert dashboard.summary.summary.total == pure_total


@pytest.mark.dgl
def test_the_prediction_shows_the_live_models_parameter_count(dashboard):
    cfg = ALIGNNAtomWiseConfig()
    default = model_summary(build_model(cfg)).total
    assert dashboard.prediction.parameters == default == 143_297
    assert "<span class='alignn-nb-parameters'>143,297 parameters</span>" in shown(dashboard)
    dashboard.config.hidden_features = 128
    dashboard.wait()
    wider = model_summary(build_model(ALIGNNAtomWiseConfig(hidden_features=128))).total
    assert dashboard.prediction.parameters == wider == 524_289
    assert "<span class='alignn-nb-parameters'>524,289 parameters</span>" in shown(dashboard)


def shown(dashboard: Dashboard) -> str:
    return dashboard.prediction.children[0].get_state()["value"]
