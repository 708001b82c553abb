"""Fixtures of the job tests (their helpers are in `tests.support.jobs`)."""

from __future__ import annotations

import pytest

from tests.support.jobs import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
