"""A real consumer process for the fault scenarios: the platform's consumer loop with a projection whose
side effect is NOT idempotent on its own (a counter), so that any double application would show.

    python tests/chaos/counting_consumer.py DATABASE_URL TOPIC GROUP
Handlers fail for application ids listed in the `broken` table, to play a bug that is fixed later.
"""
from __future__ import annotations

import sys
import threading
import time

from sqlalchemy import Column, Integer, String, Table, create_engine, insert, select, update

from shared.consumer import EventConsumer
from shared.db import make_session_factory, new_metadata
from shared.kafka import make_consumer, make_producer
from shared.logs import configure_logging
from shared.uow import UnitOfWork

metadata = new_metadata()
tally = Table("tally", metadata, Column("application_id", String(36), primary_key=True),
              Column("applied", Integer, nullable=False), Column("statement", String(200), nullable=True))
broken = Table("broken", metadata, Column("application_id", String(36), primary_key=True))


def apply(event, data, uow):
    session = uow.session
    if session.execute(select(broken).where(broken.c.application_id == data["application_id"])).first():
        raise RuntimeError(f"handler bug for {data['application_id']}")
    row = session.execute(select(tally).where(tally.c.application_id == data["application_id"])).first()
    if row is None:
        session.execute(insert(tally).values(application_id=data["application_id"], applied=1,
                                             statement=data.get("statement")))
    else:
        session.execute(update(tally).where(tally.c.application_id == data["application_id"])
                        .values(applied=row.applied + 1, statement=data.get("statement")))


HANDLERS = {"ApplicationSubmitted": apply, "ApplicationUpdated": apply}


def connect(bootstrap: str, group: str, topic: str, deadline_s: float = 300.0):
    """The clients, once the broker answers: a scenario may take Kafka down while this process starts (the
    clients bootstrap in their constructors; once built, they ride out an outage by themselves)."""
    from kafka.errors import KafkaError

    end = time.monotonic() + deadline_s
    while True:
        try:
            return make_consumer(bootstrap, group, [topic]), make_producer(bootstrap, f"{group}-dlq")
        except KafkaError:
            if time.monotonic() > end:
                raise
            time.sleep(1.0)


def main(database_url: str, topic: str, group: str, bootstrap: str) -> None:
    configure_logging("chaos-consumer")
    engine = create_engine(database_url)
    metadata.create_all(engine)
    session_factory = make_session_factory(engine)
    kafka_consumer, producer = connect(bootstrap, group, topic)
    consumer = EventConsumer(group_id=group, topics=[topic], handlers=HANDLERS,
                             uow_factory=lambda: UnitOfWork(session_factory, metadata),
                             consumer=kafka_consumer, producer=producer, max_attempts=3, base_backoff_s=0.05)
    stop = threading.Event()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    consumer.run(stop)


if __name__ == "__main__":
    main(*sys.argv[1:5])
