"""The served dashboard in a real browser: the parameter count follows hidden_features."""

from __future__ import annotations

import re

import pytest
from alignn.models.alignn_atomwise import ALIGNNAtomWise
from alignn.models.alignn_atomwise import ALIGNNAtomWiseConfig as AlignnConfig

from tests.browser.conftest import screenshot, serve
from tests.conftest import REPO


def alignn_total(**fields) -> str:
    model = ALIGNNAtomWise(AlignnConfig(name="alignn_atomwise", **fields))
    return f"{sum(p.numel() for p in model.parameters()):,}"


@pytest.fixture(scope="module")
def dashboard_url():
    with serve(REPO / "notebooks" / "dashboard.ipynb") as url:
        yield url


def field_input(page, name: str):
    label = page.locator("label", has_text=re.compile(rf"^{name}$"))
    return page.locator(".widget-inline-hbox", has=label).locator("input")


def test_hidden_features_128_shows_alignns_parameter_count(page, dashboard_url):
    page.goto(dashboard_url)
    total = page.locator(".alignn-nb-param-total")
    total.wait_for()
    assert total.inner_text() == alignn_total() == "143,297"
    box = field_input(page, "hidden_features")
    box.fill("128")
    box.press("Enter")
    expected = alignn_total(hidden_features=128)
    page.wait_for_function(
        "expected => document.querySelector('.alignn-nb-param-total').innerText === expected",
        arg=expected,
    )
    assert total.inner_text() == "524,289"
    screenshot(page, "dashboard-hidden-features-128")
