"""Capacity inputs for docs/scaling.md: events per second through ONE partition, on the single broker and
on the three-node cluster (RF 3, min.insync.replicas 2, SASL/SCRAM), for

- the producer as the relay configures it (acks=all, idempotent), sending ApplicationSubmitted events;
- a raw consumer reading them (the ceiling of one consumer on one partition);
- one process of the platform's consumer loop applying them to PostgreSQL (tests/chaos/counting_consumer.py:
  dedupe record, handler, commit, then the offset), which is what one worker per partition does.

    .venv/bin/python -m bench.partitions [EVENTS]      # prints one JSON document

Needs PostgreSQL (VORORT_TEST_POSTGRES_URL or the private cluster of deploy/postgres/start-local.sh) and
starts both Kafka set-ups itself. Not part of `make bench` (it takes minutes and no baseline applies).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, func, select, text

from shared.config import REPO_ROOT
from shared.events.catalogue import make_event, spec_for
from shared.kafka import ensure_topics, make_producer
from vorort import broker as single
from vorort import cluster as replicated


def _events(count: int):
    example = spec_for("ApplicationSubmitted").example
    return [make_event("ApplicationSubmitted", dict(example, application_id=str(uuid.uuid4())), source="/bench")
            for _ in range(count)]


def measure(bootstrap: str, security: dict, env: dict, create_topic, postgres_url: str, count: int) -> dict:
    topic = f"bench.partition.{uuid.uuid4().hex[:6]}"
    create_topic(topic)
    events = _events(count)
    producer = make_producer(bootstrap, "bench-partition", **security)
    warmup = _events(1)[0]
    producer.send(topic, key=warmup.key(), value=warmup.value(), headers=warmup.headers()).get(60)
    started = time.perf_counter()
    for event in events:
        producer.send(topic, partition=0, key=event.key(), value=event.value(), headers=event.headers())
    producer.flush()
    produce_s = time.perf_counter() - started
    producer.close()

    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False,
                             **security)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    read, started = 0, time.perf_counter()
    while read < count + 1:  # the warm-up message too
        read += sum(len(batch) for batch in consumer.poll(timeout_ms=1000, max_records=5000).values())
    consume_s = time.perf_counter() - started
    consumer.close()

    sys.path.insert(0, str(REPO_ROOT / "tests" / "chaos"))
    from counting_consumer import metadata, tally

    database = f"bench_partition_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    db_url = postgres_url.rsplit("/", 1)[0] + "/" + database
    engine = create_engine(db_url)
    metadata.create_all(engine)
    process = subprocess.Popen([sys.executable, str(REPO_ROOT / "tests/chaos/counting_consumer.py"), db_url, topic,
                                f"bench-{uuid.uuid4().hex[:6]}", bootstrap], cwd=REPO_ROOT,
                               env=dict(os.environ, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def applied() -> int:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(tally)).scalar_one()

    while applied() == 0:
        time.sleep(0.05)
    first, started = applied(), time.perf_counter()
    while applied() < count + 1:
        time.sleep(0.2)
    apply_s = time.perf_counter() - started
    process.send_signal(signal.SIGTERM)
    process.wait(30)
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()
    return {"events": count, "produce_per_s": round(count / produce_s), "raw_consume_per_s": round(count / consume_s),
            "consumer_loop_per_s": round((count + 1 - first) / apply_s)}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    postgres_url = os.environ.get("VORORT_TEST_POSTGRES_URL") or subprocess.run(
        [str(REPO_ROOT / "deploy/postgres/start-local.sh")], check=True, capture_output=True, text=True).stdout.strip()
    results = {"load_average_at_start": os.getloadavg()[0]}
    home = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    node = single.start(home / "single", port=single.free_port())
    try:
        results["single broker"] = measure(node.bootstrap_servers, {}, {}, lambda t: ensure_topics(
            node.bootstrap_servers, [t], partitions=1), postgres_url, count)
    finally:
        node.stop()
    cluster = replicated.start_cluster(home / "cluster")
    try:
        results["three nodes, RF 3, SASL/SCRAM"] = measure(
            cluster.bootstrap_servers, cluster.client_settings(replicated.ADMIN), cluster.client_env(replicated.ADMIN),
            lambda t: cluster.create_topics([t], partitions=1), postgres_url, count)
    finally:
        cluster.stop()
    results["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
