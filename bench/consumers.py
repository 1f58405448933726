"""16. Consumers: events/s applied to the selection candidates projection, against a raw consumer."""
from __future__ import annotations

import time
import uuid

from kafka import KafkaConsumer

from bench.common import Result
from shared.config import ServiceSettings
from shared.events.catalogue import make_event, spec_for
from shared.kafka import ensure_topics, make_consumer, make_producer

EVENTS = 10_000


def run(infra) -> Result:
    from services.selection import consumers
    from services.selection.app import build_context
    from shared.consumer import EventConsumer

    topic = f"bench.consume.{uuid.uuid4().hex[:6]}"
    ensure_topics(infra.bootstrap, [topic])
    example = spec_for("ApplicationSubmitted").example
    call_id = str(uuid.uuid4())
    producer = make_producer(infra.bootstrap, "bench-seed")
    for i in range(EVENTS):
        event = make_event("ApplicationSubmitted", dict(
            example, application_id=str(uuid.uuid4()), call_id=call_id,
            municipality=dict(example["municipality"], ags=f"{10_000_000 + i:08d}")), source="/bench")
        producer.send(topic, key=event.key(), value=event.value(), headers=event.headers())
    producer.flush()
    producer.close()

    raw = KafkaConsumer(topic, bootstrap_servers=infra.bootstrap.split(","), group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
                        auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=500)
    seen, started = 0, None
    while seen < EVENTS:
        for messages in raw.poll(timeout_ms=1000).values():
            started = started or time.perf_counter()
            seen += len(messages)
    raw.commit()
    raw_seconds = time.perf_counter() - started
    raw.close()

    ctx = build_context(ServiceSettings("selection", infra.database("selection"), infra.bootstrap, "development"))
    group = f"bench-selection-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(group_id=group, topics=[topic], handlers=consumers.HANDLERS, uow_factory=ctx.uow_factory,
                             consumer=make_consumer(infra.bootstrap, group, [topic]),
                             producer=make_producer(infra.bootstrap, "bench-dlq"))
    applied, started = 0, None
    while applied < EVENTS:
        handled = consumer.poll_once(1000)
        if handled:
            started = started or time.perf_counter()
        applied = consumer.counts["applied"] + consumer.counts["dead_lettered"]
    projection_seconds = time.perf_counter() - started
    consumer.consumer.close()

    subject_rate, baseline_rate = EVENTS / projection_seconds, EVENTS / raw_seconds
    ratio = subject_rate / baseline_rate
    return Result(16, "Consumers: events applied to a projection", f"{subject_rate:.0f} events/s",
                  f"{baseline_rate:.0f} events/s (raw kafka-python consumer)", ratio, ">= 0.5", ratio >= 0.5,
                  note=(f"{EVENTS} ApplicationSubmitted events into the selection service's candidates projection "
                        "on PostgreSQL. Each poll (up to 500 messages) is applied in one transaction: one query "
                        "for processed records, the projection's set-based form (one INSERT ... ON CONFLICT for the "
                        "run of submissions, newest content per application, sent as one executemany), one insert of processed records, one "
                        "commit, then the offset commit. The raw consumer only reads. The timer starts at the first "
                        "message in both. Dead letters: " + str(consumer.counts["dead_lettered"])),
                  details={"events": EVENTS, "projection_s": projection_seconds, "raw_s": raw_seconds,
                           "counts": consumer.counts},
                  gap=("Done: set-based writes (one INSERT ... ON CONFLICT per run instead of a SELECT ... FOR "
                       "UPDATE and an INSERT per event), sent as one executemany: as a multi-row VALUES of literal "
                       "rows it was compiled afresh every poll and split again by the driver, half of the CPU "
                       "(a batch of 500: 524 ms to 204 ms in bench.profile); orjson for the envelope. What is left "
                       "per event is the catalogue validation of the event data with marshmallow and the domain "
                       "check of each candidate; a compiled validator per event version would shrink the first."))
