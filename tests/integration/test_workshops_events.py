"""End to end over real Kafka: the selection's events become workshops through the real worker process,
and a completed workshop reaches `vorort.workshops` as a WorkshopCompleted in the catalogue's envelope."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.workshops.app import create_app
from shared.events.catalogue import TOPIC_PRIVACY, TOPIC_SELECTION, TOPIC_WORKSHOPS, validate_data
from shared.events.envelope import HEADER_CONTENT_TYPE, STRUCTURED_CONTENT_TYPE
from shared.kafka import ensure_topics, make_producer
from shared.privacy import erasure_request
from support import bearer, end_offsets, eventually, read_topic, service_process, settings, stop_process
from workshops_support import BOTTROP, HEINSBERG, SELECTED, WASSENBERG, Selection, of_type, outbox

pytestmark = pytest.mark.integration

UTC = timezone.utc
STAFF = bearer("staff", "staff:erika")


@pytest.fixture
def worker(kafka_bootstrap, pg_database, tmp_path):
    """The workshops worker as a real process, with its own database and consumer group."""
    db_url = pg_database("workshops")
    ensure_topics(kafka_bootstrap)
    log_path = tmp_path / "workshops-worker.log"
    process = service_process("workshops", ["worker"], log_path=log_path, env={
        "WORKSHOPS_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "VORORT_CONSUMER_GROUP_SUFFIX": f".test-{uuid.uuid4().hex[:8]}"})
    yield db_url, process, log_path
    stop_process(process)


def test_selection_events_become_workshops_and_a_completion_reaches_the_workshops_topic(kafka_bootstrap, worker):
    db_url, process, log_path = worker
    since = end_offsets(kafka_bootstrap, TOPIC_WORKSHOPS)
    chosen = Selection.fresh()
    events = chosen.all_events(uninvited=(BOTTROP,))
    producer = make_producer(kafka_bootstrap, "test-selection")
    for event in events + [events[-2]]:  # the last ApplicationSelected twice, as a relay retry would send it
        producer.send(TOPIC_SELECTION, key=event.key(), value=event.value(), headers=event.headers())
    producer.flush()
    producer.close()

    client = create_app(settings("workshops", db_url, kafka_bootstrap)).test_client()

    def planned():
        assert process.poll() is None, log_path.read_text()[-3000:]
        listing = client.get(f"/v1/workshops?call_id={chosen.call_id}", headers=STAFF).json
        return len(listing) == 6 and all(w["topic"] == "Smart City" for w in listing) \
            and HEINSBERG in listing[0]["invited_ags"] and listing

    listing = eventually(planned, timeout=90, interval=0.5, message="six planned workshops")
    assert sorted(w["municipality"]["ags"] for w in listing) == sorted(list(SELECTED) * 2)
    assert all(w["status"] == "planned" and BOTTROP not in w["invited_ags"] for w in listing)

    # Wassenberg's first workshop took place this morning; the office records it.
    workshop_id = next(w["id"] for w in listing if w["municipality"]["ags"] == WASSENBERG and w["sequence"] == 1)
    now = datetime.now(UTC).replace(microsecond=0)
    assert client.patch(f"/v1/workshops/{workshop_id}", headers=STAFF, json={
        "starts_at": (now - timedelta(hours=5)).isoformat(), "ends_at": (now - timedelta(hours=1)).isoformat(),
        "venue": "Rathaus Wassenberg", "capacity": 30}).status_code == 200
    people = [("Jana Beispiel", "steering_partner", "IHK NRW"), ("Tom Testmann", "school", "Betty-Reis-Gesamtschule"),
              ("Lea Muster", "citizen", "")]
    codes = []
    for name, kind, organisation in people:
        answer = client.post(f"/v1/workshops/{workshop_id}/registrations", headers=STAFF, json={
            "name": name, "email": f"{name.split()[0].lower()}@example.org", "organisation": organisation,
            "participant_type": kind, "consent": True})
        assert answer.status_code == 201, answer.json
        codes.append(answer.json["manage_code"])
    for code in codes[:2]:
        assert client.post(f"/v1/workshops/{workshop_id}/check-in", headers=STAFF, json={"code": code}).status_code == 200
    completed = client.post(f"/v1/workshops/{workshop_id}/complete", headers=STAFF, json={
        "summary": "Leitbild für die digitale Innenstadt erarbeitet.",
        "solution_approaches": [{"title": "Mobilstation am Markt", "field_of_action": "mobility"}],
        "documents": [{"title": "Protokoll", "url": "https://example.org/protokoll.pdf"}]})
    assert completed.status_code == 200, completed.json

    ours = {w["id"] for w in listing}

    def is_ours(message):
        return message.key and message.key.decode() in ours

    def arrived(messages):
        return any(is_ours(m) and json.loads(m.value)["type"] == "WorkshopCompleted" for m in messages)

    messages = [m for m in read_topic(kafka_bootstrap, TOPIC_WORKSHOPS, since, until=arrived, timeout=90) if is_ours(m)]
    # Any other workshops worker on this broker plans the same (deterministic) ids from these events, so
    # the topic is checked per workshop; exactly once is checked where it is decided, in our outbox.
    planned = {json.loads(m.value)["subject"] for m in messages if json.loads(m.value)["type"] == "WorkshopPlanned"}
    assert planned == ours
    # (a fresh consumer group reads the topic's whole history: earlier runs' workshops are here too)
    assert sorted(p["workshop_id"] for p in of_type(outbox(db_url), "WorkshopPlanned")
                  if p["workshop_id"] in ours) == sorted(ours), \
        "one WorkshopPlanned per workshop: the redelivered selection event created nothing"

    [message] = [m for m in messages if json.loads(m.value)["type"] == "WorkshopCompleted"]
    envelope = json.loads(message.value)
    assert message.key.decode() == envelope["subject"] == workshop_id
    assert dict(message.headers)[HEADER_CONTENT_TYPE] == STRUCTURED_CONTENT_TYPE.encode()
    assert envelope["specversion"] == "1.0" and envelope["type"] == "WorkshopCompleted"
    assert envelope["source"] == "/services/workshops" and envelope["dataversion"] == 1
    assert envelope["datacontenttype"] == "application/json" and envelope["time"].endswith("Z")
    data = validate_data("WorkshopCompleted", envelope["data"], 1)
    assert data["municipality"]["name"] == "Wassenberg" and data["call_id"] == chosen.call_id
    assert data["attendance"]["steering_partner"] == 1 and data["attendance"]["school"] == 1
    assert data["attendance"]["citizen"] == 0
    assert data["participant_organisations"] == ["Betty-Reis-Gesamtschule", "IHK NRW"]
    raw = message.value.decode()
    for name, _kind, _organisation in people:
        assert name not in raw and name.split()[0].lower() + "@" not in raw

    # GDPR: an erasure request on the privacy topic reaches the worker, which answers with a count.
    privacy_since = end_offsets(kafka_bootstrap, TOPIC_PRIVACY)
    request = erasure_request("jana@example.org", "staff:datenschutz")
    producer = make_producer(kafka_bootstrap, "test-gdpr")
    producer.send(TOPIC_PRIVACY, key=request.key(), value=request.value(), headers=request.headers()).get(30)
    producer.close()

    def answers(messages):
        found = [json.loads(m.value)["data"] for m in messages
                 if json.loads(m.value)["type"] == "PersonalDataErased"]
        return [a for a in found if a["request_id"] == request.data["request_id"] and a["service"] == "workshops"]

    replies = answers(read_topic(kafka_bootstrap, TOPIC_PRIVACY, privacy_since, timeout=90,
                                 until=lambda messages: any(a["records"] == 1 for a in answers(messages))))
    assert any(a["records"] == 1 for a in replies), replies
    assert client.get("/v1/personal-data", headers=STAFF, query_string={"email": "jana@example.org"}).json == {
        "service": "workshops", "records": []}
    attendance = client.get(f"/v1/workshops/{workshop_id}/attendance", headers=STAFF).json
    assert attendance["checked_in"]["steering_partner"] == 1, "the published counts still add up"
