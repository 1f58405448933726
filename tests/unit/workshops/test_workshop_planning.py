"""Planning a workshop series when the steering group's selection is announced."""
from __future__ import annotations

import pytest

from services.workshops import domain as d
from shared.errors import Conflict, InvalidInput
from workshop_helpers import HEINSBERG, SIEGEN, WASSENBERG, make_scheduled


def test_plan_series_creates_one_planned_workshop_per_sequence_number():
    series = d.plan_series("call-2018", "app-siegen", SIEGEN, "Siegen", 2, topic="Smart City")
    assert [w.sequence for w in series] == [1, 2]
    assert all(w.status == "planned" and w.starts_at is None for w in series)
    assert all(w.municipality_ags == SIEGEN and w.call_id == "call-2018" for w in series)


def test_a_redelivered_selection_event_yields_the_same_workshop_ids():
    first = d.plan_series("call-2018", "app-siegen", SIEGEN, "Siegen", 2)
    again = d.plan_series("call-2018", "app-siegen", SIEGEN, "Siegen", 2)
    assert [w.id for w in first] == [w.id for w in again]
    assert first[0].id == d.workshop_id_for("app-siegen", 1)


def test_workshop_ids_differ_between_sequences_and_applications():
    ids = {w.id for app in ("app-a", "app-b") for w in d.plan_series("c", app, SIEGEN, "Siegen", 2)}
    assert len(ids) == 4


def test_title_names_sequence_topic_and_municipality():
    workshop = d.plan_series("c", "a", WASSENBERG, "Wassenberg", 2, topic="Smart City")[0]
    assert workshop.title == "Strategiewerkstatt 1: Smart City in Wassenberg"


def test_invited_municipalities_exclude_the_host():
    workshop = d.plan_series("c", "a", WASSENBERG, "Wassenberg", 1,
                             invited_ags=[HEINSBERG, WASSENBERG])[0]
    assert workshop.invited_ags == {HEINSBERG}


@pytest.mark.parametrize("ags", ["5370040", "0537004X", "", None])
def test_plan_series_rejects_a_malformed_ags(ags):
    with pytest.raises(InvalidInput) as err:
        d.plan_series("c", "a", ags, "Wassenberg", 2)
    assert err.value.field == "municipality_ags"


@pytest.mark.parametrize("count", [0, -1, True, "2"])
def test_plan_series_needs_at_least_one_workshop(count):
    with pytest.raises(InvalidInput) as err:
        d.plan_series("c", "a", WASSENBERG, "Wassenberg", count)
    assert err.value.field == "workshops_per_place"


def test_plan_series_needs_a_municipality_name():
    with pytest.raises(InvalidInput) as err:
        d.plan_series("c", "a", WASSENBERG, "  ", 2)
    assert err.value.field == "municipality_name"


def test_invite_municipalities_adds_valid_ags_and_rejects_malformed_ones(planned):
    d.invite_municipalities(planned, [SIEGEN])
    assert planned.invited_ags == {HEINSBERG, SIEGEN}
    with pytest.raises(InvalidInput) as err:
        d.invite_municipalities(planned, ["123"])
    assert err.value.field == "invited_ags"


def test_no_invitations_to_a_cancelled_workshop():
    workshop = d.cancel(make_scheduled())
    with pytest.raises(Conflict):
        d.invite_municipalities(workshop, [SIEGEN])
