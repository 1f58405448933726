"""Rebuilding the candidates projection from a topic: once, twice, or after the live consumer, one state.

Each test writes its own topic, so that the result does not depend on what other tests put on the shared
broker; the real topic and the `rebuild` command are exercised in test_selection_kafka.py.
"""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from selection_support import (T0, TOWNS_2018, call_closed, call_opened, new_id, projection, submitted, updated,
                               withdrawn)
from services.selection.app import build_context, create_app
from services.selection.consumers import CANDIDATES, HANDLERS
from services.selection.db import metadata
from shared.consumer import EventConsumer, rebuild_projection
from shared.events.catalogue import dead_letter_topic, make_event, spec_for
from shared.kafka import ensure_topics, make_consumer, make_producer
from support import bearer, eventually, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "erika.office")


def history():
    """Two calls with the towns of 2018, updates, a withdrawal, and the closes."""
    events = []
    for places in (3, 2):
        call_id = new_id()
        ids = {name: new_id() for name, _, _ in TOWNS_2018}
        events.append(call_opened(call_id, places=places))
        for i, (name, ags, population) in enumerate(TOWNS_2018):
            events.append(submitted(ids[name], call_id, name, ags, population,
                                    submitted_at=T0 + timedelta(hours=i)))
        events.append(updated(ids["Arnsberg"], call_id, "Arnsberg", "05958004", 74_200,
                              statement="Ganzheitlich, mit der REGIONALE 2025"))
        events.append(withdrawn(ids["Menden"], call_id, "05962032"))
        events.append(call_closed(call_id, places=places, applications=10))
    return events


def publish(bootstrap, topic, events):
    """The events as a relay would publish them: keyed by aggregate, one of them twice (a relay retry),
    plus what the consumer must survive: garbage, an event it has no handler for, an invalid one."""
    producer = make_producer(bootstrap, "test-selection-rebuild")
    for event in events + [events[3]]:
        producer.send(topic, key=event.key(), value=event.value(), headers=event.headers())
    producer.send(topic, key=b"junk", value=b"\x00 not an event")
    other = make_event("WorkshopPlanned", spec_for("WorkshopPlanned").example, source="/services/workshops")
    producer.send(topic, key=other.key(), value=other.value(), headers=other.headers())
    invalid = submitted(new_id(), new_id(), "Siegen", "05970040", 102_000)
    invalid.data["size_class"] = "small"
    producer.send(topic, key=invalid.key(), value=invalid.value(), headers=invalid.headers())
    producer.flush()
    producer.close()


@pytest.fixture
def topic(kafka_bootstrap):
    name = f"test.selection.rebuild.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [name], partitions=3)
    publish(kafka_bootstrap, name, history())
    return name


def rebuild(uow_factory, bootstrap, topic, group="selection.candidates"):
    """The candidates projection rebuilt from `topic` (shared.consumer's rebuild, as the `rebuild` command runs it)."""
    return rebuild_projection(CANDIDATES, uow_factory, bootstrap, group_id=group, topics=[topic])


def processed(engine, group="selection.candidates"):
    table = metadata.tables["processed_messages"]
    with engine.connect() as connection:
        return sorted(connection.execute(select(table.c.event_id).where(table.c.consumer_group == group)).scalars())


def test_replaying_the_topic_twice_gives_the_same_candidates_as_once(pg_database, kafka_bootstrap, topic):
    once = build_context(settings("selection", pg_database("selection"), kafka_bootstrap))
    twice = build_context(settings("selection", pg_database("selection"), kafka_bootstrap))

    first = rebuild(once.uow_factory, kafka_bootstrap, topic)
    rebuild(twice.uow_factory, kafka_bootstrap, topic)
    again = rebuild(twice.uow_factory, kafka_bootstrap, topic)

    assert first == again == {"applied": 30, "duplicate": 1, "skipped": 1, "refused": 2}
    state = projection(once.engine)
    assert state == projection(twice.engine)
    assert processed(once.engine) == processed(twice.engine) and len(processed(once.engine)) == 30
    assert len(state["calls"]) == 2 and {c["status"] for c in state["calls"]} == {"closed"}
    live = [c for c in state["candidates"] if c["status"] == "submitted"]
    assert len(live) == 20 and "Menden" not in {c["name"] for c in live}
    assert {c["statement"] for c in live if c["name"] == "Arnsberg"} == {"Ganzheitlich, mit der REGIONALE 2025"}


def test_a_rebuild_ends_in_the_state_the_live_consumer_built_and_keeps_the_reviews(pg_database, kafka_bootstrap,
                                                                                    topic):
    db_url = pg_database("selection")
    ctx = build_context(settings("selection", db_url, kafka_bootstrap))
    group = f"test-selection-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [dead_letter_topic(group)], partitions=1)
    producer = make_producer(kafka_bootstrap, "test-selection-live")
    consumer = EventConsumer(group_id=group, topics=[topic], handlers=HANDLERS, uow_factory=ctx.uow_factory,
                             consumer=make_consumer(kafka_bootstrap, group, [topic]), producer=producer,
                             max_attempts=2, base_backoff_s=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        eventually(lambda: sum(consumer.counts.values()) >= 34, timeout=60, message="live consumer read the topic")
    finally:
        stop.set()
        thread.join(15)
        producer.close()
    assert consumer.counts == {"applied": 30, "duplicate": 1, "skipped": 1, "dead_lettered": 2}
    built_live = projection(ctx.engine)
    live_processed = processed(ctx.engine, group)

    # The selection's own records are no part of the projection: a rebuild leaves them alone.
    call_id = next(c["id"] for c in built_live["calls"] if c["places"] == 3)
    siegen = next(c["application_id"] for c in built_live["candidates"]
                  if c["call_id"] == call_id and c["name"] == "Siegen")
    client = create_app(settings("selection", db_url, kafka_bootstrap)).test_client()
    assert client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json={"members": [
        {"id": "stg-ihk", "name": "Frank Fiktiv", "institution": "IHK NRW", "email": "ff@example.org"}]}
    ).status_code == 200
    scores = {c["key"]: 4 for c in client.get("/v1/criteria/defaults", headers=STAFF).json["criteria"]}
    assert client.put(f"/v1/calls/{call_id}/candidates/{siegen}/reviews/stg-ihk", headers=bearer("steering", "stg-ihk"),
                      json={"scores": scores}).status_code == 201

    rebuild(ctx.uow_factory, kafka_bootstrap, topic, group)
    assert projection(ctx.engine) == built_live
    assert processed(ctx.engine, group) == live_processed
    ranking = client.get(f"/v1/calls/{call_id}/ranking", headers=STAFF).json
    assert [e["name"] for e in ranking["entries"] if e["reviews"]] == ["Siegen"]
