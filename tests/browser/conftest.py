"""Browser tests: Debian's chromium driven by Playwright against pages served by Voila
(the helpers they share are in `tests.support.browser`)."""

from __future__ import annotations

import os

import pytest

from tests.support.browser import CHROMIUM, LAUNCH_ARGS, PAGE_TIMEOUT_MS, SCREENSHOTS
from tests.support.repo import IN_CI


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _screenshot_folder(tmp_path_factory: pytest.TempPathFactory):
    """Screenshots go to ``$ALIGNN_NB_SCREENSHOTS``, or else into the run's temporary folder."""
    with pytest.MonkeyPatch.context() as patch:
        if not os.environ.get(SCREENSHOTS):
            patch.setenv(SCREENSHOTS, str(tmp_path_factory.getbasetemp() / "screenshots"))
        yield


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium with software WebGL; skips (fails under CI) without it."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make browser` installs Debian's chromium as root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page at 1366×768 with generous timeouts for kernel start-up."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    opened = context.new_page()
    opened.set_default_timeout(PAGE_TIMEOUT_MS)
    yield opened
    context.close()
