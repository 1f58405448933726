"""The workshops service over real PostgreSQL: the series from the selection, scheduling, registrations,
attendance, completion, authorization and bad input. Selection events go through the real consumer
loop logic (idempotency included); the Kafka round trip is in test_workshops_events.py."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, func, select

from services.workshops.app import create_app
from services.workshops.db import metadata
from shared.events.catalogue import spec_for
from support import bearer, settings
from workshops_support import (ARNSBERG, BOTTROP, GUETERSLOH, HEINSBERG, SIEGEN, WASSENBERG, Clock, Selection,
                               deliver, deliverer, of_type, outbox, _Message)

pytestmark = pytest.mark.integration

UTC = timezone.utc
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # the office plans on 1 March 2026
AFTER_THE_WORKSHOP = datetime(2026, 3, 26, 18, 0, tzinfo=UTC)

STAFF = bearer("staff", "staff:erika")
STEERING = bearer("steering", "steering:mhkbg")
PARTNER_ANNA = bearer("partner", "ihk-nrw:anna")
PARTNER_BERND = bearer("partner", "handelsverband:bernd")
HOST = bearer("municipality", "wassenberg", ags=WASSENBERG)
INVITED = bearer("municipality", "heinsberg", ags=HEINSBERG)
UNINVITED = bearer("municipality", "bottrop", ags=BOTTROP)
OTHER_HOST = bearer("municipality", "arnsberg", ags=ARNSBERG)

SCHEDULE = {
    "starts_at": "2026-03-26T10:00", "ends_at": "2026-03-26T16:00",  # Berlin wall time (CET)
    "venue": "Rathaus Wassenberg, Ratssaal", "capacity": 3, "agenda": "Begrüßung\nMobilität\nBeteiligung",
    "registration_closes_at": "2026-03-24T18:00",
}
RESULTS = {
    "summary": "Drei Lösungsansätze für die Innenstadt erarbeitet.",
    "solution_approaches": [
        {"title": "Mobilstation am Markt", "description": "Leihräder und Carsharing bündeln.",
         "field_of_action": "mobility"},
        {"title": "Digitaler Bürgerdialog", "field_of_action": "participation"},
    ],
    "documents": [{"title": "Protokoll", "url": "https://example.org/protokoll.pdf"}],
}

_people = iter(range(1, 10_000))


def person(**overrides) -> dict:
    n = next(_people)
    body = {"name": f"Erika Musterfrau {n}", "email": f"erika.musterfrau{n}@example.org",
            "organisation": "Musterverein e. V.", "participant_type": "local_actor", "consent": True}
    body.update(overrides)
    return body


@pytest.fixture
def db_url(pg_database):
    return pg_database("workshops")


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def app(db_url, clock):
    return create_app(settings("workshops", db_url, "127.0.0.1:1"), clock=clock)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def selection(app):
    chosen = Selection.fresh()
    deliver(app, *chosen.all_events(uninvited=(BOTTROP,)))
    return chosen


def series(client, call_id, ags) -> list[dict]:
    response = client.get(f"/v1/workshops?call_id={call_id}&ags={ags}", headers=STAFF)
    assert response.status_code == 200
    return sorted(response.json, key=lambda w: w["sequence"])


@pytest.fixture
def workshop(client, selection) -> str:
    """Wassenberg's first workshop, scheduled with three places."""
    workshop_id = series(client, selection.call_id, WASSENBERG)[0]["id"]
    response = client.patch(f"/v1/workshops/{workshop_id}", headers=STAFF, json=SCHEDULE)
    assert response.status_code == 200, response.json
    return workshop_id


def register(client, workshop_id, headers=PARTNER_ANNA, **overrides):
    return client.post(f"/v1/workshops/{workshop_id}/registrations", headers=headers, json=person(**overrides))


def counts(db_url) -> dict:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        result = {name: connection.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
                  for name in ("workshops", "registrations", "outbox", "call_invitations")}
        result["statuses"] = sorted(connection.execute(select(metadata.tables["workshops"].c.status)).scalars())
    engine.dispose()
    return result


