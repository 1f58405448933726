"""End to end over real Kafka: applications -> vorort.applications -> the selection worker -> candidates;
the 2018 demo decision -> outbox -> vorort.selection; and the `rebuild` command over the real topic.

Processes: the applications relay and the selection worker run as real processes; the selection API runs
in a thread behind a real HTTP server, because the demo loader talks HTTP.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
from sqlalchemy import create_engine, func, select
from werkzeug.serving import make_server

from selection_support import TOWNS_2018, projection
from services.applications.app import create_app as create_applications_app
from services.selection.app import create_app as create_selection_app
from services.selection.db import metadata as selection_metadata
from shared.config import REPO_ROOT
from shared.events.catalogue import TOPIC_APPLICATIONS, TOPIC_SELECTION, spec_for, validate_data
from shared.events.envelope import HEADER_CONTENT_TYPE, STRUCTURED_CONTENT_TYPE
from shared.kafka import ensure_topics
from support import bearer, end_offsets, eventually, read_topic, service_process, settings
from vorort.demo_selection import load_selection_demo

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "erika.office")
SELECTED = ("Wassenberg", "Arnsberg", "Siegen")


def start_group_at(bootstrap: str, group: str, topic: str, offsets: dict) -> None:
    """Give a fresh consumer group the current end of the shared topic, so that it reads only this test's
    events and not everything other tests wrote before."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, p) for p in offsets])
    consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets.items()})
    consumer.close()


@pytest.fixture
def selection_server(pg_database, kafka_bootstrap):
    db_url = pg_database("selection")
    app = create_selection_app(settings("selection", db_url, kafka_bootstrap))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield db_url, f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(10)


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def submit_towns(client, call_id):
    ids = {}
    for name, ags, population in TOWNS_2018 + [("Bocholt", "05554008", 71_000)]:
        response = client.post(f"/v1/calls/{call_id}/applications", headers=bearer("municipality", name, ags=ags),
                               json={"municipality": {"ags": ags, "name": name, "population": population},
                                     "contact": {"name": "Kim Beispiel", "email": f"kim@{ags}.example.org"},
                                     "focus_areas": ["mobility"], "statement": f"Smart City in {name}"})
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    return ids


