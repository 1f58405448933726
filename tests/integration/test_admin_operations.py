"""The operations page: health of every service, consumer lag per group, dead letters and their replay."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from admin_support import AdminSession, staff_session
from shared.kafka import ensure_topics
from support import read_topic

pytestmark = pytest.mark.integration


@pytest.fixture
def staff_admin(platform) -> AdminSession:
    return staff_session(platform)


def test_the_health_of_every_service_is_shown(staff_admin):
    page = staff_admin.get("/operations").text
    for service in ("Verwaltung (dieser Dienst)", "Bewerbungen", "Auswahl", "Strategiewerkstätten",
                    "Veröffentlichung"):
        assert re.search(rf"<th scope=\"row\">{re.escape(service)}</th>\s*<td><span class=\"status status-ready\">", page), service
    assert "nicht erreichbar" not in page


def test_consumer_lag_is_shown_per_group(platform, kafka_bootstrap, staff_admin):
    topic, group = f"admin-lag-{uuid.uuid4().hex[:8]}", f"admin-lag-group-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [topic], partitions=1)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","))
    for n in range(3):
        producer.send(topic, key=b"k", value=f"message {n}".encode()).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap.split(","), group_id=group, enable_auto_commit=False)
    consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(1, "", -1)})
    consumer.close()

    page = staff_admin.get("/operations").text
    row = re.search(rf"{group}<br><span class=\"hint\">Rückstand gesamt (\d+)</span>", page)
    assert row and row.group(1) == "2"
    assert f"<td>{topic} / 0</td><td class=\"num\">1</td><td class=\"num\">3</td><td class=\"num\">2</td>" in page


def test_a_dead_letter_shows_its_error_and_can_be_replayed_to_its_topic(platform, kafka_bootstrap, staff_admin):
    run = uuid.uuid4().hex[:8]
    original, dead = f"admin-test-{run}.events", f"admin-test-{run}.dlq"
    ensure_topics(kafka_bootstrap, [original, dead], partitions=1)
    event_id = str(uuid.uuid4())
    value = json.dumps({"specversion": "1.0", "id": event_id, "type": "WorkshopCompleted",
                        "source": "/test", "data": {"workshop_id": "w-1"}}).encode()
    original_headers = [("ce_id", event_id.encode()), ("ce_type", b"WorkshopCompleted"),
                        ("correlation_id", b"corr-1")]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","))
    producer.send(dead, key=b"w-1", value=value, headers=original_headers + [
        ("dlq_original_topic", original.encode()), ("dlq_original_partition", b"0"),
        ("dlq_original_offset", b"41"), ("dlq_consumer_group", f"admin-test-{run}".encode()),
        ("dlq_error", b"failed 5 times: OperationalError('database unavailable')")]).get(timeout=30)
    producer.close()

    overview = staff_admin.get("/operations").text
    assert f'href="/operations/dead-letters/{dead}"' in overview
    letters = staff_admin.get(f"/operations/dead-letters/{dead}").text
    assert "failed 5 times: OperationalError(&#39;database unavailable&#39;)" in letters
    assert f"{original} / 0 / 41" in letters
    assert "WorkshopCompleted" in letters and event_id in letters

    replayed = staff_admin.post(f"/operations/dead-letters/{dead}/0/0/replay", token_from=f"/operations/dead-letters/{dead}")
    assert replayed.status_code == 302
    messages = read_topic(kafka_bootstrap, original, until=lambda found: len(found) >= 1, timeout=30)
    assert len(messages) == 1
    message = messages[0]
    assert (message.key, message.value) == (b"w-1", value)
    assert list(message.headers) == original_headers
    after = staff_admin.get(f"/operations/dead-letters/{dead}").text
    assert re.search(r"Erneut gesendet</dt><dd>[^<]+ von erika\.musterfrau</dd>", after)


def test_replaying_a_message_that_is_not_there_says_so(staff_admin, kafka_bootstrap):
    dead = f"admin-empty-{uuid.uuid4().hex[:8]}.dlq"
    ensure_topics(kafka_bootstrap, [dead], partitions=1)
    response = staff_admin.post(f"/operations/dead-letters/{dead}/0/5/replay", token_from="/operations")
    assert response.status_code == 302
    assert "nicht mehr im DLQ-Topic" in staff_admin.get(response.headers["Location"]).text
