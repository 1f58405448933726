"""Registering for a workshop: who may, when, the capacity, approval, the waitlist, check-in."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from services.workshops import domain as d
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from workshop_helpers import (
    ARNSBERG, GUETERSLOH, HEINSBERG, NOW, WASSENBERG, make_scheduled, request, sign_up,
)

UTC = timezone.utc


# --- who may register ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["staff", "partner", "steering"])
def test_staff_and_partners_may_register_for_any_workshop(scheduled, role):
    assert d.may_register(scheduled, role, None) is True


def test_the_host_municipality_may_register(scheduled):
    assert d.may_register(scheduled, "municipality", WASSENBERG) is True


def test_an_invited_not_selected_municipality_may_register(scheduled):
    assert d.may_register(scheduled, "municipality", HEINSBERG) is True


@pytest.mark.parametrize("ags", [GUETERSLOH, ARNSBERG, None])
def test_other_municipalities_are_forbidden(scheduled, ags):
    with pytest.raises(Forbidden):
        d.may_register(scheduled, "municipality", ags)


def test_unknown_roles_are_forbidden(scheduled):
    with pytest.raises(Forbidden):
        d.may_register(scheduled, "public", None)


# --- when ------------------------------------------------------------------------------------

def test_registration_before_it_opens_is_rejected(scheduled):
    with pytest.raises(Conflict, match="opens"):
        d.register(scheduled, [], request(), datetime(2026, 1, 15, tzinfo=UTC))


def test_registration_after_close_is_rejected(scheduled):
    closes = scheduled.registration_closes_at
    with pytest.raises(Conflict, match="closed"):
        d.register(scheduled, [], request(), closes)
    with pytest.raises(Conflict, match="closed"):
        d.register(scheduled, [], request(), closes + timedelta(days=1))


def test_registration_just_before_close_is_accepted(scheduled):
    reg = d.register(scheduled, [], request(), scheduled.registration_closes_at - timedelta(seconds=1))
    assert reg.status == "confirmed"


def test_no_registration_for_a_workshop_without_a_date(planned):
    with pytest.raises(Conflict):
        d.register(planned, [], request(), NOW)


def test_no_registration_for_a_cancelled_workshop(scheduled):
    d.cancel(scheduled, NOW)
    with pytest.raises(Conflict, match="cancelled"):
        d.register(scheduled, [], request(), NOW)


def test_no_registration_after_completion(scheduled):
    d.complete(scheduled, "Ergebnisse", [{"title": "Mobilstation", "field_of_action": "mobility"}],
               [], datetime(2026, 3, 27, tzinfo=UTC))
    with pytest.raises(Conflict):
        d.register(scheduled, [], request(), NOW)


# --- what ------------------------------------------------------------------------------------

def test_a_valid_registration_is_confirmed_with_a_secret_manage_code(scheduled):
    reg = d.register(scheduled, [], request(email="max.mustermann@example.org",
                                            participant_type="school"), NOW,
                     registrant_subject="user-17", registrant_ags=WASSENBERG)
    assert reg.status == "confirmed" and reg.workshop_id == scheduled.id
    assert reg.email == "max.mustermann@example.org" and reg.participant_type == "school"
    assert reg.consent is True and reg.created_at == NOW
    assert len(reg.manage_code) >= 32
    assert (reg.registrant_subject, reg.registrant_ags) == ("user-17", WASSENBERG)


def test_manage_codes_are_unique(scheduled):
    regs = []
    sign_up(scheduled, regs, 3)
    assert len({r.manage_code for r in regs}) == 3


def test_unknown_participant_type_is_rejected(scheduled):
    with pytest.raises(InvalidInput) as err:
        d.register(scheduled, [], request(participant_type="journalist"), NOW)
    assert err.value.field == "participant_type"


@pytest.mark.parametrize("consent", [False, None, "yes", 1])
def test_registration_requires_explicit_consent(scheduled, consent):
    with pytest.raises(InvalidInput) as err:
        d.register(scheduled, [], request(consent=consent), NOW)
    assert err.value.field == "consent"


def test_missing_consent_is_rejected(scheduled):
    req = request()
    del req["consent"]
    with pytest.raises(InvalidInput) as err:
        d.register(scheduled, [], req, NOW)
    assert err.value.field == "consent"


@pytest.mark.parametrize("field, value", [("name", " "), ("email", "no-at-sign"),
                                          ("email", ""), ("name", "x" * 201)])
def test_name_and_email_are_validated_by_field(scheduled, field, value):
    with pytest.raises(InvalidInput) as err:
        d.register(scheduled, [], request(**{field: value}), NOW)
    assert err.value.field == field


def test_organisation_may_be_empty_for_citizens(scheduled):
    reg = d.register(scheduled, [], request(organisation="", participant_type="citizen"), NOW)
    assert reg.organisation == ""


def test_unknown_request_fields_are_rejected_by_name(scheduled):
    with pytest.raises(InvalidInput) as err:
        d.register(scheduled, [], request(organization="Typo e. V."), NOW)
    assert err.value.field == "organization"


def test_the_same_email_cannot_register_twice_regardless_of_case(scheduled):
    first = d.register(scheduled, [], request(email="Erika.Beispiel@Example.org"), NOW)
    with pytest.raises(Conflict) as err:
        d.register(scheduled, [first], request(email="erika.beispiel@example.ORG"), NOW)
    assert err.value.field == "email"


def test_after_cancelling_the_same_email_may_register_again(scheduled):
    regs = [d.register(scheduled, [], request(email="erika.beispiel@example.org"), NOW)]
    d.cancel_registration(regs[0], regs, scheduled)
    again = d.register(scheduled, regs, request(email="erika.beispiel@example.org"), NOW)
    assert again.status == "confirmed"


def test_the_same_email_may_register_for_another_workshop(scheduled):
    other = make_scheduled()
    other.id = "another-workshop"
    first = d.register(scheduled, [], request(email="erika.beispiel@example.org"), NOW)
    second = d.register(other, [first], request(email="erika.beispiel@example.org"), NOW)
    assert second.status == "confirmed"


# --- capacity and waitlist -------------------------------------------------------------------

def test_registrations_beyond_capacity_go_to_the_waitlist_in_order(scheduled):
    regs = []
    sign_up(scheduled, regs, 5)
    assert [r.status for r in regs] == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert [r.waitlist_position for r in regs] == [None, None, None, 1, 2]


def test_unlimited_capacity_confirms_everyone():
    workshop = make_scheduled(capacity=None)
    regs = []
    sign_up(workshop, regs, 10)
    assert {r.status for r in regs} == {"confirmed"}


def test_cancelling_a_confirmed_place_promotes_the_first_waitlisted(scheduled):
    regs = []
    sign_up(scheduled, regs, 5)
    promoted = d.cancel_registration(regs[1], regs, scheduled)
    assert regs[1].status == "cancelled"
    assert promoted is regs[3]
    assert promoted.status == "confirmed" and promoted.waitlist_position is None
    assert regs[4].status == "waitlisted" and regs[4].waitlist_position == 1
    assert d.confirmed_count(regs) == 3


def test_promotion_is_first_come_first_served_by_creation_time(scheduled):
    regs = []
    sign_up(scheduled, regs, 3)
    late = d.register(scheduled, regs, request(), NOW + timedelta(hours=2))
    early = d.register(scheduled, regs + [late], request(), NOW + timedelta(hours=1))
    regs += [late, early]  # stored in a different order than they arrived
    assert d.cancel_registration(regs[0], regs, scheduled) is early


def test_cancelling_a_waitlisted_registration_promotes_nobody_but_renumbers(scheduled):
    regs = []
    sign_up(scheduled, regs, 6)
    assert d.cancel_registration(regs[3], regs, scheduled) is None
    assert [r.waitlist_position for r in regs[4:]] == [1, 2]
    assert d.confirmed_count(regs) == 3


def test_cancelling_with_an_empty_waitlist_promotes_nobody(scheduled):
    regs = []
    sign_up(scheduled, regs, 2)
    assert d.cancel_registration(regs[0], regs, scheduled) is None


def test_cancelling_twice_is_a_conflict(scheduled):
    regs = []
    sign_up(scheduled, regs, 1)
    d.cancel_registration(regs[0], regs, scheduled)
    with pytest.raises(Conflict):
        d.cancel_registration(regs[0], regs, scheduled)


def test_no_promotion_when_the_workshop_is_cancelled(scheduled):
    regs = []
    sign_up(scheduled, regs, 4)
    d.cancel(scheduled, NOW)
    assert d.cancel_registration(regs[0], regs, scheduled) is None
    assert regs[3].status == "waitlisted"


def test_raising_the_capacity_then_filling_from_the_waitlist(scheduled):
    regs = []
    sign_up(scheduled, regs, 6)
    d.schedule(scheduled, {"capacity": 5}, NOW, d.confirmed_count(regs))
    promoted = d.fill_from_waitlist(scheduled, regs)
    assert promoted == regs[3:5]
    assert regs[5].status == "waitlisted" and regs[5].waitlist_position == 1


# --- approval --------------------------------------------------------------------------------

def test_registrations_are_pending_when_the_workshop_requires_approval():
    workshop = make_scheduled(requires_approval=True)
    reg = d.register(workshop, [], request(), NOW)
    assert reg.status == "pending" and reg.waitlist_position is None


def test_approval_confirms_while_there_is_room_and_waitlists_after():
    workshop = make_scheduled(capacity=1, requires_approval=True)
    regs = []
    sign_up(workshop, regs, 2)
    assert d.approve(regs[0], workshop, regs).status == "confirmed"
    second = d.approve(regs[1], workshop, regs)
    assert second.status == "waitlisted" and second.waitlist_position == 1


def test_only_pending_registrations_can_be_approved_or_rejected(scheduled):
    reg = d.register(scheduled, [], request(), NOW)
    with pytest.raises(Conflict):
        d.approve(reg, scheduled, [reg])
    with pytest.raises(Conflict):
        d.reject(reg)


def test_a_rejected_person_cannot_simply_register_again():
    workshop = make_scheduled(requires_approval=True)
    reg = d.register(workshop, [], request(email="erika.beispiel@example.org"), NOW)
    assert d.reject(reg).status == "rejected"
    with pytest.raises(Conflict):
        d.register(workshop, [reg], request(email="erika.beispiel@example.org"), NOW)


# --- check-in and counts ---------------------------------------------------------------------

def test_check_in_records_the_time_for_confirmed_participants(scheduled):
    reg = d.register(scheduled, [], request(), NOW)
    at = datetime(2026, 3, 26, 9, 5, tzinfo=UTC)
    assert d.check_in(reg, at).checked_in_at == at


@pytest.mark.parametrize("status", ["waitlisted", "pending", "rejected", "cancelled"])
def test_only_confirmed_participants_can_check_in(scheduled, status):
    reg = d.register(scheduled, [], request(), NOW)
    reg.status = status
    with pytest.raises(Conflict):
        d.check_in(reg, NOW)


def test_checking_in_twice_is_a_conflict(scheduled):
    reg = d.register(scheduled, [], request(), NOW)
    d.check_in(reg, NOW)
    with pytest.raises(Conflict, match="Already checked in"):
        d.check_in(reg, NOW)


def test_a_checked_in_registration_cannot_be_cancelled(scheduled):
    reg = d.register(scheduled, [], request(), NOW)
    d.check_in(reg, NOW)
    with pytest.raises(Conflict):
        d.cancel_registration(reg, [reg], scheduled)


def test_attendance_counts_checked_in_people_by_participant_type():
    workshop = make_scheduled(capacity=None)
    regs = []
    sign_up(workshop, regs, 2, participant_type="school")
    sign_up(workshop, regs, 3, participant_type="business")
    sign_up(workshop, regs, 1, participant_type="municipality")
    for reg in regs[:4]:
        d.check_in(reg, NOW)
    counts = d.attendance_counts(regs)
    assert counts["school"] == 2 and counts["business"] == 2 and counts["municipality"] == 0
    assert set(counts) == set(d.PARTICIPANT_TYPES)
    assert d.registration_counts(regs)["business"] == 3


def test_find_by_manage_code(scheduled):
    regs = []
    sign_up(scheduled, regs, 3)
    assert d.find_by_manage_code(regs, regs[1].manage_code) is regs[1]
    with pytest.raises(NotFound):
        d.find_by_manage_code(regs, "guessed")
    with pytest.raises(NotFound):
        d.find_by_manage_code(regs, "")


# --- export ----------------------------------------------------------------------------------

def test_participants_csv_has_a_header_and_one_row_per_registration(scheduled):
    regs = []
    sign_up(scheduled, regs, 4)
    regs[0].name = "Jürgen Weiß"
    d.check_in(regs[0], datetime(2026, 3, 26, 8, 55, tzinfo=UTC))
    text = d.participants_csv(regs)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Name", "E-Mail", "Organisation"]
    assert len(rows) == 5
    assert rows[1][0] == "Jürgen Weiß"
    assert rows[1][7] == "26.03.2026 09:55"  # Berlin time
    assert rows[4][4] == "Warteliste" and rows[4][5] == "1"
    text.encode("utf-8")  # round-trips as UTF-8


def test_participants_csv_leaves_out_manage_codes(scheduled):
    regs = []
    sign_up(scheduled, regs, 2)
    text = d.participants_csv(regs)
    assert all(r.manage_code not in text for r in regs)


def test_participants_csv_neutralises_spreadsheet_formulas(scheduled):
    reg = d.register(scheduled, [], request(name="=HYPERLINK(\"http://x\")"), NOW)
    rows = list(csv.reader(io.StringIO(d.participants_csv([reg])), delimiter=";"))
    assert rows[1][0].startswith("'=")
