"""The Kafka adapter: producer and consumer settings in one place, and topic creation.

Producers are idempotent with `acks=all`, so a retried send never duplicates or reorders within a
partition. Consumers never auto-commit: offsets are committed after the database commit.
"""
from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from shared import config
from shared.config import kafka_security
from shared.events.catalogue import TOPICS

log = logging.getLogger(__name__)

DEFAULT_PARTITIONS = 3


def make_producer(bootstrap_servers: str, client_id: str, **overrides: Any) -> KafkaProducer:
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


def make_consumer(bootstrap_servers: str, group_id: str | None, topics: list[str] | tuple[str, ...],
                  **overrides: Any) -> KafkaConsumer:
    session_timeout_ms = config.kafka_session_timeout_ms()
    settings = dict(
        bootstrap_servers=bootstrap_servers.split(","),
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=config.kafka_max_poll_records(),
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=min(3000, session_timeout_ms // 3),
        # A group leader that assigns before its metadata holds the topics hands out nothing and says only
        # "No partition metadata for topic ..." (seen: a fresh webhooks worker idle for minutes in CI). The
        # topics are looked up before subscribing; a refresh every 30 s (not 5 min) rejoins if it happens anyway.
        metadata_max_age_ms=30_000,
        **kafka_security(),
    )
    settings.update(overrides)
    consumer = KafkaConsumer(**settings)
    if topics:
        for topic in topics:
            consumer.partitions_for_topic(topic)
        consumer.subscribe(list(topics))
    return consumer


def make_admin(bootstrap_servers: str, client_id: str, **overrides: Any) -> KafkaAdminClient:
    settings = dict(bootstrap_servers=bootstrap_servers.split(","), client_id=client_id, request_timeout_ms=10000,
                    **kafka_security())
    settings.update(overrides)
    return KafkaAdminClient(**settings)


def ensure_topics(bootstrap_servers: str, topics: list[str] | tuple[str, ...] = TOPICS,
                  partitions: int = DEFAULT_PARTITIONS, deadline_s: float = 60.0, security: dict[str, Any] | None = None) -> None:
    """Create the topics if they do not exist, retrying until the broker answers or the deadline.

    On an authenticated cluster (KAFKA_SECURITY_PROTOCOL other than PLAINTEXT) services create no topics:
    the cluster's operator provisions them (Strimzi KafkaTopic, `vorort kafka start --nodes 3`), and a
    service principal may neither see nor create the topics it does not use. The provisioning itself passes
    the super user's `security` settings."""
    if security is None and kafka_security():
        return
    end = time.monotonic() + deadline_s
    while True:
        try:
            with _admin(bootstrap_servers, security) as admin:
                _create_missing(admin, topics, partitions)
            return
        except KafkaError as error:
            if time.monotonic() > end:
                raise
            log.warning("kafka not ready, retrying", extra={"error": str(error)})
            time.sleep(1.0)


@contextmanager
def _admin(bootstrap_servers: str, security: dict[str, Any] | None = None) -> Iterator[KafkaAdminClient]:
    admin = make_admin(bootstrap_servers, "vorort-admin", **(security or {}))
    try:
        yield admin
    finally:
        admin.close()


def _create_missing(admin: KafkaAdminClient, topics: Iterable[str], partitions: int) -> None:
    existing = set(admin.list_topics())
    # -1: the cluster's default.replication.factor (1 on one node, 3 on the three-node cluster)
    missing = [NewTopic(name=t, num_partitions=partitions, replication_factor=-1) for t in topics if t not in existing]
    if missing:
        try:
            admin.create_topics(missing)
        except TopicAlreadyExistsError:
            pass


class _NotReady(Exception):
    pass


def _answers(bootstrap_servers: str) -> bool:
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
                return True
        except (OSError, ValueError):
            continue
    return False


def _check_ready(bootstrap_servers: str, topics: Iterable[str], groups: Iterable[str], partitions: int) -> None:
    if not _answers(bootstrap_servers):
        raise _NotReady("no answer")
    with _admin(bootstrap_servers) as admin:
        if kafka_security():  # the operator provisions the topics, and a service sees only its own
            topics = ()
        else:
            _create_missing(admin, topics, partitions)
        for topic in admin.describe_topics(list(topics)) if topics else ():
            if topic.get("error_code") or not topic.get("partitions") or any(
                    p.get("error_code") or p.get("leader_id", -1) < 0 for p in topic["partitions"]):
                raise _NotReady(f"topic {topic.get('name')} has no leader yet")
        if groups:
            for group, described in admin.describe_groups(list(groups)).items():
                # A group that never met is "not found": its coordinator answered, which is what counts.
                if "Coordinator" in str(described.get("error") or ""):
                    raise _NotReady(f"group {group}: {described['error']}")


def wait_until_ready(bootstrap_servers: str, topics: list[str] | tuple[str, ...] = TOPICS, groups: Iterable[str] = (),
                     partitions: int = DEFAULT_PARTITIONS, timeout_s: float = 600.0) -> None:
    """Block until the broker answers, `topics` exist with a leader for every partition, and the coordinator of
    each consumer group answers. While the broker starts, the client library's connection errors are expected:
    they are held back, and one line says what the worker waits for (a second one when it is there)."""
    end = time.monotonic() + timeout_s
    library = logging.getLogger("kafka")
    level = library.level
    library.setLevel(logging.CRITICAL)
    started, reason = time.monotonic(), None
    try:
        while True:
            try:
                _check_ready(bootstrap_servers, topics, groups, partitions)
                break
            except (KafkaError, _NotReady) as error:
                if time.monotonic() > end:
                    raise TimeoutError(f"Kafka at {bootstrap_servers} not ready after {timeout_s:.0f}s: {error}") \
                        from None
                if reason is None:
                    log.info("waiting for Kafka (its topics and group coordinator)",
                             extra={"bootstrap_servers": bootstrap_servers})
                reason = str(error)
                time.sleep(1.0)
    finally:
        library.setLevel(level)
    if reason is not None:
        log.info("Kafka ready", extra={"waited_s": round(time.monotonic() - started, 1), "last_wait": reason})
