"""Input from strangers: nothing they can type makes the domain fail with anything but a domain error."""
from __future__ import annotations

from datetime import datetime

import pytest

from services.workshops import domain as d
from shared.errors import Forbidden, InvalidInput, NotFound
from workshop_helpers import NOW, make_scheduled, sign_up


@pytest.mark.parametrize("value", ["0001-01-01T00:30", "9999-12-31T23:00", datetime(1999, 12, 31, 12)])
def test_dates_outside_the_programmes_range_are_refused_by_field(value):
    with pytest.raises(InvalidInput) as err:
        d.to_utc(value, field="starts_at")
    assert err.value.field == "starts_at"


@pytest.mark.parametrize("code", ["ümlaut", "Ã¼", "\x00", "€" * 40])
def test_a_manage_code_with_any_characters_is_simply_not_found(code):
    workshop = make_scheduled()
    regs = []
    sign_up(workshop, regs, 2)
    with pytest.raises(NotFound):
        d.find_by_manage_code(regs, code)


@pytest.mark.parametrize("ags", ["053700401234", "", "abcdefgh"])
def test_a_municipality_token_without_a_valid_ags_may_not_register_even_where_open(ags):
    workshop = make_scheduled()
    d.schedule(workshop, {"restricted_to_invitees": False}, NOW, 0)
    with pytest.raises(Forbidden):
        d.may_register(workshop, "municipality", ags)
