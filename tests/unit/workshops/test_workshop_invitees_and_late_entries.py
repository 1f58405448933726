"""Rules added with the service: who counts as invitee, the office's late entries, and what of the
participants the results may name (organisations, never people)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.workshops import domain as d
from shared.errors import Conflict, Forbidden, InvalidInput
from workshop_helpers import GUETERSLOH, HEINSBERG, NOW, WASSENBERG, make_scheduled, request, sign_up

UTC = timezone.utc


def test_workshops_are_restricted_to_invitees_by_default(scheduled):
    assert scheduled.restricted_to_invitees is True
    with pytest.raises(Forbidden):
        d.may_register(scheduled, "municipality", GUETERSLOH)


def test_lifting_the_restriction_lets_every_municipality_register_without_an_event(scheduled):
    _, event = d.schedule(scheduled, {"restricted_to_invitees": False}, NOW, 0)
    assert event is None
    assert d.may_register(scheduled, "municipality", GUETERSLOH) is True


def test_the_restriction_flag_must_be_a_boolean(scheduled):
    with pytest.raises(InvalidInput) as err:
        d.schedule(scheduled, {"restricted_to_invitees": "no"}, NOW, 0)
    assert err.value.field == "restricted_to_invitees"


@pytest.mark.parametrize("role", ["partner", "steering", "staff"])
def test_the_restriction_never_applies_to_partners_the_steering_group_or_the_office(role):
    workshop = make_scheduled()
    assert d.may_register(workshop, role, None) is True


def test_the_steering_group_role_has_its_real_name():
    assert {"partner", "steering"} == d.PARTNER_ROLES


def test_a_late_entry_ignores_the_registration_window(scheduled):
    at_the_door = datetime(2026, 3, 26, 9, 30, tzinfo=UTC)
    with pytest.raises(Conflict, match="closed"):
        d.register(scheduled, [], request(), at_the_door)
    assert d.register(scheduled, [], request(), at_the_door, late_entry=True).status == "confirmed"


def test_a_late_entry_still_cannot_reopen_a_completed_or_cancelled_workshop(scheduled):
    d.complete(scheduled, "Ergebnis", [{"title": "Mobilstation", "field_of_action": "mobility"}], [],
               datetime(2026, 3, 27, tzinfo=UTC))
    with pytest.raises(Conflict):
        d.register(scheduled, [], request(), NOW, late_entry=True)
    cancelled = d.cancel(make_scheduled(), NOW)
    with pytest.raises(Conflict):
        d.register(cancelled, [], request(), NOW, late_entry=True)


def test_participant_organisations_name_institutions_that_attended_but_no_citizens():
    workshop = make_scheduled(capacity=2)
    regs = []
    sign_up(workshop, regs, 1, participant_type="business", organisation="Stadtwerke Wassenberg")
    sign_up(workshop, regs, 1, participant_type="citizen", organisation="Familie Beispiel")
    sign_up(workshop, regs, 1, participant_type="school", organisation="Gesamtschule")  # waitlisted
    for reg in regs:
        if reg.status == "confirmed":
            d.check_in(reg, NOW)
    assert d.participant_organisations(regs) == ["Stadtwerke Wassenberg"]


def test_participant_organisations_are_sorted_without_duplicates_or_blanks():
    workshop = make_scheduled(capacity=None)
    regs = []
    for organisation in ("IHK NRW", "Betty-Reis-Gesamtschule", "IHK NRW", ""):
        sign_up(workshop, regs, 1, participant_type="steering_partner", organisation=organisation)
    for reg in regs:
        d.check_in(reg, NOW)
    assert d.participant_organisations(regs) == ["Betty-Reis-Gesamtschule", "IHK NRW"]


def test_a_series_carries_the_municipalitys_population_and_size_class():
    first, second = d.plan_series("c", "a", WASSENBERG, "Wassenberg", 2, population=18_500, size_class="small",
                                  invited_ags=[HEINSBERG])
    assert (first.municipality_population, second.municipality_size_class) == (18_500, "small")


# --- erasure ---------------------------------------------------------------------------------

def _erase(reg, regs, workshop):
    return d.erase_registrant(reg, regs, workshop, erased_name="[gelöscht]",
                              erased_email=f"erased-{reg.id[:12]}@invalid.invalid")


def test_erasing_a_place_ahead_gives_it_to_the_waitlist_and_forgets_the_person():
    workshop = make_scheduled(capacity=1)
    regs = []
    sign_up(workshop, regs, 2, participant_type="citizen", organisation="Familie Beispiel")
    code = regs[0].manage_code
    assert _erase(regs[0], regs, workshop) is regs[1]
    assert (regs[0].status, regs[0].name, regs[0].organisation) == ("cancelled", "[gelöscht]", "")
    assert regs[0].email.endswith("@invalid.invalid") and regs[0].manage_code != code
    assert regs[0].registrant_subject is None


def test_erasing_after_the_workshop_keeps_the_attendance():
    workshop = make_scheduled(capacity=None)
    regs = []
    sign_up(workshop, regs, 1, participant_type="business", organisation="Stadtwerke Wassenberg")
    d.check_in(regs[0], NOW)
    d.complete(workshop, "Ergebnis", [{"title": "Mobilstation", "field_of_action": "mobility"}], [],
               datetime(2026, 3, 27, tzinfo=UTC))
    assert _erase(regs[0], regs, workshop) is None
    assert regs[0].status == "confirmed" and regs[0].organisation == "Stadtwerke Wassenberg"
    assert d.attendance_counts(regs)["business"] == 1