# --- the series, from the selection --------------------------------------------------------------
def test_each_selected_municipality_gets_its_series_of_planned_workshops(client, selection, db_url):
    listing = client.get(f"/v1/workshops?call_id={selection.call_id}&page_size=100", headers=PARTNER_ANNA)
    assert listing.status_code == 200
    assert sorted((w["municipality"]["name"], w["sequence"]) for w in listing.json) == [
        ("Arnsberg", 1), ("Arnsberg", 2), ("Siegen", 1), ("Siegen", 2), ("Wassenberg", 1), ("Wassenberg", 2)]
    assert {w["status"] for w in listing.json} == {"planned"}
    planned = of_type(outbox(db_url), "WorkshopPlanned")
    assert sorted(p["workshop_id"] for p in planned) == sorted(w["id"] for w in listing.json)
    assert {p["municipality"]["size_class"] for p in planned} == {"small", "medium", "large"}


def test_a_redelivered_selection_event_changes_nothing(app, client, selection, db_url):
    before = counts(db_url)
    again = selection.selected(WASSENBERG)
    assert deliver(app, again, again) == ["applied", "duplicate"]  # a new event id, then its redelivery
    assert deliver(app, selection.not_selected(HEINSBERG)) == ["applied"]
    assert counts(db_url) == before
    assert len(series(client, selection.call_id, WASSENBERG)) == 2


def test_selection_handlers_are_upserts_even_without_the_processed_record(app, selection, db_url):
    before = counts(db_url)
    for group in ("workshops.replay-1", "workshops.replay-2"):  # as if the processed records were lost
        consumer = deliverer(app, group_id=group)
        for event in selection.all_events(uninvited=(BOTTROP,)):
            assert consumer.process(_Message(event.value())).status == "applied"
    assert counts(db_url) == before


def test_not_selected_municipalities_are_invited_to_every_workshop_of_their_call_even_later_ones(app, client):
    chosen = Selection.fresh()
    deliver(app, chosen.selected(WASSENBERG), chosen.not_selected(HEINSBERG))
    deliver(app, chosen.not_selected(GUETERSLOH), chosen.not_selected(BOTTROP, may_attend=False))
    deliver(app, chosen.selected(SIEGEN))  # planned after the invitations arrived
    for ags in (WASSENBERG, SIEGEN):
        assert {tuple(w["invited_ags"]) for w in series(client, chosen.call_id, ags)} == {(HEINSBERG, GUETERSLOH)}
    other_call = Selection.fresh()
    deliver(app, other_call.selected(ARNSBERG))
    assert series(client, other_call.call_id, ARNSBERG)[0]["invited_ags"] == []


def test_a_later_decision_that_the_municipality_may_not_attend_withdraws_the_invitation(app, client, selection):
    deliver(app, selection.not_selected(HEINSBERG, may_attend=False))
    assert HEINSBERG not in series(client, selection.call_id, WASSENBERG)[0]["invited_ags"]


def test_workshops_are_named_after_the_calls_topic_whichever_event_comes_first(app, client):
    early, late = Selection.fresh(), Selection.fresh()
    deliver(app, early.completed("Smart City"), early.selected(SIEGEN))
    deliver(app, late.selected(SIEGEN), late.completed("Digitale Innenstadt"))
    assert series(client, early.call_id, SIEGEN)[0]["title"] == "Strategiewerkstatt 1: Smart City in Siegen"
    assert series(client, late.call_id, SIEGEN)[1]["title"] == "Strategiewerkstatt 2: Digitale Innenstadt in Siegen"


def test_listing_filters_by_call_and_municipality_and_paginates(app, client, selection):
    deliver(app, Selection.fresh().selected(WASSENBERG))  # another call's workshops
    page = client.get(f"/v1/workshops?call_id={selection.call_id}&page=1&page_size=4", headers=HOST)
    assert len(page.json) == 4
    assert json.loads(page.headers["X-Pagination"])["total"] == 6
    assert len(client.get(f"/v1/workshops?ags={WASSENBERG}", headers=STEERING).json) == 4
    assert client.get("/v1/workshops?ags=123", headers=STAFF).status_code == 422
    assert client.get("/v1/workshops?page_size=1000", headers=STAFF).status_code == 422


