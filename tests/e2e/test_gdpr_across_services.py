"""Attack 13 / GDPR: one person's data, spread over every service, is exported in one document and then
erased everywhere through one event; afterwards the address is nowhere: not in any database, not in any
API answer, not in any newsletter's recipient list."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import MetaData, create_engine, select

from shared.events.catalogue import make_event
from shared.kafka import make_producer
from support import bearer, eventually

pytestmark = pytest.mark.integration

PERSON = "Greta.Probe@example.org"
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
    _json(requests.post(f"{apps}/v1/calls/{call['id']}/applications", headers=bearer("municipality", "m", ags=ags),
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
    _json(requests.post(f"{ws}/v1/workshops/{workshop_id}/registrations", headers=bearer("partner", "greta"),
                        json={"name": "Greta Probe", "email": PERSON, "organisation": "IHK NRW",
                              "participant_type": "steering_partner", "consent": True}))
    # publishing: Greta is a member contact, a subscriber, and asked for information
    _json(requests.post(f"{pub}/v1/members", headers=STAFF, json={
        "name": f"IHK Probe {uuid.uuid4().hex[:6]}", "kind": "partner", "email": PERSON, "contact_name": "Greta Probe"}))
    _json(requests.post(f"{pub}/v1/subscriptions", json={"email": PERSON, "topics": ["Smart City"]}))
    _json(requests.post(f"{pub}/v1/enquiries", json={
        "name": "Greta Probe", "email": PERSON, "organisation": "IHK NRW",
        "message": "Ich möchte mehr über Netzwerk vor Ort erfahren."}))

    from vorort.gdpr import erase, export

    exported = export(PERSON)
    for service in ("applications", "selection", "workshops", "publishing"):
        assert exported["services"][service], f"{service} exported nothing"
        assert PERSON.lower() in json.dumps(exported["services"][service]).lower()
    print("\nexport:", {s: len(r) for s, r in exported["services"].items()})

    result = erase(PERSON, bootstrap=platform.env["KAFKA_BOOTSTRAP_SERVERS"])
    assert result["unconfirmed"] == [], result
    assert all(count >= 1 for count in result["erased"].values()), result
    print("erase:", result["erased"])

    after = export(PERSON)
    assert all(records == [] for records in after["services"].values()), after

    needle = PERSON.lower()
    for service in ("applications", "selection", "workshops", "publishing", "admin"):
        url = platform.env.get(f"{service.upper()}_DATABASE_URL")
        if not url:
            continue
        engine = create_engine(url)
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            for table in meta.sorted_tables:
                for row in connection.execute(select(table)):
                    assert needle not in str(tuple(row)).lower(), f"{service}.{table.name} still holds the address"
        engine.dispose()
    listings = [f"{apps}/v1/calls/{call['id']}/applications", f"{sel}/v1/calls/{call['id']}/panel",
                f"{ws}/v1/workshops/{workshop_id}/registrations", f"{pub}/v1/members", f"{pub}/v1/subscriptions",
                f"{pub}/v1/enquiries"]
    for url in listings:
        response = requests.get(url, headers=STAFF, params={"page_size": 100})
        assert response.status_code == 200, (url, response.status_code)
        assert needle not in response.text.lower(), url
    newsletter = requests.post(f"{pub}/v1/newsletters", headers=STAFF, json={
        "subject": "Probe", "intro": "", "publication_ids": [], "segment": {"type": "all_members"}})
    if newsletter.status_code == 201:
        recipients = requests.get(f"{pub}/v1/newsletters/{newsletter.json()['id']}/recipients", headers=STAFF)
        assert needle not in recipients.text.lower()