def test_submissions_become_candidates_and_the_decision_reaches_the_selection_topic(
        pg_database, kafka_bootstrap, selection_server, processes, tmp_path):
    ensure_topics(kafka_bootstrap)
    selection_db, base_url, selection_app = selection_server
    applications_db = pg_database("applications")
    suffix = f".test-{uuid.uuid4().hex[:8]}"  # the worker's group: selection.candidates.test-...
    start_group_at(kafka_bootstrap, f"selection.candidates{suffix}", TOPIC_APPLICATIONS,
                   end_offsets(kafka_bootstrap, TOPIC_APPLICATIONS))
    kafka_env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    processes.append(service_process("applications", ["worker", "--relay-only"],
                                     dict(kafka_env, APPLICATIONS_DATABASE_URL=applications_db),
                                     tmp_path / "applications-relay.log"))
    worker = service_process("selection", ["worker"],
                             dict(kafka_env, SELECTION_DATABASE_URL=selection_db, VORORT_CONSUMER_GROUP_SUFFIX=suffix),
                             tmp_path / "selection-worker.log")
    processes.append(worker)

    # Intake, through the applications service's API.
    applications = create_applications_app(settings("applications", applications_db, kafka_bootstrap)).test_client()
    now = datetime.now(timezone.utc)
    call_id = applications.post("/v1/calls", headers=STAFF, json={
        "title": "Netzwerk vor Ort 2018", "topic": "Smart City", "places": 3, "workshops_per_place": 2,
        "opens_at": (now - timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()}
    ).json["id"]
    assert applications.post(f"/v1/calls/{call_id}/open", headers=STAFF).status_code == 200
    ids = submit_towns(applications, call_id)
    assert applications.patch(f"/v1/applications/{ids['Arnsberg']}", headers=STAFF,
                              json={"statement": "Ganzheitlich, mit der REGIONALE 2025"}).status_code == 200
    assert applications.post(f"/v1/applications/{ids.pop('Bocholt')}/withdraw", headers=STAFF).status_code == 200
    assert applications.post(f"/v1/calls/{call_id}/close", headers=STAFF).status_code == 200

    selection = selection_app.test_client()

    def candidates_seen():
        call = selection.get(f"/v1/calls/{call_id}", headers=STAFF)
        if call.status_code != 200 or call.json["status"] != "closed":
            return None
        listing = selection.get(f"/v1/calls/{call_id}/candidates?page_size=100", headers=STAFF).json
        return listing if len(listing) == 11 else None

    listing = eventually(candidates_seen, timeout=90, message="the closed call and its 11 candidates")
    assert {c["application_id"] for c in listing} == set(ids.values())
    arnsberg = next(c for c in listing if c["application_id"] == ids["Arnsberg"])
    assert (arnsberg["size_class"], arnsberg["statement"]) == ("medium", "Ganzheitlich, mit der REGIONALE 2025")

    # The 2018 steering group at work, through the public HTTP API.
    since = end_offsets(kafka_bootstrap, TOPIC_SELECTION)
    load_selection_demo(base_url, STAFF, lambda member_id: bearer("steering", member_id), call_id, ids)
    decision = selection.get(f"/v1/calls/{call_id}/decision", headers=STAFF).json
    assert decision["selected"] == [ids[name] for name in SELECTED]
    assert decision["deviates_from_proposal"] is False

    def completed(messages):
        return any(_envelope(m)["type"] == "SelectionCompleted" and _envelope(m)["data"].get("call_id") == call_id
                   for m in messages)

    messages = read_topic(kafka_bootstrap, TOPIC_SELECTION, since, until=completed, timeout=90)
    mine = [m for m in messages if _envelope(m)["data"].get("call_id") == call_id]
    envelopes = [_envelope(m) for m in mine]
    by_type = {}
    for message, envelope in zip(mine, envelopes):
        assert envelope["specversion"] == "1.0" and envelope["source"] == "/services/selection"
        assert envelope["datacontenttype"] == "application/json"
        spec = spec_for(envelope["type"], envelope["dataversion"])
        assert spec.topic == TOPIC_SELECTION
        assert envelope["subject"] == envelope["data"][spec.subject_field] == message.key.decode()
        headers = dict(message.headers)
        assert headers[HEADER_CONTENT_TYPE] == STRUCTURED_CONTENT_TYPE.encode()
        assert not any(name.startswith("ce_") for name in headers)
        validate_data(envelope["type"], envelope["data"], envelope["dataversion"])
        by_type.setdefault(envelope["type"], []).append(envelope)
    assert {e["subject"] for e in by_type["ApplicationSelected"]} == {ids[name] for name in SELECTED}
    assert {e["data"]["workshops_per_place"] for e in by_type["ApplicationSelected"]} == {2}
    assert len(by_type["ApplicationNotSelected"]) == 8
    assert {e["data"]["may_attend_workshops"] for e in by_type["ApplicationNotSelected"]} == {True}
    [summary] = by_type["SelectionCompleted"]
    assert [line["name"] for line in summary["data"]["ranking"][:3]] == list(SELECTED)
    assert len(summary["data"]["ranking"]) == 11

    # Rebuild: stop the worker, rebuild from the whole topic with the real command, compare.
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    engine = create_engine(selection_db)
    before = projection(engine, call_id)
    reviews_before = _count(engine, "reviews")
    rebuild = subprocess.run(
        [sys.executable, "-m", "services.selection.app", "rebuild"], cwd=REPO_ROOT,
        env=_env(dict(kafka_env, SELECTION_DATABASE_URL=selection_db, VORORT_CONSUMER_GROUP_SUFFIX=suffix)),
        capture_output=True, text=True, timeout=600)
    assert rebuild.returncode == 0, rebuild.stderr[-3000:]
    counts = json.loads(rebuild.stdout.strip().splitlines()[-1])
    assert counts["applied"] >= 15
    assert projection(engine, call_id) == before
    assert _count(engine, "reviews") == reviews_before and reviews_before > 0
    print(f"rebuild over {TOPIC_APPLICATIONS}: {counts}")
    engine.dispose()


def _envelope(message) -> dict:
    """The CloudEvent of a message; other tests' messages on the shared topic may be anything."""
    try:
        envelope = json.loads(message.value)
    except (TypeError, ValueError):
        return {"type": None, "data": {}}
    return envelope if isinstance(envelope, dict) and isinstance(envelope.get("data"), dict) else \
        {"type": None, "data": {}}


def _count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(selection_metadata.tables[table])).scalar_one()


def _env(extra: dict) -> dict:
    import os

    env = dict(os.environ)
    env.update(extra)
    return env
