"""Attack 13 / GDPR: one person's data, spread over every service, is exported in one document and then
erased everywhere through one event; afterwards the address is nowhere: not in any table of any service's
database (every table reflected, including the idempotency store of POSTs made with an Idempotency-Key),
not in any API answer, not in the recipient list of a newsletter sent to her before, nor of a new one."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import MetaData, create_engine, select

from shared.events.catalogue import make_event
from shared.kafka import make_producer
from admin_support import csrf_token
from portal_support import add_person
from support import bearer, eventually

pytestmark = pytest.mark.integration

PERSON = "Greta.Probe@example.org"
OTHER_MEMBER = "kontakt@stadtwerke-probe.example.org"
STAFF = bearer("staff", "staff:datenschutz")


def _json(response):
    assert response.status_code < 300, (response.status_code, response.text[:500])
    return response.json()


@pytest.fixture
def service_env(platform, monkeypatch):
    for key, value in platform.env.items():
        monkeypatch.setenv(key, value)
    return platform


def test_one_persons_data_is_exported_and_then_erased_in_every_service(service_env):
    platform = service_env
    apps, sel, ws, pub = (platform.url(s) for s in ("applications", "selection", "workshops", "publishing"))
    now = datetime.now(timezone.utc)
    ags = f"05{uuid.uuid4().int % 10**6:06d}"

    # applications: Greta is the contact of a municipality's application
    call = _json(requests.post(f"{apps}/v1/calls", headers=STAFF, json={
        "title": "GDPR", "topic": "Smart City", "places": 1, "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat()}))
    _json(requests.post(f"{apps}/v1/calls/{call['id']}/open", headers=STAFF))
    _json(requests.post(f"{apps}/v1/calls/{call['id']}/applications",
                        headers={**bearer("municipality", "m", ags=ags), "Idempotency-Key": f"apply-{ags}"},
                        json={"municipality": {"ags": ags, "name": "Probstadt", "population": 30000},
                              "contact": {"name": "Greta Probe", "email": PERSON}, "statement": "Interesse"}))
    # selection: Greta sits on the steering group
    eventually(lambda: requests.get(f"{sel}/v1/calls/{call['id']}", headers=STAFF).status_code == 200,
               timeout=60, message="selection knows the call")
    _json(requests.put(f"{sel}/v1/calls/{call['id']}/panel", headers=STAFF, json={"members": [
        {"id": "greta", "name": "Greta Probe", "institution": "IHK NRW", "email": PERSON, "role": "chair"}]}))
    # workshops: Greta registers for a workshop of a selected town
    application_id = str(uuid.uuid4())
    producer = make_producer(platform.env["KAFKA_BOOTSTRAP_SERVERS"], "gdpr-test")
    selected = make_event("ApplicationSelected", {
        "call_id": call["id"], "application_id": application_id,
        "municipality": {"ags": "05370040", "name": "Wassenberg", "population": 18500, "size_class": "small"},
        "rank": 1, "score": 4.0, "workshops_per_place": 2, "decided_at": now.isoformat()}, source="/tests")
    producer.send("vorort.selection", key=selected.key(), value=selected.value(), headers=selected.headers()).get(30)
    producer.close()
    workshops = eventually(lambda: requests.get(f"{ws}/v1/workshops", params={"call_id": call["id"]},
                                                headers=STAFF).json(), timeout=60, message="workshops planned")
    workshop_id = workshops[0]["id"]
    start = (now + timedelta(days=30)).strftime("%Y-%m-%dT10:00")
    _json(requests.patch(f"{ws}/v1/workshops/{workshop_id}", headers=STAFF,
                         json={"starts_at": start, "ends_at": start.replace("T10", "T16"), "capacity": 20}))
    _json(requests.post(f"{ws}/v1/workshops/{workshop_id}/registrations",
                        headers={**bearer("partner", "greta"), "Idempotency-Key": f"register-{workshop_id}"},
                        json={"name": "Greta Probe", "email": PERSON, "organisation": "IHK NRW",
                              "participant_type": "steering_partner", "consent": True}))
    # publishing: Greta is a member contact, a subscriber, and asked for information
    _json(requests.post(f"{pub}/v1/members", headers={**STAFF, "Idempotency-Key": f"member-{ags}"}, json={
        "name": f"IHK Probe {uuid.uuid4().hex[:6]}", "kind": "partner", "email": PERSON, "contact_name": "Greta Probe"}))
    _json(requests.post(f"{pub}/v1/subscriptions", json={"email": PERSON, "topics": ["Smart City"]}))
    _json(requests.post(f"{pub}/v1/enquiries", json={
        "name": "Greta Probe", "email": PERSON, "organisation": "IHK NRW",
        "message": "Ich möchte mehr über Netzwerk vor Ort erfahren."}))

    # publishing: a newsletter to every member reaches Greta and another member (sent before the erasure)
    _json(requests.post(f"{pub}/v1/members", headers=STAFF, json={
        "name": f"Stadtwerke Probe {uuid.uuid4().hex[:6]}", "kind": "partner", "email": OTHER_MEMBER}))
    sent = send_newsletter(pub, platform, published_result(pub, platform, call["id"]), "Ergebnisse vor der Löschung")
    assert {PERSON.lower(), OTHER_MEMBER} <= {r["email"].lower() for r in sent["recipients"]}, sent["recipients"]
    # identity: Greta acts for the IHK, whose steering-group seat she holds
    idn = platform.url("identity")
    ihk = _json(requests.post(f"{idn}/v1/organisations", headers=STAFF,
                              json={"kind": "steering_institution", "name": "IHK NRW"}))
    _json(requests.post(f"{idn}/v1/people", headers=STAFF, json={
        "organisation_id": ihk["id"], "name": "Greta Probe", "email": PERSON, "subject": f"greta-{uuid.uuid4().hex[:6]}"}))

    # portal: Greta may sign in (a partner of the IHK) and asked for a sign-in link, which the portal mailed
    add_person(platform, PERSON, "Greta Probe", "partner", organisation="IHK NRW")
    portal = platform.url("portal")
    signin_page = requests.Session()
    form = signin_page.get(f"{portal}/signin")
    assert signin_page.post(f"{portal}/signin", data={"email": PERSON, "csrf_token": csrf_token(form.text)}).status_code == 200

    from vorort.gdpr import erase, export

    exported = export(PERSON)
    for service in ("applications", "selection", "workshops", "publishing", "identity", "portal"):
        assert exported["services"][service], f"{service} exported nothing"
        assert PERSON.lower() in json.dumps(exported["services"][service]).lower()
    print("\nexport:", {s: len(r) for s, r in exported["services"].items()})

    result = erase(PERSON, bootstrap=platform.env["KAFKA_BOOTSTRAP_SERVERS"])
    assert result["unconfirmed"] == [], result
    assert set(result["erased"]) == set(exported["services"]), result  # every service answered
    assert all(result["erased"][service] >= 1 for service, records in exported["services"].items() if records), result
    print("erase:", result["erased"])

    after = export(PERSON)
    assert all(records == [] for records in after["services"].values()), after

    needle = PERSON.lower()
    databases = {key.removesuffix("_DATABASE_URL").lower(): url for key, url in platform.env.items()
                 if key.endswith("_DATABASE_URL")}
    assert {"applications", "selection", "workshops", "publishing", "identity", "portal"} <= set(databases), databases
    scanned = {}
    for service, url in sorted(databases.items()):
        engine = create_engine(url)
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            for table in meta.sorted_tables:
                for row in connection.execute(select(table)):
                    assert needle not in str(tuple(row)).lower(), f"{service}.{table.name} still holds the address"
                scanned[f"{service}.{table.name}"] = True
        engine.dispose()
    assert "applications.idempotency_keys" in scanned and "publishing.deliveries" in scanned, scanned
    print("scanned tables:", len(scanned), "in", sorted(databases))
    listings = [f"{apps}/v1/calls/{call['id']}/applications", f"{sel}/v1/calls/{call['id']}/panel",
                f"{ws}/v1/workshops/{workshop_id}/registrations", f"{pub}/v1/members", f"{pub}/v1/subscriptions",
                f"{pub}/v1/enquiries", f"{idn}/v1/people"]
    for url in listings:
        response = requests.get(url, headers=STAFF, params={"page_size": 100})
        assert response.status_code == 200, (url, response.status_code)
        assert needle not in response.text.lower(), url
    before = _json(requests.get(f"{pub}/v1/newsletters/{sent['id']}/recipients", headers=STAFF))
    assert before["count"] == len(sent["recipients"]), "the sent newsletter keeps its count"
    assert needle not in json.dumps(before).lower(), before
    publication_id = sent["publication_ids"][0]
    draft = _json(requests.post(f"{pub}/v1/newsletters", headers=STAFF, json={
        "subject": "Nach der Löschung", "publication_ids": [publication_id], "segment": {"type": "all_members"}}))
    recipients = _json(requests.get(f"{pub}/v1/newsletters/{draft['id']}/recipients", headers=STAFF))
    assert OTHER_MEMBER in [r["email"] for r in recipients["recipients"]], recipients
    assert needle not in json.dumps(recipients).lower(), recipients


def published_result(pub: str, platform, call_id: str) -> str:
    """A workshop result: its WorkshopCompleted event drafts a publication, which the office publishes."""
    from shared.events.catalogue import spec_for

    completed = make_event("WorkshopCompleted", dict(
        spec_for("WorkshopCompleted").example, workshop_id=str(uuid.uuid4()), call_id=call_id,
        application_id=str(uuid.uuid4()), municipality={"ags": "05370040", "name": "Wassenberg"}, sequence=1,
        completed_at=datetime.now(timezone.utc) - timedelta(hours=1)), source="/tests")
    producer = make_producer(platform.env["KAFKA_BOOTSTRAP_SERVERS"], "gdpr-test")
    producer.send("vorort.workshops", key=completed.key(), value=completed.value(),
                  headers=completed.headers()).get(30)
    producer.close()

    def drafted():
        listing = requests.get(f"{pub}/v1/publications", headers=STAFF, params={"status": "draft", "page_size": 100})
        return next((p["id"] for p in listing.json() if p["source_id"] == completed.data["workshop_id"]), None)

    publication_id = eventually(drafted, timeout=60, message="publishing drafted the workshop result")
    _json(requests.post(f"{pub}/v1/publications/{publication_id}/publish", headers=STAFF))
    return publication_id


def send_newsletter(pub: str, platform, publication_id: str, subject: str) -> dict:
    """A newsletter to every member, sent through the platform's SMTP sink; its recorded recipients."""
    newsletter = _json(requests.post(f"{pub}/v1/newsletters", headers={**STAFF, "Idempotency-Key": subject}, json={
        "subject": subject, "publication_ids": [publication_id], "segment": {"type": "all_members"}}))
    _json(requests.post(f"{pub}/v1/newsletters/{newsletter['id']}/send", headers=STAFF, json={}))

    def finished():
        current = _json(requests.get(f"{pub}/v1/newsletters/{newsletter['id']}", headers=STAFF,
                                     params={"recipients": "true"}))
        return current if current["status"] not in ("draft", "scheduled", "sending") else None

    done = eventually(finished, timeout=120, interval=0.5, message="newsletter sent")
    assert done["progress"]["sent"] == done["progress"]["total"] >= 1, done["progress"]
    return done
