"""The outbox relay against real Kafka and PostgreSQL: nothing lost across a SIGKILL, order per aggregate."""
from __future__ import annotations

import json
import os
import signal
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, insert, select

from services.applications.app import create_app
from services.applications.db import metadata
from shared.events.catalogue import TOPIC_APPLICATIONS, make_event, spec_for
from shared.events.envelope import utcnow
from support import bearer, end_offsets, eventually, read_topic, service_process, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "staff:relay-test")


def published(engine) -> int:
    outbox = metadata.tables["outbox"]
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(outbox)
                                  .where(outbox.c.published_at.is_not(None))).scalar_one()


def test_relay_killed_while_publishing_loses_no_submission(pg_database, kafka_bootstrap, tmp_path):
    db_url = pg_database("applications")
    client = create_app(settings("applications", db_url, kafka_bootstrap)).test_client()
    now = datetime.now(timezone.utc)
    call = client.post("/v1/calls", headers=STAFF, json={
        "title": "Relay", "topic": "Smart City", "places": 3, "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat()}).json
    client.post(f"/v1/calls/{call['id']}/open", headers=STAFF)
    submitted_ids = set()  # with the CallOpened event, the outbox holds 1,001 rows
    for number in range(1000):
        response = client.post(f"/v1/calls/{call['id']}/applications", headers=STAFF, json={
            "municipality": {"ags": f"05{number:06d}", "name": f"Gemeinde {number}", "population": 1000 + number},
            "contact": {"name": "Max Beispiel", "email": f"kontakt{number}@example.org"},
            "statement": "Interesse"})
        assert response.status_code == 201
        submitted_ids.add(response.json["id"])

    since = end_offsets(kafka_bootstrap, TOPIC_APPLICATIONS)
    env = {"APPLICATIONS_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    engine = create_engine(db_url)
    # Small batches, so the kill lands in the middle of the stream rather than after it.
    env["VORORT_RELAY_BATCH_SIZE"] = "25"
    relay = service_process("applications", ["worker", "--relay-only"], env, tmp_path / "relay1.log")
    eventually(lambda: published(engine) >= 100, timeout=120, message="relay started publishing")
    os.kill(relay.pid, signal.SIGKILL)
    relay.wait()
    at_kill = published(engine)
    assert at_kill < 1001, "the kill should land while rows are still unpublished"

    relay = service_process("applications", ["worker", "--relay-only"], env, tmp_path / "relay2.log")
    try:
        eventually(lambda: published(engine) == 1001, timeout=180, message="relay drained the outbox")
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(30)
    engine.dispose()

    def all_seen(messages):
        seen = {json.loads(m.value)["subject"] for m in messages
                if json.loads(m.value)["type"] == "ApplicationSubmitted"}
        return submitted_ids <= seen

    messages = read_topic(kafka_bootstrap, TOPIC_APPLICATIONS, since, until=all_seen, timeout=120)
    seen = [json.loads(m.value) for m in messages]
    seen_ids = {e["subject"] for e in seen if e["type"] == "ApplicationSubmitted"}
    missing = submitted_ids - seen_ids
    assert not missing, f"{len(missing)} submissions never reached the topic"
    duplicates = sum(1 for e in seen if e["type"] == "ApplicationSubmitted") - len(seen_ids)
    print(f"relay kill: {at_kill} published before SIGKILL, {duplicates} duplicates on the topic, 0 lost")


def test_two_relays_on_postgresql_publish_everything_in_order_per_aggregate(pg_database, kafka_bootstrap,
                                                                            tmp_path):
    db_url = pg_database("applications")
    engine = create_engine(db_url)
    outbox = metadata.tables["outbox"]
    aggregates = [str(uuid.uuid4()) for _ in range(40)]
    example = spec_for("ApplicationUpdated").example
    rows = []
    for sequence in range(25):  # interleaved: aggregate a0 s0, a1 s0, ..., a0 s1, ...
        for aggregate in aggregates:
            event = make_event("ApplicationUpdated", dict(example, application_id=aggregate,
                                                          changed_fields=[f"seq-{sequence}"]), source="/tests")
            rows.append({"event_id": event.id, "event_type": event.type, "topic": TOPIC_APPLICATIONS,
                         "message_key": event.subject, "payload": event.value().decode(),
                         "headers": [[n, v.decode()] for n, v in event.headers()], "created_at": utcnow(),
                         "attempts": 0})
    with engine.begin() as connection:
        connection.execute(insert(outbox), rows)
    since = end_offsets(kafka_bootstrap, TOPIC_APPLICATIONS)
    env = {"APPLICATIONS_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
           "VORORT_RELAY_BATCH_SIZE": "20"}
    relays = [service_process("applications", ["worker", "--relay-only"], env, tmp_path / f"relay{i}.log")
              for i in range(2)]
    try:
        eventually(lambda: published(engine) == len(rows), timeout=180, message="both relays drained")
    finally:
        for relay in relays:
            relay.send_signal(signal.SIGTERM)
        for relay in relays:
            relay.wait(30)
    engine.dispose()
    wanted = set(aggregates)
    messages = read_topic(kafka_bootstrap, TOPIC_APPLICATIONS, since, timeout=120, until=lambda ms: sum(
        1 for m in ms if m.key.decode() in wanted) >= len(rows))
    sequences: dict[str, list[int]] = {a: [] for a in aggregates}
    for message in messages:
        key = message.key.decode()
        if key in wanted:
            envelope = json.loads(message.value)
            sequences[key].append(int(envelope["data"]["changed_fields"][0].removeprefix("seq-")))
    for aggregate, seen in sequences.items():
        first_seen = list(dict.fromkeys(seen))  # a redelivered duplicate is dropped by consumers
        assert first_seen == list(range(25)), f"aggregate {aggregate} out of order: {seen}"
