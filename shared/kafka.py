"""The Kafka adapter: producer and consumer settings in one place, and topic creation.

Producers are idempotent with `acks=all`, so a retried send never duplicates or reorders within a
partition. Consumers never auto-commit: offsets are committed after the database commit.
"""
from __future__ import annotations

import logging
import os
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from shared.config import kafka_security
from shared.events.catalogue import TOPICS

log = logging.getLogger(__name__)

DEFAULT_PARTITIONS = 3


def make_producer(bootstrap_servers: str, client_id: str, **overrides) -> KafkaProducer:
    settings = dict(
        bootstrap_servers=bootstrap_servers.split(","),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_in_flight_requests_per_connection=5,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
        **kafka_security(),
    )
    settings.update(overrides)
    return KafkaProducer(**settings)


def make_consumer(bootstrap_servers: str, group_id: str, topics: list[str] | tuple[str, ...],
                  **overrides) -> KafkaConsumer:
    # How long the group waits for a member that vanished without leaving (a crash) before rebalancing.
    session_timeout_ms = int(os.environ.get("VORORT_KAFKA_SESSION_TIMEOUT_MS", "10000"))
    settings = dict(
        bootstrap_servers=bootstrap_servers.split(","),
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=int(os.environ.get("VORORT_KAFKA_MAX_POLL_RECORDS", "500")),
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=min(3000, session_timeout_ms // 3),
        **kafka_security(),
    )
    settings.update(overrides)
    consumer = KafkaConsumer(**settings)
    if topics:
        consumer.subscribe(list(topics))
    return consumer


def make_admin(bootstrap_servers: str, client_id: str, **overrides) -> KafkaAdminClient:
    settings = dict(bootstrap_servers=bootstrap_servers.split(","), client_id=client_id, request_timeout_ms=10000,
                    **kafka_security())
    settings.update(overrides)
    return KafkaAdminClient(**settings)


def ensure_topics(bootstrap_servers: str, topics: list[str] | tuple[str, ...] = TOPICS,
                  partitions: int = DEFAULT_PARTITIONS, deadline_s: float = 60.0) -> None:
    """Create the topics if they do not exist, retrying until the broker answers or the deadline.

    On an authenticated cluster (KAFKA_SECURITY_PROTOCOL other than PLAINTEXT) services create no topics:
    the cluster's operator provisions them (Strimzi KafkaTopic, `vorort kafka start --nodes 3`), and a
    service principal may neither see nor create the topics it does not use."""
    if kafka_security():
        return
    end = time.monotonic() + deadline_s
    while True:
        try:
            admin = make_admin(bootstrap_servers, "vorort-admin")
            try:
                existing = set(admin.list_topics())
                # -1: the cluster's default.replication.factor (1 on one node, 3 on the three-node cluster)
                missing = [NewTopic(name=t, num_partitions=partitions, replication_factor=-1)
                           for t in topics if t not in existing]
                if missing:
                    try:
                        admin.create_topics(missing)
                    except TopicAlreadyExistsError:
                        pass
            finally:
                admin.close()
            return
        except KafkaError as error:
            if time.monotonic() > end:
                raise
            log.warning("kafka not ready, retrying", extra={"error": str(error)})
            time.sleep(1.0)
