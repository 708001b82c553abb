"""Picture: its hint until it has PNG bytes, the image then, the hint again once emptied."""

from __future__ import annotations

from alignn_nb.viz import figure_png
from alignn_nb.widgets._picture import Picture
from tests.support.pages import shown_hints, shown_images


def test_a_picture_shows_its_hint_until_it_has_bytes():
    from matplotlib.figure import Figure

    picture = Picture("press Run <now>")
    assert shown_images(picture) == [] and shown_hints(picture) == ["press Run <now>"]
    assert "press Run &lt;now&gt;" in picture.children[0].get_state()["value"]
    png = figure_png(Figure(figsize=(1, 1)))
    picture.value = png
    assert [bytes(i.value) for i in shown_images(picture)] == [png]
    assert shown_hints(picture) == []
    picture.value = b""
    assert shown_images(picture) == [] and shown_hints(picture) == ["press Run <now>"]
    picture.hint = ""
    assert picture.children == ()
