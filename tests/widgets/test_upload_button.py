"""UploadButton: the kernel side of a file that the page checks before sending it."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from alignn_nb.structures import MAX_UPLOAD_BYTES
from alignn_nb.widgets import UploadButton
from alignn_nb.widgets.upload_button import CHUNK_BYTES
from tests.support.pages import page_message, page_refuses, page_sends

BIG = 21 * 1024 * 1024


@pytest.fixture
def button() -> UploadButton:
    return UploadButton(accept=[".json"], kind="an alignn config.json", description="Load")


@pytest.fixture
def seen(button) -> dict[str, list]:
    """The callbacks' calls: accepted files and refusals."""
    calls: dict[str, list] = {"files": [], "refusals": []}
    button.on_file(lambda name, content: calls["files"].append((name, content)))
    button.on_refused(calls["refusals"].append)
    return calls


def test_the_page_gets_the_filter_and_limits(button):
    state = button.get_state()
    assert state["accept"] == [".json"] and state["accept_names"] == []
    assert state["max_bytes"] == MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    assert state["chunk_bytes"] == CHUNK_BYTES == 1024 * 1024
    assert (state["description"], state["icon"], state["disabled"]) == ("Load", "upload", False)
    assert 'file.size > model.get("max_bytes")' in state["_esm"]


def test_an_accepted_file_arrives_in_pieces(button, seen):
    button.chunk_bytes = 4
    page_sends(button, "config.json", b'{"model": {}}')
    assert seen == {"files": [("config.json", b'{"model": {}}')], "refusals": []}
    assert button.error == ""


def test_an_empty_file_arrives_empty(button, seen):
    page_sends(button, "empty.json", b"")
    assert seen["files"] == [("empty.json", b"")]


def test_an_oversized_file_refused_by_the_page_is_named_with_its_size(button, seen):
    page_refuses(button, "big.json", BIG)
    message = "big.json is 21.0 MB (22,020,096 bytes); uploads are limited to 20 MB"
    assert button.error == message
    assert seen == {"files": [], "refusals": [message]}


def test_a_name_outside_the_filter_is_refused(button, seen):
    page_refuses(button, "notes.txt", 5)
    message = "notes.txt is not an alignn config.json; give a file ending in .json"
    assert button.error == message
    assert seen == {"files": [], "refusals": [message]}


def test_suffixes_and_names_are_matched_without_case():
    button = UploadButton(accept=[".cif", ".xyz"], accept_names=["POSCAR"])
    assert button.check("Si.CIF", 10) == button.check("poscar_relaxed", 10) == ""
    assert button.check("a.txt", 10) == (
        "a.txt is not a file this button takes; give a file ending in .cif or .xyz, "
        "or named POSCAR…"
    )


def test_the_kernel_refuses_what_a_page_sends_past_its_checks(button, seen):
    button.max_bytes, button.chunk_bytes = 8, 4
    page_sends(button, "big.json", b"0123456789")
    page_sends(button, "model.pkl", b"\x80")
    assert seen["files"] == []
    assert seen["refusals"] == [
        "big.json is 10 bytes; uploads are limited to 8 bytes",
        "model.pkl is not an alignn config.json; give a file ending in .json",
    ]


def test_pieces_out_of_order_are_refused_and_a_new_upload_starts_clean(button, seen):
    head = {"event": "chunk", "name": "c.json", "size": 6, "count": 3}
    page_message(button, {**head, "index": 0}, (b"ab",))
    page_message(button, {**head, "index": 2}, (b"ef",))
    assert seen["refusals"] == ["c.json arrived incomplete; upload it again"]
    page_message(button, {**head, "index": 1}, (b"cd",))
    button.chunk_bytes = 2
    page_sends(button, "c.json", b"abcdef")
    assert seen == {
        "files": [("c.json", b"abcdef")],
        "refusals": ["c.json arrived incomplete; upload it again"],
    }
    assert button.error == ""


@pytest.mark.parametrize(
    "content",
    ["text", {"event": "chunk"}, {"event": "chunk", "name": "a.json", "size": "x"}, {}],
)
def test_a_malformed_message_changes_nothing(button, seen, content):
    page_message(button, content)
    assert seen == {"files": [], "refusals": []}
    assert button.error == ""


def test_accept_takes_suffixes_only():
    with pytest.raises(TraitError, match=r"^accept takes file suffixes such as '\.json', not"):
        UploadButton(accept=["json"])


def test_pieces_stay_under_the_default_websocket_limit(button):
    with pytest.raises(TraitError, match="should not be greater than 8388608"):
        button.chunk_bytes = 10 * 1024 * 1024
    assert button.chunk_bytes == CHUNK_BYTES
