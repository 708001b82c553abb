"""A page that loads while the kernel updates a widget ends with the newest value.

The notebook sets a label's value while the page's request for every widget's state is
answered (the interleaving a worker thread publishing during a page load produces). The
plain label shows that the page really missed the update; the label under
`resync_on_display` shows the newest value.
"""

from __future__ import annotations

from tests.support.browser import serve
from tests.support.repo import REPO


def test_a_view_drawn_after_a_missed_update_is_sent_the_newest_state(page):
    with serve(REPO / "tests" / "browser" / "notebooks" / "late_update.ipynb") as url:
        page.goto(url)
        page.locator(".resynced", has_text="newest").wait_for()
        assert page.locator(".plain").inner_text() == "older"
        assert page.locator(".resynced").inner_text() == "newest"
