"""Scheduling, rescheduling and cancelling workshops; Berlin wall time versus stored UTC."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.workshops import domain as d
from shared.errors import Conflict, InvalidInput
from workshop_helpers import NOW, make_scheduled

UTC = timezone.utc


def _times(**extra):
    return {"starts_at": datetime(2026, 3, 26, 10), "ends_at": datetime(2026, 3, 26, 16), **extra}


# --- local time ------------------------------------------------------------------------------

def test_naive_input_is_berlin_wall_time_in_winter_and_in_summer():
    assert d.to_utc(datetime(2026, 3, 26, 10)) == datetime(2026, 3, 26, 9, tzinfo=UTC)
    assert d.to_utc(datetime(2026, 4, 2, 10)) == datetime(2026, 4, 2, 8, tzinfo=UTC)


def test_to_utc_across_the_spring_forward_night_of_2026_03_29():
    assert d.to_utc(datetime(2026, 3, 29, 1, 30)) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert d.to_utc(datetime(2026, 3, 29, 3, 30)) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_wall_time_skipped_by_the_clock_change_is_rejected():
    with pytest.raises(InvalidInput) as err:
        d.to_utc(datetime(2026, 3, 29, 2, 30), field="starts_at")
    assert err.value.field == "starts_at"


def test_a_wall_time_that_occurs_twice_in_autumn_means_the_summer_time_one():
    assert d.to_utc(datetime(2026, 10, 25, 2, 30)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert d.to_utc(datetime(2026, 10, 25, 3, 30)) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


def test_input_with_an_offset_is_taken_as_it_is():
    assert d.to_utc("2026-04-02T10:00:00+02:00") == datetime(2026, 4, 2, 8, tzinfo=UTC)
    assert d.to_utc("2026-04-02T08:00:00Z") == datetime(2026, 4, 2, 8, tzinfo=UTC)


def test_to_utc_rejects_garbage_with_the_field_name():
    with pytest.raises(InvalidInput) as err:
        d.to_utc("next thursday", field="ends_at")
    assert err.value.field == "ends_at"


def test_to_local_shows_berlin_time_with_the_season_offset():
    winter = d.to_local(datetime(2026, 3, 26, 9, tzinfo=UTC))
    summer = d.to_local(datetime(2026, 4, 2, 8, tzinfo=UTC))
    assert (winter.hour, winter.utcoffset()) == (10, timedelta(hours=1))
    assert (summer.hour, summer.utcoffset()) == (10, timedelta(hours=2))
    autumn = d.to_local(datetime(2026, 10, 25, 9, tzinfo=UTC))
    assert (autumn.hour, autumn.utcoffset()) == (10, timedelta(hours=1))


def test_to_local_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        d.to_local(datetime(2026, 3, 26, 9))


# --- scheduling ------------------------------------------------------------------------------

def test_first_scheduling_sets_times_in_utc_and_emits_workshop_scheduled(planned):
    workshop, event = d.schedule(planned, _times(venue="Rathaus", capacity=40), NOW, 0)
    assert event == "WorkshopScheduled"
    assert workshop.status == "scheduled"
    assert workshop.starts_at == datetime(2026, 3, 26, 9, tzinfo=UTC)
    assert workshop.ends_at == datetime(2026, 3, 26, 15, tzinfo=UTC)
    assert workshop.updated_at == NOW and workshop.revision == 0


def test_changing_the_time_later_emits_workshop_rescheduled_and_bumps_the_revision(scheduled):
    _, event = d.schedule(scheduled, {"starts_at": datetime(2026, 3, 26, 9)}, NOW, 0)
    assert event == "WorkshopRescheduled"
    assert scheduled.revision == 1
    assert scheduled.updated_at == NOW


def test_changing_the_venue_later_emits_workshop_rescheduled(scheduled):
    _, event = d.schedule(scheduled, {"venue": "Burg Wassenberg"}, NOW, 0)
    assert event == "WorkshopRescheduled"


def test_changing_only_the_agenda_needs_no_event(scheduled):
    _, event = d.schedule(scheduled, {"agenda": "Neue Tagesordnung"}, NOW, 0)
    assert event is None
    assert scheduled.agenda == "Neue Tagesordnung" and scheduled.revision == 0


def test_setting_the_same_time_again_is_not_a_reschedule(scheduled):
    _, event = d.schedule(scheduled, {"starts_at": "2026-03-26T10:00"}, NOW, 0)
    assert event is None and scheduled.revision == 0


def test_first_scheduling_needs_a_start_and_an_end(planned):
    with pytest.raises(InvalidInput) as err:
        d.schedule(planned, {"ends_at": datetime(2026, 3, 26, 16)}, NOW, 0)
    assert err.value.field == "starts_at"
    with pytest.raises(InvalidInput) as err:
        d.schedule(planned, {"starts_at": datetime(2026, 3, 26, 16)}, NOW, 0)
    assert err.value.field == "ends_at"


@pytest.mark.parametrize("end", [datetime(2026, 3, 26, 10), datetime(2026, 3, 26, 9)])
def test_the_end_must_be_after_the_start(planned, end):
    with pytest.raises(InvalidInput) as err:
        d.schedule(planned, _times(ends_at=end), NOW, 0)
    assert err.value.field == "ends_at"
    assert planned.status == "planned" and planned.starts_at is None  # nothing half-applied


def test_registration_must_close_after_it_opens(planned):
    changes = _times(registration_opens_at=datetime(2026, 3, 10), registration_closes_at=datetime(2026, 3, 1))
    with pytest.raises(InvalidInput) as err:
        d.schedule(planned, changes, NOW, 0)
    assert err.value.field == "registration_closes_at"


def test_registration_may_not_close_after_the_workshop_ends(planned):
    with pytest.raises(InvalidInput) as err:
        d.schedule(planned, _times(registration_closes_at=datetime(2026, 3, 26, 17)), NOW, 0)
    assert err.value.field == "registration_closes_at"


def test_registration_may_close_during_the_workshop(planned):
    workshop, _ = d.schedule(planned, _times(registration_closes_at=datetime(2026, 3, 26, 12)), NOW, 0)
    assert workshop.registration_closes_at == datetime(2026, 3, 26, 11, tzinfo=UTC)


def test_registration_without_a_close_time_must_open_before_the_start(planned):
    with pytest.raises(InvalidInput) as err:
        d.schedule(planned, _times(registration_opens_at=datetime(2026, 3, 26, 11)), NOW, 0)
    assert err.value.field == "registration_opens_at"


def test_capacity_below_the_confirmed_count_is_rejected(scheduled):
    with pytest.raises(InvalidInput) as err:
        d.schedule(scheduled, {"capacity": 4}, NOW, confirmed_count=5)
    assert err.value.field == "capacity"
    assert scheduled.capacity == 3


def test_capacity_equal_to_the_confirmed_count_is_fine(scheduled):
    d.schedule(scheduled, {"capacity": 5}, NOW, confirmed_count=5)
    assert scheduled.capacity == 5


@pytest.mark.parametrize("capacity", [0, -3, 2.5, "10", True])
def test_capacity_must_be_a_positive_whole_number(scheduled, capacity):
    with pytest.raises(InvalidInput) as err:
        d.schedule(scheduled, {"capacity": capacity}, NOW, 0)
    assert err.value.field == "capacity"


def test_capacity_may_be_unlimited(scheduled):
    d.schedule(scheduled, {"capacity": None}, NOW, confirmed_count=120)
    assert scheduled.capacity is None


def test_unknown_fields_are_rejected_by_name(scheduled):
    with pytest.raises(InvalidInput) as err:
        d.schedule(scheduled, {"status": "completed"}, NOW, 0)
    assert err.value.field == "status"


def test_requires_approval_must_be_a_boolean(scheduled):
    with pytest.raises(InvalidInput) as err:
        d.schedule(scheduled, {"requires_approval": "yes"}, NOW, 0)
    assert err.value.field == "requires_approval"


def test_a_cancelled_workshop_cannot_be_rescheduled(scheduled):
    d.cancel(scheduled, NOW)
    with pytest.raises(Conflict):
        d.schedule(scheduled, {"venue": "Burg Wassenberg"}, NOW, 0)


def test_a_completed_workshop_cannot_be_rescheduled(scheduled):
    d.complete(scheduled, "Ergebnisse", [{"title": "Mobilstation", "field_of_action": "mobility"}],
               [], datetime(2026, 3, 27, tzinfo=UTC))
    with pytest.raises(Conflict):
        d.schedule(scheduled, {"capacity": 50}, NOW, 0)


# --- cancelling ------------------------------------------------------------------------------

def test_cancel_marks_the_workshop_cancelled_and_bumps_the_revision(scheduled):
    d.cancel(scheduled, NOW)
    assert scheduled.status == "cancelled"
    assert scheduled.revision == 1 and scheduled.updated_at == NOW


def test_a_planned_workshop_can_be_cancelled(planned):
    assert d.cancel(planned, NOW).status == "cancelled"


def test_cancelling_twice_or_after_completion_is_a_conflict(scheduled):
    d.cancel(scheduled, NOW)
    with pytest.raises(Conflict):
        d.cancel(scheduled, NOW)
    done = make_scheduled()
    d.complete(done, "Ergebnisse", [{"title": "Mobilstation", "field_of_action": "mobility"}],
               [], datetime(2026, 3, 27, tzinfo=UTC))
    with pytest.raises(Conflict):
        d.cancel(done, NOW)


def test_registration_window_defaults_to_closing_at_the_start(planned):
    d.schedule(planned, _times(), NOW, 0)
    assert d.registration_window(planned) == (None, planned.starts_at)
    assert d.is_registration_open(planned, NOW)
    assert not d.is_registration_open(planned, planned.starts_at)