def test_an_unknown_workshop_is_404(client):
    assert client.get("/v1/workshops/no-such-workshop", headers=STAFF).status_code == 404
    assert client.post("/v1/workshops/no-such-workshop/registrations", headers=STAFF,
                       json=person()).status_code == 404


# --- scheduling ----------------------------------------------------------------------------------
def test_scheduling_takes_berlin_time_stores_utc_and_answers_in_berlin_time(client, workshop, db_url):
    shown = client.get(f"/v1/workshops/{workshop}", headers=PARTNER_ANNA).json
    assert shown["status"] == "scheduled"
    assert shown["starts_at"] == "2026-03-26T10:00:00+01:00"
    assert shown["registration_closes_at"] == "2026-03-24T18:00:00+01:00"
    assert shown["places"] == {"capacity": 3, "confirmed": 0, "waitlisted": 0, "pending": 0, "available": 3}
    assert shown["registration_open"] is True
    engine = create_engine(db_url)
    with engine.connect() as connection:
        stored = connection.execute(select(metadata.tables["workshops"].c.starts_at).where(
            metadata.tables["workshops"].c.id == workshop)).scalar_one()
    engine.dispose()
    assert stored == datetime(2026, 3, 26, 9, 0, tzinfo=UTC)
    [scheduled] = of_type(outbox(db_url), "WorkshopScheduled")
    assert scheduled["starts_at"] == "2026-03-26T09:00:00+00:00" and scheduled["capacity"] == 3


def test_changing_time_or_venue_later_emits_workshop_rescheduled_and_agenda_alone_nothing(client, workshop, db_url):
    moved = client.patch(f"/v1/workshops/{workshop}", headers=STAFF,
                         json={"starts_at": "2026-04-02T10:00:00+02:00", "ends_at": "2026-04-02T16:00"})
    assert moved.status_code == 200
    assert moved.json["starts_at"] == "2026-04-02T10:00:00+02:00" and moved.json["revision"] == 1
    assert client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"agenda": "Neu"}).status_code == 200
    events = outbox(db_url)
    assert [e["type"] for e in events if e["subject"] == workshop] == [
        "WorkshopPlanned", "WorkshopScheduled", "WorkshopRescheduled"]
    assert of_type(events, "WorkshopRescheduled")[0]["starts_at"] == "2026-04-02T08:00:00+00:00"


def test_cancelling_emits_workshop_cancelled_and_closes_registration(client, workshop, db_url):
    response = client.post(f"/v1/workshops/{workshop}/cancel", headers=STAFF, json={"reason": "Raum nicht verfügbar"})
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert of_type(outbox(db_url), "WorkshopCancelled")[0]["reason"] == "Raum nicht verfügbar"
    before, stored = counts(db_url), client.get(f"/v1/workshops/{workshop}", headers=STAFF).json
    assert register(client, workshop).status_code == 409
    assert client.post(f"/v1/workshops/{workshop}/cancel", headers=STAFF).status_code == 409
    assert client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"venue": "Burg"}).status_code == 409
    assert counts(db_url) == before
    assert client.get(f"/v1/workshops/{workshop}", headers=STAFF).json == stored


def test_raising_the_capacity_gives_the_new_places_to_the_waitlist(client, workshop):
    statuses = [register(client, workshop).json["status"] for _ in range(5)]
    assert statuses == ["confirmed"] * 3 + ["waitlisted"] * 2
    response = client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"capacity": 4})
    assert response.json["places"] == {"capacity": 4, "confirmed": 4, "waitlisted": 1, "pending": 0, "available": 0}


# --- registrations -------------------------------------------------------------------------------
def test_registration_answers_confirmed_or_waitlisted_with_id_and_manage_code(client, workshop):
    answers = [register(client, workshop, participant_type=kind).json
               for kind in ("steering_partner", "school", "university", "business")]
    assert [a["status"] for a in answers] == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert answers[3]["waitlist_position"] == 1
    assert all(a["id"] and len(a["manage_code"]) >= 32 for a in answers)


def test_the_same_email_cannot_register_twice_for_a_workshop(client, workshop):
    assert register(client, workshop, email="jana.beispiel@example.org").status_code == 201
    again = register(client, workshop, headers=PARTNER_BERND, email="Jana.Beispiel@Example.org")
    assert again.status_code == 409
    assert "email" in again.json["errors"]["json"]


