"""GDPR in the workshops: one person's registrations can be exported, and an erasure request (by the
address's hash) anonymises them, gives up places ahead and leaves past attendance counts intact."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from services.workshops import consumers
from services.workshops.app import create_app
from shared.events.catalogue import make_event
from shared.privacy import ERASED_NAME, erasure_request
from support import bearer, settings
from workshops_support import SIEGEN, WASSENBERG, Clock, Selection, deliver, of_type, outbox

pytestmark = pytest.mark.integration

UTC = timezone.utc
STAFF = bearer("staff", "staff:datenschutz")
PERSON = "Erika.Musterfrau@example.org"


def privacy_handlers(bus):
    """The workshops' erasure consumer (shared.privacy's, around what the workshops erase)."""
    return consumers.PRIVACY_CONSUMER.handlers


def body(name, email, kind="citizen", organisation="Familie Musterfrau"):
    return {"name": name, "email": email, "organisation": organisation, "participant_type": kind, "consent": True}


@pytest.fixture
def world(pg_database):
    """Erika attended Wassenberg's first workshop, holds a place in Siegen's and waits in Wassenberg's second."""
    db_url = pg_database("workshops")
    clock = Clock(datetime(2026, 3, 1, 9, tzinfo=UTC))
    app = create_app(settings("workshops", db_url, "127.0.0.1:1"), clock=clock)
    client = app.test_client()
    chosen = Selection.fresh((WASSENBERG, SIEGEN))
    deliver(app, chosen.selected(WASSENBERG), chosen.selected(SIEGEN))
    listing = client.get(f"/v1/workshops?call_id={chosen.call_id}", headers=STAFF).json
    ids = {(w["municipality"]["ags"], w["sequence"]): w["id"] for w in listing}
    for key, day, capacity in (((WASSENBERG, 1), "2026-03-26", 10), ((SIEGEN, 1), "2026-05-06", 10),
                               ((WASSENBERG, 2), "2026-06-10", 1)):
        client.patch(f"/v1/workshops/{ids[key]}", headers=STAFF, json={
            "starts_at": f"{day}T10:00", "ends_at": f"{day}T16:00", "capacity": capacity})
    post = lambda key, payload, who=STAFF: client.post(f"/v1/workshops/{ids[key]}/registrations",  # noqa: E731
                                                       headers=who, json=payload).json
    past = post((WASSENBERG, 1), body("Erika Musterfrau", PERSON), bearer("partner", "erika"))
    post((WASSENBERG, 1), body("Max Mustermann", "max.mustermann@example.org", "business", "Stadtwerke"))
    siegen = post((SIEGEN, 1), body("Erika Musterfrau", PERSON.lower()))
    waiting_first = post((SIEGEN, 1), body("Hans Beispiel", "hans@example.org"))
    post((WASSENBERG, 2), body("Jonas Exempel", "jonas@example.org"))
    waiting = post((WASSENBERG, 2), body("Erika Musterfrau", PERSON))
    client.patch(f"/v1/workshops/{ids[(SIEGEN, 1)]}", headers=STAFF, json={"capacity": 1})  # refused: 2 confirmed
    clock.now = datetime(2026, 3, 26, 9, 5, tzinfo=UTC)
    client.post(f"/v1/workshops/{ids[(WASSENBERG, 1)]}/check-in", headers=STAFF, json={"code": past["manage_code"]})
    clock.now = datetime(2026, 3, 27, tzinfo=UTC)
    client.post(f"/v1/workshops/{ids[(WASSENBERG, 1)]}/complete", headers=STAFF, json={
        "summary": "Ergebnisse", "solution_approaches": [{"title": "Mobilstation", "field_of_action": "mobility"}]})
    return app, client, db_url, ids, {"past": past, "siegen": siegen, "waiting": waiting,
                                      "waiting_first": waiting_first}


def test_the_export_lists_every_registration_of_the_person_for_staff_only(world):
    app, client, db_url, ids, regs = world
    assert client.get("/v1/personal-data", headers=bearer("partner", "x"),
                      query_string={"email": PERSON}).status_code == 403
    exported = client.get("/v1/personal-data", headers=STAFF, query_string={"email": PERSON.upper()})
    assert exported.status_code == 200 and exported.json["service"] == "workshops"
    records = exported.json["records"]
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in regs.values() if "Erika" in r["name"])
    assert {r["kind"] for r in records} == {"workshop_registration"}
    assert next(r for r in records if r["id"] == regs["past"]["id"])["registered_by"] == "partner:erika"
    assert all(r["workshop"]["title"].startswith("Strategiewerkstatt") for r in records)
    assert "Max" not in json.dumps(exported.json) and "manage_code" not in json.dumps(exported.json)
    assert client.get("/v1/personal-data", headers=STAFF, query_string={"email": "kein-mail"}).status_code == 422


def test_erasure_anonymises_gives_up_places_ahead_and_keeps_past_attendance(world):
    app, client, db_url, ids, regs = world
    request = erasure_request(PERSON, "staff:datenschutz")
    assert deliver(app, request, handlers=privacy_handlers) == ["applied"]

    assert client.get("/v1/personal-data", headers=STAFF, query_string={"email": PERSON}).json["records"] == []
    [erased] = of_type(outbox(db_url), "PersonalDataErased")
    assert erased["records"] == 3 and erased["service"] == "workshops"
    listing = {r["id"]: r for key in ids.values()
               for r in client.get(f"/v1/workshops/{key}/registrations", headers=STAFF).json}
    for name in ("past", "siegen", "waiting"):
        row = listing[regs[name]["id"]]
        assert row["name"] == ERASED_NAME and row["email"].endswith("@invalid.invalid")
        assert row["organisation"] == ""  # a citizen's
    assert listing[regs["past"]["id"]]["status"] == "confirmed", "attendance of the past workshop stays"
    assert listing[regs["siegen"]["id"]]["status"] == "cancelled"
    assert listing[regs["waiting_first"]["id"]]["status"] == "confirmed", "the waitlist moved up"
    assert listing[regs["waiting"]["id"]]["status"] == "cancelled"
    attendance = client.get(f"/v1/workshops/{ids[(WASSENBERG, 1)]}/attendance", headers=STAFF).json
    assert attendance["checked_in"]["citizen"] == 1
    old_link = f"/v1/workshops/{ids[(WASSENBERG, 1)]}/registrations/{regs['past']['id']}"
    assert client.get(old_link + f"?code={regs['past']['manage_code']}", headers=bearer("partner", "x")).status_code == 404
    assert client.get(old_link, headers=bearer("partner", "erika")).status_code == 404


def test_the_same_erasure_request_again_changes_and_reports_nothing_more(world):
    app, client, db_url, ids, regs = world
    request = erasure_request(PERSON, "staff:datenschutz")
    deliver(app, request, handlers=privacy_handlers)
    replay = make_event(request.type, request.data, source=request.source)  # same request, new event id
    assert deliver(app, replay, request, handlers=privacy_handlers) == ["applied", "duplicate"]
    assert len(of_type(outbox(db_url), "PersonalDataErased")) == 1


def test_an_erasure_for_an_unknown_address_reports_zero_records(world):
    app, client, db_url, ids, regs = world
    deliver(app, erasure_request("niemand@example.org", "staff:datenschutz"), handlers=privacy_handlers)
    assert of_type(outbox(db_url), "PersonalDataErased")[0]["records"] == 0
