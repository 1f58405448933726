"""A completed workshop travels over real Kafka through the real worker process to a draft; the office
publishes it, the relay announces it, and it appears in both feeds, which validate."""
from __future__ import annotations

import json

import feedparser
import jsonschema
import pytest

from jsonfeed_schema import JSON_FEED_1_1_SCHEMA
from publishing_support import (BASE_URL, SECRET, SENDER, STAFF, start_groups_at_end, unique_suffix, worker_env,
                                worker_process, workshop_completed)
from services.publishing.app import create_app
from services.publishing.domain import publication_id
from services.publishing.settings import PublishingSettings
from shared.events.catalogue import TOPIC_PUBLISHING, TOPIC_WORKSHOPS
from shared.kafka import ensure_topics, make_producer
from support import end_offsets, eventually, read_topic, settings

pytestmark = pytest.mark.integration


def test_a_completed_workshop_becomes_a_draft_and_once_published_is_in_both_feeds(pg_database, kafka_bootstrap,
                                                                                   tmp_path):
    db_url = pg_database("publishing")
    ensure_topics(kafka_bootstrap)
    suffix = unique_suffix()
    start_groups_at_end(kafka_bootstrap, suffix)
    since = end_offsets(kafka_bootstrap, TOPIC_PUBLISHING)
    options = PublishingSettings(base_url=BASE_URL, secret=SECRET, sender=SENDER)
    client = create_app(settings("publishing", db_url, kafka_bootstrap), options=options).test_client()
    event = workshop_completed(name="Siegen", ags="05970040", sequence=2)
    pid = publication_id("workshop_result", event.subject)

    with worker_process(worker_env(db_url, kafka_bootstrap, "smtp://127.0.0.1:9", suffix), tmp_path / "worker.log"):
        producer = make_producer(kafka_bootstrap, "test-publishing-results")
        producer.send(TOPIC_WORKSHOPS, key=event.key(), value=event.value(), headers=event.headers())
        producer.flush()
        producer.close()

        def drafted():
            response = client.get(f"/v1/publications/{pid}", headers=STAFF)
            return response.json if response.status_code == 200 else None

        draft = eventually(drafted, timeout=90, message="draft publication from the worker")
        assert draft["status"] == "draft" and draft["source_id"] == event.subject
        assert draft["title"] == "Ergebnisse der 2. Strategiewerkstatt in Siegen"
        assert pid not in client.get("/feeds/results.atom").get_data(as_text=True)

        published = client.post(f"/v1/publications/{pid}/publish", headers=STAFF)
        assert published.status_code == 200

        def announced(messages):
            return any(m.key == pid.encode() for m in messages)

        messages = read_topic(kafka_bootstrap, TOPIC_PUBLISHING, since, until=announced, timeout=90)
    announcements = [json.loads(m.value) for m in messages if m.key == pid.encode()]
    assert [a["type"] for a in announcements] == ["ResultsPublished"]
    assert announcements[0]["data"]["url"] == f"{BASE_URL}/results/{pid}"

    atom = client.get("/feeds/results.atom")
    assert atom.mimetype == "application/atom+xml"
    parsed = feedparser.parse(atom.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [entry.id for entry in parsed.entries] == [f"urn:uuid:{pid}"]
    assert parsed.entries[0].link == f"{BASE_URL}/results/{pid}"
    assert parsed.entries[0].title == "Ergebnisse der 2. Strategiewerkstatt in Siegen"
    assert next(link.href for link in parsed.feed.links if link.rel == "self") == f"{BASE_URL}/feeds/results.atom"

    feed = client.get("/feeds/results.json")
    assert feed.mimetype == "application/feed+json"
    document = json.loads(feed.data)
    jsonschema.validate(document, JSON_FEED_1_1_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert document["feed_url"] == f"{BASE_URL}/feeds/results.json"
    assert [(item["id"], item["url"]) for item in document["items"]] == [
        (f"urn:uuid:{pid}", f"{BASE_URL}/results/{pid}")]
    assert "Mobilitätsstationen" in document["items"][0]["content_text"]
