"""Fixtures for the workshop tests; the plain helpers live in workshop_helpers.py."""
from __future__ import annotations

from datetime import datetime

import pytest

from services.workshops import domain as d
from workshop_helpers import HEINSBERG, NOW, WASSENBERG, make_scheduled


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def planned() -> d.Workshop:
    return d.plan_series("call-2018", "app-wassenberg", WASSENBERG, "Wassenberg", 2,
                         topic="Smart City", invited_ags=[HEINSBERG])[0]


@pytest.fixture
def scheduled() -> d.Workshop:
    return make_scheduled()