def test_a_workshop_that_requires_approval_answers_pending_and_staff_decide(client, workshop):
    client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"requires_approval": True})
    first, second = register(client, workshop).json, register(client, workshop).json
    assert first["status"] == second["status"] == "pending"
    approve = f"/v1/workshops/{workshop}/registrations/{first['id']}/approve"
    assert client.post(approve, headers=PARTNER_ANNA).status_code == 403
    assert client.post(approve, headers=STAFF).json["status"] == "confirmed"
    assert client.post(approve, headers=STAFF).status_code == 409
    rejected = client.post(f"/v1/workshops/{workshop}/registrations/{second['id']}/reject", headers=STAFF)
    assert rejected.json["status"] == "rejected"


def test_cancelling_with_the_manage_code_promotes_the_first_waitlisted(client, workshop):
    regs = [register(client, workshop).json for _ in range(5)]
    item = f"/v1/workshops/{workshop}/registrations/{regs[0]['id']}"
    someone = bearer("partner", "someone-else")
    assert client.delete(item, headers=someone).status_code == 404
    assert client.delete(item + "?code=guessed", headers=someone).status_code == 404
    cancelled = client.delete(item, headers={**someone, "X-Manage-Code": regs[0]["manage_code"]})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert client.delete(item + f"?code={regs[0]['manage_code']}", headers=someone).status_code == 409
    listing = {r["id"]: r for r in client.get(f"/v1/workshops/{workshop}/registrations", headers=STAFF).json}
    assert listing[regs[3]["id"]]["status"] == "confirmed"
    assert (listing[regs[4]["id"]]["status"], listing[regs[4]["id"]]["waitlist_position"]) == ("waitlisted", 1)
    by_staff = client.delete(f"/v1/workshops/{workshop}/registrations/{regs[4]['id']}", headers=STAFF)
    assert by_staff.json["status"] == "cancelled"


def test_the_registrant_may_cancel_with_their_own_token(client, workshop):
    mine = register(client, workshop, headers=PARTNER_ANNA).json
    assert client.delete(f"/v1/workshops/{workshop}/registrations/{mine['id']}",
                         headers=PARTNER_ANNA).json["status"] == "cancelled"


def test_a_partner_cannot_see_other_peoples_registrations(client, workshop):
    annas = register(client, workshop, headers=PARTNER_ANNA).json
    item = f"/v1/workshops/{workshop}/registrations/{annas['id']}"
    assert client.get(item, headers=PARTNER_ANNA).json["email"] == annas["email"]
    assert client.get(item, headers=PARTNER_BERND).status_code == 404
    assert client.get(item, headers=bearer("municipality", "ihk-nrw:anna", ags=WASSENBERG)).status_code == 404
    assert client.get(f"/v1/workshops/{workshop}/registrations", headers=PARTNER_BERND).status_code == 403
    assert client.get(f"/v1/workshops/{workshop}/participants.csv", headers=PARTNER_BERND).status_code == 403
    with_code = client.get(item + f"?code={annas['manage_code']}", headers=PARTNER_BERND)
    assert with_code.status_code == 200 and with_code.json["manage_code"] == annas["manage_code"]
    staff_view = client.get(item, headers=STAFF).json
    assert staff_view["email"] == annas["email"] and "manage_code" not in staff_view
    assert annas["email"] not in client.get(f"/v1/workshops/{workshop}", headers=PARTNER_BERND).get_data(as_text=True)


def test_municipalities_register_for_their_own_and_invited_workshops_only(client, workshop):
    assert register(client, workshop, headers=HOST, participant_type="municipality").status_code == 201
    assert register(client, workshop, headers=INVITED, participant_type="municipality").status_code == 201
    refused = register(client, workshop, headers=UNINVITED, participant_type="municipality")
    assert refused.status_code == 403
    assert "invited" in refused.json["message"]
    assert register(client, workshop, headers=OTHER_HOST, participant_type="municipality").status_code == 403
    for headers in (STEERING, PARTNER_BERND, STAFF):
        assert register(client, workshop, headers=headers).status_code == 201


