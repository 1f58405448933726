"""Our Kafka messages follow the CloudEvents Kafka protocol binding: the official SDK (`cloudevents` 2.x),
left to detect the content mode itself, reads every message the outbox relay produced on a real broker."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event
from sqlalchemy import create_engine, select

from services.applications.app import create_app
from services.applications.db import metadata
from shared.events.catalogue import TOPIC_APPLICATIONS
from shared.kafka import make_producer
from shared.outbox import OutboxRelay
from support import bearer, end_offsets, read_topic, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "staff:cloudevents-test")


def test_the_official_sdk_reads_every_message_the_relay_produced(pg_database, kafka_bootstrap):
    db_url = pg_database("applications")
    client = create_app(settings("applications", db_url, kafka_bootstrap)).test_client()
    now = datetime.now(timezone.utc)
    call = client.post("/v1/calls", headers=STAFF, json={
        "title": "CloudEvents", "topic": "Smart City", "places": 3,
        "opens_at": (now - timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()}).json
    assert client.post(f"/v1/calls/{call['id']}/open", headers=STAFF).status_code == 200
    subjects = {call["id"]}
    for number in range(3):
        response = client.post(f"/v1/calls/{call['id']}/applications", headers=STAFF, json={
            "municipality": {"ags": f"0537{number:04d}", "name": f"Gemeinde {number}", "population": 9000},
            "contact": {"name": "Lena Beispiel", "email": f"lena{number}@example.org"}, "statement": "Interesse"})
        assert response.status_code == 201
        subjects.add(response.json["id"])

    engine = create_engine(db_url)
    outbox = metadata.tables["outbox"]
    with engine.connect() as connection:
        stored = {row.id: json.loads(row.payload) for row in connection.execute(
            select(outbox.c.payload, outbox.c.id)).all()}
    written = {envelope["id"]: envelope for envelope in stored.values()}
    assert sorted(e["type"] for e in written.values()).count("ApplicationSubmitted") == 3
    since = end_offsets(kafka_bootstrap, TOPIC_APPLICATIONS)
    producer = make_producer(kafka_bootstrap, "test-cloudevents-relay")
    relay = OutboxRelay(engine, metadata, producer)
    while relay.pending():
        relay.publish_batch()
    producer.close()
    engine.dispose()

    def ours(messages):
        return [m for m in messages if m.key and m.key.decode() in subjects]

    messages = ours(read_topic(kafka_bootstrap, TOPIC_APPLICATIONS, since,
                               until=lambda found: len(ours(found)) >= len(written), timeout=90))
    assert len(messages) == len(written)
    read = []
    for message in messages:
        event = from_kafka_event(KafkaMessage(headers=dict(message.headers or []), key=message.key,
                                              value=message.value))
        read.append(event)
        original = written[event.get_id()]
        assert event.get_type() == original["type"] and event.get_source() == original["source"]
        assert event.get_subject() == original["subject"] == message.key.decode()
        assert event.get_data() == original["data"]
        assert event.get_extension("dataversion") == original["dataversion"]
    assert sorted(event.get_id() for event in read) == sorted(written)
