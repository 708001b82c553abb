"""The dashboard that ``alignn-nb serve`` serves, driven in Debian's chromium.

Each test opens a fresh page (a fresh kernel) of the served ``notebooks/dashboard.ipynb``
and checks what a person sees against the numbers alignn and alignn-nb compute here.
"""

from __future__ import annotations

import json
import re

import ase.build
import ase.io
import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import example_dataset_path
from alignn_nb.graphs import build_graphs
from alignn_nb.model import build_model, model_summary, predict
from alignn_nb.sizing import dataset_stats
from alignn_nb.structures import example
from tests.support.browser import (
    FORM,
    drawn_fraction,
    enter,
    field,
    screenshot,
    serve,
    upload,
    wait_for_drawing,
    wait_for_first_round,
    wait_status,
)
from tests.support.repo import REPO


@pytest.fixture(scope="module")
def dashboard_url():
    with serve(REPO / "notebooks" / "dashboard.ipynb") as url:
        yield url


@pytest.fixture
def dashboard(page, dashboard_url):
    """The dashboard page once its first round is on screen."""
    page.goto(dashboard_url)
    wait_for_first_round(page, "dashboard-first-round-missing")
    return page


def open_tab(page, title: str) -> None:
    page.locator(".lm-TabBar-tab", has_text=re.compile(rf"^{title}$")).first.click()


def seeded_prediction(atoms, cfg=None):
    cfg = cfg or ALIGNNAtomWiseConfig()
    torch.manual_seed(0)
    model = build_model(cfg)
    return model, predict(model, build_graphs(atoms, cfg, GraphConfig()))


def counts_line(graphs) -> str:
    edges, triplets = len(graphs.edges), len(graphs.triplets)
    return f"showing {edges} of {edges} edges, {triplets} of {triplets} triplets"


def test_1_loads_with_si_shows_its_numbers_and_keeps_them_after_a_refusal(dashboard):
    page = dashboard
    model, prediction = seeded_prediction(example("Si"))
    assert "Si (example)" in page.locator(".alignn-nb-structure").inner_text()
    assert drawn_fraction(wait_for_drawing(page)) > 0.02, "the 3D canvas stayed blank"
    energy = page.locator(".alignn-nb-energy").inner_text()
    assert energy == f"{prediction.energy.value:.6f} eV"
    forces = page.locator(".alignn-nb-forces tr")
    assert forces.count() == 1 + 2
    first = [float(c) for c in forces.nth(1).locator("td").all_inner_texts()[1:4]]
    assert first == pytest.approx(prediction.forces.value[0], abs=5e-4)
    assert page.locator(".alignn-nb-parameters").inner_text() == "143,297 parameters"
    open_tab(page, "Model")
    total = page.locator(".alignn-nb-param-total").inner_text()
    assert total == f"{model_summary(model).total:,}" == "143,297"
    open_tab(page, "Prediction")
    screenshot(page, "dashboard-1-loaded")
    an_out_of_range_value_shows_inline_and_keeps_the_model(page)
    the_dataset_tab_shows_the_jarvis_samples_totals(page)


def test_2_hidden_features_128_gives_alignns_parameter_count_and_a_saved_config_loads_back(
    dashboard, tmp_path
):
    page = dashboard
    from alignn.models.alignn_atomwise import ALIGNNAtomWise
    from alignn.models.alignn_atomwise import ALIGNNAtomWiseConfig as AlignnConfig

    expected = sum(
        p.numel()
        for p in ALIGNNAtomWise(
            AlignnConfig(name="alignn_atomwise", hidden_features=128)
        ).parameters()
    )
    enter(page, "hidden_features", "128")
    wait_status(page, r"recomputed model")
    page.locator(".alignn-nb-parameters", has_text=f"{expected:,} parameters").wait_for()
    assert page.locator(".alignn-nb-parameters").inner_text() == "524,289 parameters"
    open_tab(page, "Model")
    page.locator(".alignn-nb-param-total", has_text=f"{expected:,}").wait_for()
    assert page.locator(".alignn-nb-param-total").inner_text() == "524,289"
    saving_then_loading_the_config_leaves_the_form_unchanged(page, tmp_path)