def test_lifting_the_invitee_restriction_opens_the_workshop_to_every_municipality(client, workshop):
    opened = client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"restricted_to_invitees": False})
    assert opened.json["restricted_to_invitees"] is False
    assert register(client, workshop, headers=UNINVITED, participant_type="municipality").status_code == 201


def test_the_office_may_add_late_entries_after_the_registration_closed(client, workshop, clock):
    clock.now = datetime(2026, 3, 26, 9, 30, tzinfo=UTC)  # at the door
    late = register(client, workshop, headers=PARTNER_ANNA)
    assert late.status_code == 409 and "closed" in late.json["message"]
    assert register(client, workshop, headers=STAFF).json["status"] == "confirmed"


def test_participants_csv_lists_every_registration_for_the_office(client, workshop):
    register(client, workshop, name="Jürgen Weiß", organisation="Stadtwerke Wassenberg")
    register(client, workshop, name="=HYPERLINK(1)")
    response = client.get(f"/v1/workshops/{workshop}/participants.csv", headers=STAFF)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Name", "E-Mail", "Organisation"] and len(rows) == 3
    assert sorted(row[0] for row in rows[1:]) == ["'=HYPERLINK(1)", "Jürgen Weiß"]  # formulas neutralised


# --- attendance and completion -------------------------------------------------------------------
def test_check_in_by_code_and_attendance_counts_by_participant_type(client, workshop, clock):
    client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"capacity": 10})
    regs = [register(client, workshop, participant_type=kind).json
            for kind in ("school", "school", "business", "citizen")]
    clock.now = datetime(2026, 3, 26, 9, 5, tzinfo=UTC)
    for reg in regs[:3]:
        checked = client.post(f"/v1/workshops/{workshop}/check-in", headers=STAFF, json={"code": reg["manage_code"]})
        assert checked.status_code == 200 and checked.json["checked_in_at"] == "2026-03-26T10:05:00+01:00"
    again = client.post(f"/v1/workshops/{workshop}/check-in", headers=STAFF, json={"code": regs[0]["manage_code"]})
    assert again.status_code == 409
    assert client.post(f"/v1/workshops/{workshop}/check-in", headers=STAFF,
                       json={"code": "unknown-code"}).status_code == 404
    assert client.post(f"/v1/workshops/{workshop}/check-in", headers=PARTNER_ANNA,
                       json={"code": regs[3]["manage_code"]}).status_code == 403
    attendance = client.get(f"/v1/workshops/{workshop}/attendance", headers=STEERING).json
    assert attendance["checked_in"]["school"] == 2 and attendance["checked_in"]["business"] == 1
    assert attendance["checked_in"]["citizen"] == 0 and attendance["checked_in_total"] == 3
    assert attendance["confirmed_total"] == 4
    assert client.get(f"/v1/workshops/{workshop}/attendance", headers=PARTNER_ANNA).status_code == 403


def test_completion_emits_results_and_attendance_counts_without_personal_data(client, workshop, clock, db_url):
    client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"capacity": 10})
    people = [register(client, workshop, participant_type="steering_partner", organisation="IHK NRW").json,
              register(client, workshop, headers=INVITED, participant_type="municipality",
                       organisation="Stadt Heinsberg").json,
              register(client, workshop, participant_type="citizen", organisation="Familie Beispiel").json,
              register(client, workshop, participant_type="school", organisation="Gesamtschule Wassenberg").json]
    clock.now = datetime(2026, 3, 26, 9, 5, tzinfo=UTC)
    for reg in people[:3]:
        client.post(f"/v1/workshops/{workshop}/check-in", headers=STAFF, json={"code": reg["manage_code"]})
    too_early = client.post(f"/v1/workshops/{workshop}/complete", headers=STAFF, json=RESULTS)
    assert too_early.status_code == 409 and "not ended" in too_early.json["message"]

    clock.now = AFTER_THE_WORKSHOP
    done = client.post(f"/v1/workshops/{workshop}/complete", headers=STAFF, json=RESULTS)
    assert done.status_code == 200 and done.json["status"] == "completed"
    assert done.json["results"]["solution_approaches"][0]["field_of_action"] == "mobility"

    [envelope] = [e for e in outbox(db_url) if e["type"] == "WorkshopCompleted"]
    assert envelope["specversion"] == "1.0" and envelope["subject"] == workshop
    assert envelope["source"] == "/services/workshops" and envelope["dataversion"] == 1
    data = envelope["data"]
    assert data["attendance"]["steering_partner"] == 1 and data["attendance"]["municipality"] == 1
    assert data["attendance"]["school"] == 0 and data["attendance"]["citizen"] == 1
    assert data["participant_organisations"] == ["IHK NRW", "Stadt Heinsberg"]
    assert data["summary"] == RESULTS["summary"] and data["topic"] == "Smart City"
    assert data["starts_at"] == "2026-03-26T09:00:00+00:00"
    raw = json.dumps(envelope, ensure_ascii=False)
    for reg in people:
        assert reg["name"] not in raw and reg["email"] not in raw and reg["manage_code"] not in raw
    assert "Familie Beispiel" not in raw and "@" not in raw


