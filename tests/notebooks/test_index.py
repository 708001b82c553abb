"""The Binder start page links every notebook, and only notebooks that exist, and lists
every tab of the dashboard as the dashboard describes it."""

from __future__ import annotations

import re

import nbformat

from tests.support.repo import REPO

NOTEBOOKS = REPO / "notebooks"


def test_the_start_page_links_each_notebook_once():
    page = nbformat.read(NOTEBOOKS / "index.ipynb", as_version=4)
    assert [cell.cell_type for cell in page.cells] == ["markdown"]
    linked = re.findall(r"\]\(([^)]+\.ipynb)\)", page.cells[0].source)
    present = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb") if p.name != "index.ipynb")
    assert sorted(linked) == present
    assert present == ["dashboard.ipynb", "graph_construction.ipynb", "loss_terms.ipynb"]


def test_the_binder_badge_opens_the_start_page():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "?urlpath=voila%2Frender%2Fnotebooks%2Findex.ipynb)" in readme


def test_the_start_page_lists_every_dashboard_tab_as_the_dashboard_describes_it():
    from alignn_nb.widgets.dashboard import TAB_GUIDE, TABS

    page = nbformat.read(NOTEBOOKS / "index.ipynb", as_version=4)
    listed = re.findall(r"^- \*\*(.+?)\*\*: (.+)\.$", page.cells[0].source, flags=re.MULTILINE)
    assert [name for name, _ in listed] == list(TABS) == list(TAB_GUIDE)
    assert listed == list(TAB_GUIDE.items())
    assert len(TABS) == 7