def test_3_inner_cutoff_gives_build_graphs_triplet_count_and_a_weight_only_reweights(dashboard):
    page = dashboard
    before = build_graphs(example("Si"))
    after = build_graphs(example("Si"), ALIGNNAtomWiseConfig(inner_cutoff=4.0))
    assert len(after.triplets) != len(before.triplets)
    page.locator(".alignn-nb-counts", has_text=counts_line(before)).wait_for()
    enter(page, "inner_cutoff", "4")
    page.locator(".alignn-nb-counts", has_text=counts_line(after)).wait_for()
    assert page.locator(".alignn-nb-counts").inner_text() == counts_line(after)
    assert "model" not in wait_status(page, r"recomputed graph")
    screenshot(page, "dashboard-3-inner-cutoff")
    a_loss_weight_changes_the_energy_bar_without_a_forward_pass(page)


def test_4_an_uploaded_cif_replaces_the_structure_and_its_graph(dashboard, tmp_path):
    page = dashboard
    atoms = ase.build.bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    path = tmp_path / "NaCl.cif"
    ase.io.write(path, atoms)
    expected = build_graphs(ase.io.read(path))
    upload(page, "Upload", path)
    page.locator(".alignn-nb-structure", has_text="Na4Cl4 · 8 atoms").wait_for()
    assert "NaCl.cif" in page.locator(".alignn-nb-structure").inner_text()
    page.locator(".alignn-nb-counts", has_text=counts_line(expected)).wait_for()
    wait_status(page, r"NaCl\.cif.*recomputed graph")
    assert drawn_fraction(wait_for_drawing(page)) > 0.02


def an_out_of_range_value_shows_inline_and_keeps_the_model(page) -> None:
    enter(page, "alignn_layers", "-1")
    error = page.locator(f"{FORM} .widget-inline-hbox", has_text="alignn_layers = -1 refused")
    error.wait_for()
    assert "alignn_layers must be an integer >= 0" in error.inner_text()
    open_tab(page, "Model")
    assert page.locator(".alignn-nb-param-total").inner_text() == "143,297"
    assert "alignn_layers.1" in page.locator(".alignn-nb-summary").inner_text()
    screenshot(page, "dashboard-5-refused")


def the_dataset_tab_shows_the_jarvis_samples_totals(page) -> None:
    """Opening the Dataset tab scans the JARVIS sample (its first scan) and shows its totals."""
    found = dataset_stats(
        example_dataset_path("jarvis_ff_sample"), ALIGNNAtomWiseConfig(), GraphConfig()
    )
    open_tab(page, "Dataset")
    totals = page.locator(".alignn-nb-dataset-totals")
    totals.locator("td", has_text=f"{found['triplets']['total']:,} total;").wait_for()
    shown = totals.inner_text()
    for key in ("atoms", "edges", "triplets"):
        assert f"{found[key]['total']:,} total;" in shown
    assert re.search(r"structures\s+50\b", shown)
    message = page.locator(".alignn-nb-dataset-message").inner_text()
    assert message.startswith("jarvis_ff_sample_id_prop.json: 50 structures scanned in ")
    screenshot(page, "dashboard-1-dataset-tab")


def loss_row(page, term: str) -> list[str]:
    row = page.locator(".alignn-nb-loss-table tr", has=page.locator(f"td:text-is('{term}')"))
    return row.locator("td").all_inner_texts()


def a_loss_weight_changes_the_energy_bar_without_a_forward_pass(page) -> None:
    open_tab(page, "Loss terms")
    page.locator(".alignn-nb-loss-table").wait_for()
    before = loss_row(page, "graphwise")
    assert before[3] == "1"
    bars = page.locator(".jupyter-widgets.widget-image").first.get_attribute("src")
    enter(page, "graphwise_weight", "0.25")
    line = wait_status(page, r"recomputed reweight")
    assert "forward" not in line and "model" not in line and "graph" not in line
    page.locator(".alignn-nb-loss-table td", has_text=re.compile(r"^0\.25$")).wait_for()
    after = loss_row(page, "graphwise")
    assert after[1] == before[1]
    assert float(after[4]) == pytest.approx(0.25 * float(before[4]), rel=2e-3)
    assert page.locator(".jupyter-widgets.widget-image").first.get_attribute("src") != bars