def test_nothing_changes_after_completion(client, workshop, clock, db_url):
    mine = register(client, workshop).json
    clock.now = AFTER_THE_WORKSHOP
    assert client.post(f"/v1/workshops/{workshop}/complete", headers=STAFF, json=RESULTS).status_code == 200
    before, stored = counts(db_url), client.get(f"/v1/workshops/{workshop}", headers=STAFF).json
    registration = client.get(f"/v1/workshops/{workshop}/registrations/{mine['id']}", headers=STAFF).json
    late = register(client, workshop, headers=STAFF)
    assert late.status_code == 409 and "taken place" in late.json["message"]
    assert client.delete(f"/v1/workshops/{workshop}/registrations/{mine['id']}", headers=STAFF).status_code == 409
    assert client.post(f"/v1/workshops/{workshop}/complete", headers=STAFF, json=RESULTS).status_code == 409
    assert client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"capacity": 50}).status_code == 409
    assert client.post(f"/v1/workshops/{workshop}/check-in", headers=STAFF,
                       json={"code": mine["manage_code"]}).status_code == 409
    assert counts(db_url) == before
    assert client.get(f"/v1/workshops/{workshop}", headers=STAFF).json == stored
    assert client.get(f"/v1/workshops/{workshop}/registrations/{mine['id']}", headers=STAFF).json == registration


# --- bad input: a 4xx that names the problem, never a 500, nothing written --------------------
def _fill(client, workshop):
    for _ in range(3):
        assert register(client, workshop).status_code == 201


def _after_close(client, workshop, clock):
    clock.now = datetime(2026, 3, 25, 8, 0, tzinfo=UTC)


