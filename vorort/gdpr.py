"""One person's data across every service: export it, erase it (GDPR Art. 15, 17, 20).

Export asks each service's `GET /v1/personal-data?email=` with a staff token and gathers the answers
into one machine-readable document. Erasure publishes one `PersonalDataErasureRequested` event (with the
address's SHA-256, never the address) and waits for every service's `PersonalDataErased` answer.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import requests
from kafka import KafkaConsumer, TopicPartition

from shared.auth import service_token
from shared.config import kafka_bootstrap_servers, kafka_security, service_url
from shared.events.catalogue import TOPIC_PRIVACY
from shared.events.envelope import Event
from shared.kafka import ensure_topics, make_producer
from shared.privacy import erasure_request

# Services that hold personal data and answer erasure requests.
PERSONAL_DATA_SERVICES = ("applications", "selection", "workshops", "publishing", "webhooks", "identity", "portal")


def export(email: str, services=PERSONAL_DATA_SERVICES, requested_by: str = "staff:gdpr") -> dict:
    headers = {"Authorization": "Bearer " + service_token("operator")}
    records: dict[str, list] = {}
    result = {"email": email, "exported_at": datetime.now(timezone.utc).isoformat(), "services": records}
    for name in services:
        response = requests.get(f"{service_url(name)}/v1/personal-data", params={"email": email}, headers=headers,
                                timeout=15)
        response.raise_for_status()
        records[name] = response.json()["records"]
    return result


def erase(email: str, services=PERSONAL_DATA_SERVICES, requested_by: str = "staff:gdpr",
          bootstrap: str | None = None, timeout_s: float = 120.0) -> dict:
    """Publish the erasure request and wait until every service confirmed; returns records per service."""
    bootstrap = bootstrap or kafka_bootstrap_servers()
    ensure_topics(bootstrap, [TOPIC_PRIVACY])
    event = erasure_request(email, requested_by)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False,
                             **kafka_security())
    partitions = [TopicPartition(TOPIC_PRIVACY, p) for p in consumer.partitions_for_topic(TOPIC_PRIVACY) or [0]]
    consumer.assign(partitions)
    consumer.seek_to_end(*partitions)
    for partition in partitions:
        consumer.position(partition)
    producer = make_producer(bootstrap, "vorort-gdpr")
    producer.send(TOPIC_PRIVACY, key=event.key(), value=event.value(), headers=event.headers()).get(30)
    producer.close()
    request_id = event.data["request_id"]
    confirmed: dict[str, int] = {}
    deadline = time.monotonic() + timeout_s
    while set(confirmed) < set(services) and time.monotonic() < deadline:
        for messages in consumer.poll(timeout_ms=500).values():
            for message in messages:
                try:
                    answer = Event.from_value(message.value)
                except ValueError:
                    continue
                if answer.type == "PersonalDataErased" and answer.data.get("request_id") == request_id:
                    confirmed[answer.data["service"]] = answer.data["records"]
    consumer.close()
    missing = sorted(set(services) - set(confirmed))
    return {"request_id": request_id, "erased": confirmed, "unconfirmed": missing}
