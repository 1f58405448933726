"""The idempotent consumer loop against real Kafka and PostgreSQL: redelivery, poison messages, DLQ."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Column, Integer, String, Table, create_engine, insert, select, update

from shared.consumer import (DLQ_ERROR, DLQ_ORIGINAL_OFFSET, DLQ_ORIGINAL_PARTITION, DLQ_ORIGINAL_TOPIC,
                             EventConsumer)
from shared.db import make_session_factory, new_metadata
from shared.events.catalogue import dead_letter_topic, make_event, spec_for
from shared.kafka import ensure_topics, make_consumer, make_producer
from shared.uow import UnitOfWork
from support import eventually, read_topic

pytestmark = pytest.mark.integration

metadata = new_metadata()
tally = Table("tally", metadata, Column("application_id", String(36), primary_key=True),
              Column("submissions", Integer, nullable=False))


@pytest.fixture
def database(postgres):
    url = postgres.create_database("consumer")
    engine = create_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()
    postgres.drop_database(url)


def count_submission(event, data, uow):
    """A projection with a visible side effect: +1 per applied ApplicationSubmitted."""
    row = uow.session.execute(select(tally).where(tally.c.application_id == data["application_id"])).first()
    if row is None:
        uow.session.execute(insert(tally).values(application_id=data["application_id"], submissions=1))
    else:
        uow.session.execute(update(tally).where(tally.c.application_id == data["application_id"])
                            .values(submissions=row.submissions + 1))


def submitted(application_id: str):
    example = dict(spec_for("ApplicationSubmitted").example, application_id=application_id)
    return make_event("ApplicationSubmitted", example, source="/tests")


def run_consumer(bootstrap, engine, topic, group, handlers, prepare=None):
    session_factory = make_session_factory(engine)
    producer = make_producer(bootstrap, "test-consumer-dlq")
    consumer = EventConsumer(group_id=group, topics=[topic], handlers=handlers,
                             uow_factory=lambda: UnitOfWork(session_factory, metadata),
                             consumer=make_consumer(bootstrap, group, [topic]), producer=producer,
                             max_attempts=3, base_backoff_s=0.05)
    if prepare:
        prepare(consumer)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    return consumer, stop, thread


def submissions(engine, application_id):
    with engine.connect() as connection:
        return connection.execute(select(tally.c.submissions).where(
            tally.c.application_id == application_id)).scalar()


def test_an_event_delivered_twice_changes_state_once(kafka_bootstrap, database):
    topic, group = f"test.redelivery.{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [topic, dead_letter_topic(group)], partitions=1)
    producer = make_producer(kafka_bootstrap, "test")
    event, marker = submitted(str(uuid.uuid4())), submitted(str(uuid.uuid4()))
    for e in (event, event, marker):  # the same event twice, as a relay retry would send it
        producer.send(topic, key=e.key(), value=e.value(), headers=e.headers())
    producer.flush()
    consumer, stop, thread = run_consumer(kafka_bootstrap, database, topic, group,
                                          {"ApplicationSubmitted": count_submission})
    eventually(lambda: submissions(database, marker.subject) == 1, message="marker applied")
    stop.set()
    thread.join(10)
    assert submissions(database, event.subject) == 1
    assert consumer.counts["duplicate"] == 1


def test_messages_with_the_old_ce_headers_and_the_new_content_type_are_both_applied(kafka_bootstrap, database):
    """Before the CloudEvents binding fix, messages carried `ce_id`/`ce_type` headers and no content type;
    topics keep them, so a consumer must apply both kinds, each exactly once."""
    topic, group = f"test.headers.{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [topic, dead_letter_topic(group)], partitions=1)
    producer = make_producer(kafka_bootstrap, "test")
    old, new = submitted(str(uuid.uuid4())), submitted(str(uuid.uuid4()))
    producer.send(topic, key=old.key(), value=old.value(),
                  headers=[("ce_id", old.id.encode()), ("ce_type", old.type.encode())])
    assert dict(new.headers())["content-type"].startswith(b"application/cloudevents+json")
    producer.send(topic, key=new.key(), value=new.value(), headers=new.headers())
    producer.flush()
    consumer, stop, thread = run_consumer(kafka_bootstrap, database, topic, group,
                                          {"ApplicationSubmitted": count_submission})
    eventually(lambda: submissions(database, new.subject) == 1, timeout=60, message="new message applied")
    stop.set()
    thread.join(10)
    assert submissions(database, old.subject) == 1
    assert consumer.counts["dead_lettered"] == 0

def test_a_redelivery_after_a_crash_before_the_offset_commit_is_a_no_op(kafka_bootstrap, database):
    """Apply with one consumer but never commit its offset, then let a new one read the same messages."""
    topic, group = f"test.crash.{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [topic, dead_letter_topic(group)], partitions=1)
    producer = make_producer(kafka_bootstrap, "test")
    events = [submitted(str(uuid.uuid4())) for _ in range(5)]
    for e in events:
        producer.send(topic, key=e.key(), value=e.value(), headers=e.headers())
    producer.flush()
    session_factory = make_session_factory(database)
    first = EventConsumer(group_id=group, topics=[topic], handlers={"ApplicationSubmitted": count_submission},
                          uow_factory=lambda: UnitOfWork(session_factory, metadata),
                          consumer=make_consumer(kafka_bootstrap, group, [topic]), producer=producer)
    first.consumer.commit = lambda *a, **k: None  # the crash: database committed, offsets never
    eventually(lambda: first.poll_once(1000) or submissions(database, events[-1].subject),
               message="first consumer applied")
    first.consumer.close(autocommit=False)
    consumer, stop, thread = run_consumer(kafka_bootstrap, database, topic, group,
                                          {"ApplicationSubmitted": count_submission})
    eventually(lambda: consumer.counts["duplicate"] >= 5, message="redelivered")
    stop.set()
    thread.join(10)
    assert [submissions(database, e.subject) for e in events] == [1] * 5


@pytest.mark.parametrize("poison", ["not json", "wrong schema", "unknown version", "handler error"])
def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_partition_keeps_flowing(
        kafka_bootstrap, database, poison):
    topic, group = f"test.poison.{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex[:8]}"
    dlq = dead_letter_topic(group)
    ensure_topics(kafka_bootstrap, [topic, dlq], partitions=1)
    producer = make_producer(kafka_bootstrap, "test")
    bad_id = str(uuid.uuid4())
    good = submitted(str(uuid.uuid4()))
    if poison == "not json":
        producer.send(topic, key=b"k", value=b"\x00\x01 garbage")
    else:
        bad = submitted(bad_id)
        envelope = bad.to_cloudevent()
        if poison == "wrong schema":
            envelope["data"]["municipality"] = "not an object"
        if poison == "unknown version":
            envelope["dataversion"] = 99
        import json
        producer.send(topic, key=bad.key(), value=json.dumps(envelope).encode(), headers=bad.headers())
    producer.send(topic, key=good.key(), value=good.value(), headers=good.headers())
    producer.flush()

    def handler(event, data, uow):
        if data["application_id"] == bad_id:
            raise RuntimeError("boom: this handler cannot cope")
        count_submission(event, data, uow)

    consumer, stop, thread = run_consumer(kafka_bootstrap, database, topic, group, {"ApplicationSubmitted": handler})
    eventually(lambda: submissions(database, good.subject) == 1, message="next message applied")
    stop.set()
    thread.join(10)
    dead = read_topic(kafka_bootstrap, dlq, until=lambda messages: len(messages) >= 1)
    assert len(dead) == 1
    headers = {name: value.decode() for name, value in dead[0].headers}
    assert headers[DLQ_ORIGINAL_TOPIC] == topic
    assert headers[DLQ_ORIGINAL_PARTITION] == "0"
    assert headers[DLQ_ORIGINAL_OFFSET] == "0"
    assert headers[DLQ_ERROR]
    assert submissions(database, bad_id) is None


def test_a_failed_poll_is_read_again_without_a_restart(kafka_bootstrap, database):
    """A poll whose handling fails (here: the first attempt to apply raises outside the retried handler)
    leaves the consumer's position past its messages; the loop goes back to the committed offset, so every
    message of that poll is applied, once, by the same running consumer."""
    topic, group = f"test.rewind.{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [topic, dead_letter_topic(group)], partitions=1)
    producer = make_producer(kafka_bootstrap, "test")
    events = [submitted(str(uuid.uuid4())) for _ in range(20)]
    for e in events:
        producer.send(topic, key=e.key(), value=e.value(), headers=e.headers())
    producer.flush()
    failures = {"left": 1}

    def fail_first_poll(consumer):
        process_batch = consumer.process_batch

        def fail_once(messages):
            if failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("the database went away between poll and commit")
            return process_batch(messages)

        consumer.process_batch = fail_once

    consumer, stop, thread = run_consumer(kafka_bootstrap, database, topic, group,
                                          {"ApplicationSubmitted": count_submission}, prepare=fail_first_poll)
    try:
        eventually(lambda: all(submissions(database, e.subject) == 1 for e in events), timeout=60,
                   message="every event of the failed poll applied")
    finally:
        stop.set()
        thread.join(15)
    assert failures["left"] == 0
    assert all(submissions(database, e.subject) == 1 for e in events)