BAD = {  # name: (setup, method, path suffix, body, status, field or message fragment)
    "end before start": (None, "patch", "", {"starts_at": "2026-03-26T16:00", "ends_at": "2026-03-26T10:00"},
                         422, "ends_at"),
    "end before the stored start": (None, "patch", "", {"ends_at": "2026-03-26T09:00"}, 422, "ends_at"),
    "capacity below the confirmed count": (_fill, "patch", "", {"capacity": 2}, 422, "capacity"),
    "capacity not a number": (None, "patch", "", {"capacity": "ten"}, 422, "capacity"),
    "capacity zero": (None, "patch", "", {"capacity": 0}, 422, "capacity"),
    "a wall time skipped by the clock change": (
        None, "patch", "", {"starts_at": "2026-03-29T02:30", "ends_at": "2026-03-29T05:00"}, 422, "starts_at"),
    "not a date": (None, "patch", "", {"starts_at": "nächsten Donnerstag"}, 422, "starts_at"),
    "registration closing after the end": (None, "patch", "", {"registration_closes_at": "2026-03-26T17:00"},
                                           422, "registration_closes_at"),
    "unknown field": (None, "patch", "", {"colour": "blue"}, 422, "colour"),
    "approval flag as text": (None, "patch", "", {"requires_approval": "yes"}, 422, "requires_approval"),
    "unknown participant type": (None, "post", "/registrations", person(participant_type="journalist"),
                                 422, "participant_type"),
    "consent refused": (None, "post", "/registrations", person(consent=False), 422, "consent"),
    "consent missing": (None, "post", "/registrations", {k: v for k, v in person().items() if k != "consent"},
                        422, "consent"),
    "bad email": (None, "post", "/registrations", person(email="no-at-sign"), 422, "email"),
    "registration after the close": (_after_close, "post", "/registrations", person(), 409, "closed"),
    "no solution approach": (None, "post", "/complete", {**RESULTS, "solution_approaches": []},
                             422, "solution_approaches"),
    "a javascript link as document": (None, "post", "/complete",
                                      {**RESULTS, "documents": [{"title": "x", "url": "javascript:alert(1)"}]},
                                      422, "documents"),
    "approach without field of action": (None, "post", "/complete",
                                         {**RESULTS, "solution_approaches": [{"title": "Ansatz"}]},
                                         422, "solution_approaches"),
    "check-in without code": (None, "post", "/check-in", {}, 422, "code"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gets_a_4xx_naming_the_problem_and_writes_nothing(client, workshop, clock, db_url, case):
    setup, method, suffix, body, status, problem = BAD[case]
    if setup:
        setup(client, workshop) if setup is _fill else setup(client, workshop, clock)
    before = counts(db_url)
    headers = PARTNER_ANNA if suffix == "/registrations" else STAFF
    response = getattr(client, method)(f"/v1/workshops/{workshop}{suffix}", headers=headers, json=body)
    assert response.status_code == status, response.json
    if status == 422:
        assert problem in response.json["errors"]["json"], response.json
    else:
        assert problem in response.json["message"]
    assert counts(db_url) == before


def test_odd_but_possible_input_gets_a_4xx_never_a_500(client, workshop):
    assert client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={
        "starts_at": "0001-01-01T00:30", "ends_at": "0001-01-01T05:00"}).status_code == 422
    juergen = bearer("partner", "jürgen-müller")
    mine = register(client, workshop, headers=juergen).json
    item = f"/v1/workshops/{workshop}/registrations/{mine['id']}"
    assert client.get(item, headers=juergen).status_code == 200
    assert client.get(item + "?code=ümlaut", headers=PARTNER_BERND).status_code == 404
    assert client.delete(item, headers={**PARTNER_BERND, "X-Manage-Code": "Ã¼"}).status_code == 404
    assert client.post(f"/v1/workshops/{workshop}/check-in", headers=STAFF, json={"code": "ümlaut"}).status_code == 404
    assert register(client, workshop, headers=bearer("partner", "x" * 400)).status_code == 201
    assert register(client, workshop, headers=bearer("municipality", "m", ags="053700401234")).status_code == 403
    assert client.post(f"/v1/workshops/{workshop}/registrations", headers=STAFF, json=[1, 2]).status_code == 422


def test_malformed_json_is_a_400(client, workshop, db_url):
    before = counts(db_url)
    response = client.post(f"/v1/workshops/{workshop}/registrations", headers=PARTNER_ANNA, data="{not json",
                           content_type="application/json")
    assert response.status_code == 400 and response.json["code"] == 400
    assert counts(db_url) == before


def test_no_token_is_401_and_the_wrong_role_is_403(client, workshop):
    assert client.get("/v1/workshops").status_code == 401
    assert client.post(f"/v1/workshops/{workshop}/registrations", json=person()).status_code == 401
    assert client.patch(f"/v1/workshops/{workshop}", headers=PARTNER_ANNA, json={"capacity": 99}).status_code == 403
    assert client.post(f"/v1/workshops/{workshop}/cancel", headers=HOST).status_code == 403
    assert client.post(f"/v1/workshops/{workshop}/complete", headers=STEERING, json=RESULTS).status_code == 403


def test_a_registration_retried_with_the_same_idempotency_key_is_made_once(client, workshop, db_url):
    headers = {**PARTNER_ANNA, "Idempotency-Key": "anmeldung-1"}
    body = person()
    first = client.post(f"/v1/workshops/{workshop}/registrations", headers=headers, json=body)
    second = client.post(f"/v1/workshops/{workshop}/registrations", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"] and second.headers["Idempotent-Replayed"] == "true"
    assert counts(db_url)["registrations"] == 1


# --- the contract --------------------------------------------------------------------------------
@pytest.mark.parametrize("event_type", ["WorkshopPlanned", "WorkshopScheduled", "WorkshopRescheduled",
                                        "WorkshopCancelled", "WorkshopCompleted"])
def test_the_workshop_events_are_in_the_catalogue_on_the_workshops_topic(event_type):
    spec = spec_for(event_type)
    assert spec.topic == "vorort.workshops" and spec.subject_field == "workshop_id"
    spec.schema().load(spec.example)


def test_every_event_the_service_writes_matches_the_catalogue(client, workshop, clock, db_url):
    client.patch(f"/v1/workshops/{workshop}", headers=STAFF, json={"venue": "Burg Wassenberg"})
    other = series(client, client.get(f"/v1/workshops/{workshop}", headers=STAFF).json["call_id"], SIEGEN)[0]
    client.post(f"/v1/workshops/{other['id']}/cancel", headers=STAFF)
    clock.now = AFTER_THE_WORKSHOP
    client.post(f"/v1/workshops/{workshop}/complete", headers=STAFF, json=RESULTS)
    types = {e["type"] for e in outbox(db_url)}  # outbox() validates each one against its schema
    assert types == {"WorkshopPlanned", "WorkshopScheduled", "WorkshopRescheduled", "WorkshopCancelled",
                     "WorkshopCompleted"}


def test_the_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    document = client.get("/openapi.json").json
    validate(document)
    assert document["paths"]["/v1/calendar.ics"]["get"]["security"] == []
    assert "security" not in document["paths"]["/v1/workshops"]["get"]


def test_every_view_needs_a_role_except_the_public_calendar(app):
    public = []
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        if view_class is None or not endpoint.startswith(("workshops.", "calendar.", "personal-data.")):
            continue
        for method in ("get", "post", "patch", "delete"):
            handler = getattr(view_class, method, None)
            if handler is None:
                continue
            if getattr(handler, "_vorort_public", False):
                public.append(endpoint)
            else:
                assert getattr(handler, "_vorort_roles", None), f"{endpoint} {method} has no role check"
    assert sorted(public) == ["calendar.CalendarFeed", "workshops.WorkshopCalendar"]


# --- a selected municipality withdraws after the decision ----------------------------------------
def test_a_vacated_place_cancels_the_workshops_ahead_and_names_their_registrations(app, client, selection,
                                                                                    workshop, db_url):
    confirmed = register(client, workshop).json["id"]
    withdrawn_one = register(client, workshop, headers=PARTNER_BERND).json["id"]
    assert client.delete(f"/v1/workshops/{workshop}/registrations/{withdrawn_one}", headers=STAFF).status_code in (
        200, 204)
    arnsberg_before = series(client, selection.call_id, ARNSBERG)

    assert deliver(app, selection.vacated(WASSENBERG)) == ["applied"]

    wassenberg = series(client, selection.call_id, WASSENBERG)
    assert [w["status"] for w in wassenberg] == ["cancelled", "cancelled"]
    assert series(client, selection.call_id, ARNSBERG) == arnsberg_before
    cancelled = {c["workshop_id"]: c for c in of_type(outbox(db_url), "WorkshopCancelled")}
    assert set(cancelled) == {w["id"] for w in wassenberg}
    assert cancelled[workshop]["registration_ids"] == [confirmed]  # the cancelled sign-up is not written to
    assert cancelled[workshop]["reason"] == "Die Kommune hat ihre Bewerbung zurückgezogen."
    assert cancelled[workshop]["municipality"]["name"] == "Wassenberg" and cancelled[workshop]["sequence"] == 1
    assert cancelled[workshop]["starts_at"] is not None
    assert "example.org" not in json.dumps(cancelled), "registrants stay in this service"


def test_a_vacated_place_keeps_a_workshop_that_took_place(app, client, clock, selection, workshop, db_url):
    register(client, workshop)
    clock.now = AFTER_THE_WORKSHOP
    assert client.post(f"/v1/workshops/{workshop}/complete", headers=STAFF, json=RESULTS).status_code == 200
    deliver(app, selection.vacated(WASSENBERG))
    deliver(app, selection.vacated(WASSENBERG))  # a second announcement changes nothing more
    statuses = [w["status"] for w in series(client, selection.call_id, WASSENBERG)]
    assert statuses == ["completed", "cancelled"]
    assert len(of_type(outbox(db_url), "WorkshopCancelled")) == 1