def form_values(page) -> dict[str, str]:
    return page.evaluate(
        """form => {
            const values = {};
            for (const row of document.querySelectorAll(form + ' .widget-inline-hbox')) {
                const input = row.querySelector('input, select');
                if (!input) continue;
                const name = row.textContent.replace('\u200b', '').trim();
                values[name] = input.type === 'checkbox' ? String(input.checked) : input.value;
            }
            return values;
        }""",
        FORM,
    )


def saving_then_loading_the_config_leaves_the_form_unchanged(page, tmp_path) -> None:
    field(page, "lighten_edges").uncheck()
    enter(page, "hidden_features", "96")
    enter(page, "cutoff", "6")
    wait_status(page, r"recomputed graph")
    saved = form_values(page)
    assert saved["hidden_features"] == "96" and saved["lighten_edges"] == "false"
    with page.expect_download() as download:
        page.locator("a.alignn-nb-save").click()
    path = tmp_path / "config.json"
    download.value.save_as(path)
    written = json.loads(path.read_text())
    assert written["model"]["hidden_features"] == 96 and written["cutoff"] == 6.0
    enter(page, "hidden_features", "32")
    page.locator(".alignn-nb-status", has_text="recomputed model").wait_for()
    upload(page, "Load", path)
    page.locator(".alignn-nb-message", has_text="config.json").wait_for()
    assert form_values(page) == saved


VISIBLE_IMAGES = """() => [...document.querySelectorAll('img')]
    .filter(img => img.getClientRects().length > 0)
    .map(img => ({complete: img.complete, width: img.naturalWidth, src: img.src.slice(0, 40)}))"""
"""Every <img> the page shows: whether it has loaded, its natural width and its source."""


def visible_images(page, at_least: int = 0) -> list[dict]:
    """The shown images once there are ``at_least`` and each has loaded or failed (a broken
    one has naturalWidth 0)."""
    page.wait_for_function(
        f"() => (shown => shown.length >= {at_least} && shown.every(img => img.complete))"
        f"(({VISIBLE_IMAGES})())"
    )
    return page.evaluate(VISIBLE_IMAGES)


def test_6_before_any_data_the_sweep_explore_and_dataset_tabs_show_no_broken_image(dashboard):
    from alignn_nb.evaluation import evaluate, load_run, run_dataset
    from alignn_nb.training import example_run_data, example_run_path
    from alignn_nb.widgets import dataset_tab, sweep_tab

    page = dashboard
    hints = {"Sweep": sweep_tab.PLOT_HINT, "Dataset": dataset_tab.PLOT_HINT}
    for title in ("Sweep", "Explore", "Dataset"):
        open_tab(page, title)
        if title in hints:
            shown = page.locator(".alignn-nb-hint", has_text=hints[title]).first
        else:  # the example run's sentence, until the tab, once shown, starts opening it
            shown = page.get_by_text(re.compile(r"^(The example run: |opening .*mlearn_Si_run)"))
        shown.scroll_into_view_if_needed()
        screenshot(page, f"dashboard-6-{title.lower()}-before-data")
        assert [i for i in visible_images(page) if i["width"] == 0] == [], title
    open_tab(page, "Explore")
    run = load_run(example_run_path())
    expected = evaluate(run, run_dataset(run, example_run_data()), "test")
    summary = page.get_by_text(f"energy MAE {expected.energy_mae:.4g} eV/atom")
    summary.scroll_into_view_if_needed()
    screenshot(page, "dashboard-6-explore-example-run")
    shown = visible_images(page, at_least=3)  # the summary may come before the last plot
    assert len(shown) == 3 and all(i["width"] > 0 for i in shown)
