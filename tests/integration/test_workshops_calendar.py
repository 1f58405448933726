"""The public calendar over HTTP: parses with icalendar, keeps Berlin wall time across the clock
changes, needs no token and carries no personal data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from services.workshops.app import create_app
from support import bearer, settings
from workshops_support import ARNSBERG, WASSENBERG, Clock, Selection, deliver

pytestmark = pytest.mark.integration

UTC = timezone.utc
STAFF = bearer("staff", "staff:erika")


@pytest.fixture
def client(pg_database):
    app = create_app(settings("workshops", pg_database("workshops"), "127.0.0.1:1"),
                     clock=Clock(datetime(2026, 3, 1, 9, tzinfo=UTC)))
    return app.test_client()


@pytest.fixture
def workshops(client):
    """Wassenberg 1 before the spring change (CET), Wassenberg 2 after it (CEST), Arnsberg 1 after the
    autumn change (CET again); Arnsberg 2 stays planned."""
    chosen = Selection.fresh((WASSENBERG, ARNSBERG))
    deliver(client.application, chosen.selected(WASSENBERG), chosen.selected(ARNSBERG), chosen.completed())
    listing = client.get(f"/v1/workshops?call_id={chosen.call_id}", headers=STAFF).json
    ids = {(w["municipality"]["ags"], w["sequence"]): w["id"] for w in listing}
    dates = {(WASSENBERG, 1): ("2026-03-26T10:00", "2026-03-26T16:00"),
             (WASSENBERG, 2): ("2026-04-02T10:00", "2026-04-02T16:00"),
             (ARNSBERG, 1): ("2026-10-26T10:00", "2026-10-26T15:30")}
    for key, (starts, ends) in dates.items():
        response = client.patch(f"/v1/workshops/{ids[key]}", headers=STAFF, json={
            "starts_at": starts, "ends_at": ends, "venue": "Rathaus", "capacity": 30})
        assert response.status_code == 200, response.json
    return ids


def events_by_uid(body: bytes) -> dict:
    return {str(event["UID"]).split("@")[0]: event for event in Calendar.from_ical(body).walk("VEVENT")}


def test_the_feed_parses_and_keeps_berlin_wall_time_across_the_clock_changes(client, workshops):
    response = client.get("/v1/calendar.ics")  # no token: calendar programs cannot send one
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_by_uid(response.data)
    expected = {(WASSENBERG, 1): (9, timedelta(hours=1)), (WASSENBERG, 2): (8, timedelta(hours=2)),
                (ARNSBERG, 1): (9, timedelta(hours=1))}
    for key, (utc_hour, offset) in expected.items():
        event = events[workshops[key]]
        assert (event.start.hour, event.start.minute) == (10, 0)
        assert str(event.start.tzinfo) == "Europe/Berlin"
        assert event.start.utcoffset() == offset
        assert event.start.astimezone(UTC).hour == utc_hour
    assert workshops[(ARNSBERG, 2)] not in events  # planned, no date yet
    raw = response.data.decode()
    assert "DTSTART;TZID=Europe/Berlin:20260326T100000" in raw
    assert "DTSTART;TZID=Europe/Berlin:20260402T100000" in raw
    assert Calendar.from_ical(response.data).get_missing_tzids() == set()


def test_one_workshops_file_has_its_event_and_the_title(client, workshops):
    response = client.get(f"/v1/workshops/{workshops[(WASSENBERG, 2)]}.ics")
    assert response.status_code == 200
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Strategiewerkstatt 2: Smart City in Wassenberg"
    assert event.end.hour == 16 and event.end.utcoffset() == timedelta(hours=2)
    assert client.get(f"/v1/workshops/{workshops[(ARNSBERG, 2)]}.ics").status_code == 409
    assert client.get("/v1/workshops/no-such-workshop.ics").status_code == 404


def test_the_feed_carries_no_personal_data(client, workshops):
    registration = client.post(f"/v1/workshops/{workshops[(WASSENBERG, 1)]}/registrations", headers=STAFF, json={
        "name": "Jana Beispiel", "email": "jana.beispiel@example.org", "organisation": "Heimatverein",
        "participant_type": "citizen", "consent": True}).json
    body = client.get("/v1/calendar.ics").data.decode()
    for secret in ("Jana", "jana.beispiel", "Heimatverein", registration["manage_code"], registration["id"]):
        assert secret not in body


def test_a_rescheduled_workshop_gets_a_higher_sequence_and_a_cancelled_one_stays_as_cancelled(client, workshops):
    client.patch(f"/v1/workshops/{workshops[(WASSENBERG, 1)]}", headers=STAFF, json={"starts_at": "2026-03-26T09:00"})
    client.post(f"/v1/workshops/{workshops[(ARNSBERG, 1)]}/cancel", headers=STAFF)
    events = events_by_uid(client.get("/v1/calendar.ics").data)
    moved = events[workshops[(WASSENBERG, 1)]]
    assert moved["SEQUENCE"] == 1 and moved.start.hour == 9
    assert str(events[workshops[(ARNSBERG, 1)]]["STATUS"]) == "CANCELLED"


def test_subscribers_can_revalidate_with_the_etag(client, workshops):
    first = client.get("/v1/calendar.ics")
    again = client.get("/v1/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    client.patch(f"/v1/workshops/{workshops[(WASSENBERG, 2)]}", headers=STAFF, json={"venue": "Burg Wassenberg"})
    changed = client.get("/v1/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and b"Burg Wassenberg" in changed.data
