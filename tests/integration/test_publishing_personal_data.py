"""GDPR in publishing: one person's records can be exported, and an erasure request (by the address's hash)
anonymises or deletes them everywhere here without breaking the newsletter statistics."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, select

from publishing_support import BASE_URL, SECRET, SENDER, STAFF, apply, mail_sink, published_draft
from services.publishing.app import build_dispatcher, create_app
from services.publishing.db import metadata
from services.publishing.settings import PublishingSettings
from shared.events.catalogue import make_event
from shared.privacy import erasure_request
from support import bearer, eventually, settings

pytestmark = pytest.mark.integration

PERSON = "erika.musterfrau@example.org"


def test_one_persons_records_are_exported_then_erased_and_the_statistics_stay(pg_database):
    db_url = pg_database("publishing")
    with mail_sink() as sink:
        options = PublishingSettings(smtp_url=sink.url, base_url=BASE_URL, secret=SECRET, sender=SENDER,
                                     smtp_rate_per_second=0)
        app = create_app(settings("publishing", db_url, "127.0.0.1:1"), options=options)
        ctx, client = app.extensions["vorort"], app.test_client()
        dispatcher = build_dispatcher(ctx, directory=object())
        publication = published_draft(client, ctx)
        for name, email, contact in (("Stadt Wassenberg", PERSON, "Erika Musterfrau"),
                                     ("IHK NRW", "jonas.test@ihk-nrw.example", "Jonas Test")):
            client.post("/v1/members", headers=STAFF, json={
                "name": name, "kind": "partner", "email": email, "contact_name": contact})
        client.post("/v1/subscriptions", json={"email": PERSON.upper(), "topics": ["Smart City"], "language": "en"})
        client.post("/v1/enquiries", json={"name": "Erika Musterfrau", "email": PERSON, "message": "Infos bitte"})
        newsletter = client.post("/v1/newsletters", headers=STAFF, json={
            "subject": "Ergebnisse", "publication_ids": [publication["id"]], "segment": {"type": "all_members"}}).json
        client.post(f"/v1/newsletters/{newsletter['id']}/send", headers=STAFF, json={})

        def all_sent():
            dispatcher.run_newsletters()
            dispatcher.run_mails()
            return client.get(f"/v1/newsletters/{newsletter['id']}", headers=STAFF).json["status"] == "sent"

        eventually(all_sent, message="newsletter sent")
        dispatcher.close()

    assert client.get(f"/v1/personal-data?email={PERSON}", headers=bearer("partner", "x")).status_code == 403
    exported = client.get("/v1/personal-data", headers=STAFF, query_string={"email": PERSON})
    assert exported.status_code == 200 and exported.json["service"] == "publishing"
    kinds = sorted(record["kind"] for record in exported.json["records"])
    assert kinds == ["enquiry", "mail", "mail", "member_contact", "newsletter_delivery", "subscription"]
    assert "Jonas" not in json.dumps(exported.json)
    (subscription,) = [record for record in exported.json["records"] if record["kind"] == "subscription"]
    assert subscription["language"] == "en"  # the language of their mails is theirs to see, too

    request = erasure_request(PERSON, "staff:datenschutz")
    assert apply(ctx, request) == "applied"
    replay = make_event(request.type, request.data, source=request.source)  # same request, new event id
    assert apply(ctx, replay) == "applied"

    assert client.get("/v1/personal-data", headers=STAFF, query_string={"email": PERSON}).json["records"] == []
    engine = create_engine(db_url)
    with engine.connect() as connection:
        events = [json.loads(row.payload) for row in connection.execute(select(metadata.tables["outbox"]))]
    engine.dispose()
    erased = [e["data"] for e in events if e["type"] == "PersonalDataErased"]
    assert erased == [{"request_id": request.data["request_id"], "service": "publishing", "records": 6,
                       "erased_at": erased[0]["erased_at"]}]
    assert PERSON not in json.dumps(events)

    progress = client.get(f"/v1/newsletters/{newsletter['id']}", headers=STAFF).json["progress"]
    assert (progress["total"], progress["sent"]) == (2, 2)
    members = client.get("/v1/members", headers=STAFF).json
    wassenberg = next(m for m in members if m["name"] == "Stadt Wassenberg")
    assert wassenberg["contact_name"] is None and wassenberg["email"].endswith("@invalid.invalid")
    again = client.post("/v1/newsletters", headers=STAFF, json={
        "subject": "Mehr", "publication_ids": [publication["id"]], "segment": {"type": "all_members"}}).json
    recipients = client.get(f"/v1/newsletters/{again['id']}/recipients", headers=STAFF).json
    assert [r["email"] for r in recipients["recipients"]] == ["jonas.test@ihk-nrw.example"]
    assert client.get("/v1/enquiries", headers=STAFF).json[0]["name"] == "[gelöscht]"
