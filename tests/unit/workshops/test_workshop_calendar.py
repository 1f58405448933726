"""The .ics export: parses back with icalendar and keeps Berlin wall time across DST."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from services.workshops import domain as d
from services.workshops.calendar import feed_ics, workshop_ics, workshop_uid
from shared.errors import Conflict
from workshop_helpers import ARNSBERG, NOW, WASSENBERG

UTC = timezone.utc


def _series(ags=WASSENBERG, name="Wassenberg", app="app-wassenberg"):
    """Workshop 1 before the spring clock change (CET), workshop 2 after it (CEST)."""
    first, second = d.plan_series("call-2018", app, ags, name, 2, topic="Smart City")
    d.schedule(first, {"starts_at": datetime(2026, 3, 26, 10), "ends_at": datetime(2026, 3, 26, 16),
                       "venue": "Rathaus", "agenda": "Begrüßung\nMobilität"}, NOW, 0)
    d.schedule(second, {"starts_at": datetime(2026, 4, 2, 10), "ends_at": datetime(2026, 4, 2, 16),
                        "venue": "Rathaus"}, NOW, 0)
    return first, second


def _events(ics: bytes):
    cal = Calendar.from_ical(ics)
    return cal, {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_stored_times_are_utc_and_differ_by_the_dst_offset():
    first, second = _series()
    assert first.starts_at == datetime(2026, 3, 26, 9, tzinfo=UTC)
    assert second.starts_at == datetime(2026, 4, 2, 8, tzinfo=UTC)


def test_feed_parses_back_with_berlin_wall_time_across_the_clock_change():
    first, second = _series()
    cal, events = _events(feed_ics([first, second]))
    a, b = events[workshop_uid(first)], events[workshop_uid(second)]
    for event, utc_hour in ((a, 9), (b, 8)):
        start = event.start
        assert (start.hour, start.minute) == (10, 0)
        assert str(start.tzinfo) == "Europe/Berlin"
        assert start.astimezone(UTC).hour == utc_hour
        assert event.end.hour == 16
    assert a.start.utcoffset() == timedelta(hours=1)
    assert b.start.utcoffset() == timedelta(hours=2)


def test_feed_writes_tzid_and_a_berlin_vtimezone():
    first, second = _series()
    raw = feed_ics([first, second]).decode()
    assert "DTSTART;TZID=Europe/Berlin:20260326T100000" in raw
    assert "DTSTART;TZID=Europe/Berlin:20260402T100000" in raw
    cal = Calendar.from_ical(raw)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert cal.get_missing_tzids() == set()


def test_calendar_properties():
    first, _ = _series()
    cal = Calendar.from_ical(feed_ics([first]))
    assert str(cal["VERSION"]) == "2.0"
    assert "Netzwerk vor Ort" in str(cal["PRODID"])
    assert str(cal["X-WR-CALNAME"]).startswith("Netzwerk vor Ort")


def test_event_summary_location_description_status_and_stamp():
    first, _ = _series()
    event = Calendar.from_ical(workshop_ics(first)).events[0]
    assert str(event["SUMMARY"]) == "Strategiewerkstatt 1: Smart City in Wassenberg"
    assert str(event["LOCATION"]) == "Rathaus"
    assert str(event["DESCRIPTION"]) == "Begrüßung\nMobilität"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["DTSTAMP"].dt == NOW
    assert event["SEQUENCE"] == 0


def test_uid_is_stable_and_unique_per_workshop():
    first, second = _series()
    again, _ = _series()
    assert workshop_uid(first) == workshop_uid(again)
    assert workshop_uid(first) != workshop_uid(second)
    assert str(Calendar.from_ical(workshop_ics(first)).events[0]["UID"]) == workshop_uid(first)


def test_output_is_deterministic():
    first, second = _series()
    assert feed_ics([first, second]) == feed_ics([second, first])


def test_rescheduling_raises_the_sequence():
    first, _ = _series()
    d.schedule(first, {"starts_at": datetime(2026, 3, 26, 9)}, NOW + timedelta(days=1), 0)
    event = Calendar.from_ical(workshop_ics(first)).events[0]
    assert event["SEQUENCE"] == 1
    assert event.start.hour == 9
    assert event["DTSTAMP"].dt == NOW + timedelta(days=1)


def test_cancelled_workshops_stay_in_the_feed_as_cancelled_with_a_higher_sequence():
    first, second = _series()
    d.cancel(first, NOW + timedelta(days=2))
    _, events = _events(feed_ics([first, second]))
    cancelled = events[workshop_uid(first)]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] == 1
    assert str(events[workshop_uid(second)]["STATUS"]) == "CONFIRMED"


def test_completed_workshops_stay_in_the_feed():
    first, _ = _series()
    d.complete(first, "Ergebnis", [{"title": "Mobilstation", "field_of_action": "mobility"}], [],
               datetime(2026, 3, 27, tzinfo=UTC))
    _, events = _events(feed_ics([first]))
    assert str(events[workshop_uid(first)]["STATUS"]) == "CONFIRMED"


def test_planned_workshops_without_dates_are_left_out_of_the_feed():
    first, second = _series()
    undated = d.plan_series("call-2018", "app-arnsberg", ARNSBERG, "Arnsberg", 2)
    cancelled_undated = d.cancel(undated[1], NOW)
    _, events = _events(feed_ics([first, second, undated[0], cancelled_undated]))
    assert set(events) == {workshop_uid(first), workshop_uid(second)}


def test_feed_sorts_events_by_start_across_municipalities():
    w_first, w_second = _series()
    a_first, _ = _series(ARNSBERG, "Arnsberg", "app-arnsberg")
    d.schedule(a_first, {"starts_at": datetime(2026, 3, 30, 10), "ends_at": datetime(2026, 3, 30, 12)},
               NOW, 0)
    cal = Calendar.from_ical(feed_ics([w_second, a_first, w_first]))
    assert [e.start.date().isoformat() for e in cal.events] == ["2026-03-26", "2026-03-30", "2026-04-02"]


def test_empty_feed_is_still_a_valid_calendar():
    cal = Calendar.from_ical(feed_ics([]))
    assert cal.events == []
    assert str(cal["VERSION"]) == "2.0"


def test_single_workshop_ics_needs_a_date():
    planned = d.plan_series("call-2018", "app-arnsberg", ARNSBERG, "Arnsberg", 1)[0]
    with pytest.raises(Conflict):
        workshop_ics(planned)


def test_autumn_workshop_after_the_october_change_is_cet_again():
    first, _ = _series()
    d.schedule(first, {"starts_at": datetime(2026, 10, 26, 10), "ends_at": datetime(2026, 10, 26, 12)},
               NOW, 0)
    event = Calendar.from_ical(workshop_ics(first)).events[0]
    assert event.start.hour == 10 and event.start.utcoffset() == timedelta(hours=1)
    assert first.starts_at == datetime(2026, 10, 26, 9, tzinfo=UTC)
