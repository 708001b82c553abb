"""Helpers the tests share. A test imports helpers from here, never from another test
module or a conftest."""
