"""The webhooks worker as a real process on real Kafka and PostgreSQL, delivering to real HTTP receivers
that verify every signature with the `standardwebhooks` library.

- A whole call (30 events, from the first application to the published results) reaches the office's
  endpoint completely and verified, and each organisation's endpoint only what it may see.
- SIGKILL of the worker during a burst of 1,000 events loses none and creates no delivery twice.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, func, select

from publishing_support import start_group_at_end
from services.webhooks.consumers import FANOUT_GROUP, PUBLIC_TOPICS
from services.webhooks.db import deliveries
from services.webhooks.domain import VISIBLE_TYPES
from shared.events.catalogue import topic_for
from shared.kafka import ensure_topics, make_producer
from support import bearer, eventually, service_process
from webhooks_support import Receiver, flow_2018, register, webhooks_app

pytestmark = pytest.mark.integration

WASSENBERG = bearer("municipality", "wassenberg-it", ags="05370040")
IHK = bearer("partner", "ihk-siegen")
STEERING = bearer("steering", "m-ruhr")


class PanelServer:
    """Stands in for the selection API's `GET /v1/calls/{id}/panel`: m-ruhr sits on every call's panel."""

    def start(self):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = json.dumps({"members": [{"id": "m-ruhr"}, {"id": "m-lippe"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _worker_env(db_url: str, bootstrap: str, suffix: str, **extra) -> dict:
    env = {"WEBHOOKS_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
           "VORORT_CONSUMER_GROUP_SUFFIX": suffix, "WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.1/32",
           "WEBHOOKS_RETRY_SCHEDULE": "0,0.5,1,1,1", "WEBHOOKS_TIMEOUT_SECONDS": "2",
           "VORORT_KAFKA_SESSION_TIMEOUT_MS": "6000", "SMTP_URL": "smtp://127.0.0.1:9"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _stop(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except Exception:  # noqa: BLE001
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _publish(bootstrap: str, events) -> None:
    producer = make_producer(bootstrap, "test-webhooks")
    for event in events:
        producer.send(topic_for(event.type), key=event.key(), value=event.value(), headers=event.headers())
    producer.flush()
    producer.close()


def _fresh_group(bootstrap: str) -> str:
    suffix = f"-{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap)
    start_group_at_end(bootstrap, FANOUT_GROUP + suffix, PUBLIC_TOPICS)
    return suffix


def test_a_whole_call_reaches_every_endpoint_verified_and_each_organisation_sees_only_its_part(
        pg_database, kafka_bootstrap, tmp_path):
    db_url = pg_database("webhooks")
    client = webhooks_app(db_url).test_client()
    receivers = {name: Receiver().start() for name in ("office", "wassenberg", "ihk", "steering")}
    panels = PanelServer().start()
    suffix = _fresh_group(kafka_bootstrap)
    registered = {
        "office": register(client, receivers["office"].url),
        "wassenberg": register(client, receivers["wassenberg"].url, headers=WASSENBERG,
                               event_types=VISIBLE_TYPES["municipality"]),
        "ihk": register(client, receivers["ihk"].url, headers=IHK, event_types=VISIBLE_TYPES["partner"],
                        asymmetric_signature=True),
        "steering": register(client, receivers["steering"].url, headers=STEERING,
                             event_types=VISIBLE_TYPES["steering"]),
    }
    for name, receiver in receivers.items():
        receiver.secrets = [registered[name]["secret"]]
    events = flow_2018()
    ids = {e.id: e for e in events}
    process = service_process("webhooks", ["worker"], _worker_env(db_url, kafka_bootstrap, suffix,
                                                                   SELECTION_URL=panels.url), tmp_path / "w.log")
    try:
        _publish(kafka_bootstrap, events)

        def event_ids(name):
            # Only this test's events: the session's platform on the same broker publishes its own now and
            # then (periodic jobs), and the office's endpoint, subscribed to everything, gets those too.
            return {r.event["id"] for r in receivers[name].received} & set(ids)

        try:
            eventually(lambda: event_ids("office") == set(ids), timeout=120, message="30 events at the office")
        except AssertionError as missing:
            got = {r.event["id"] for r in receivers["office"].received}
            raise AssertionError(f"{missing}: it had {len(got & set(ids))} of them and {len(got - set(ids))} "
                                 f"other events; worker log: {(tmp_path / 'w.log').read_text()[-3000:]}") from None
        expected = {
            "wassenberg": {e.id for e in events if (e.data.get("municipality") or {}).get("ags") == "05370040"
                           and e.type != "SelectionCompleted"},
            "ihk": {e.id for e in events if e.type in VISIBLE_TYPES["partner"]},
            "steering": {e.id for e in events if e.type != "ResultsPublished"},
        }
        for name, wanted in expected.items():
            eventually(lambda: event_ids(name) >= wanted, timeout=60, message=f"{name}'s events")
    finally:
        _stop(process)
        panels.stop()
        for receiver in receivers.values():
            receiver.stop()

    assert len(expected["wassenberg"]) == 5 and len(expected["ihk"]) == 6 and len(expected["steering"]) == 28
    for name, receiver in receivers.items():
        assert all(r.verified for r in receiver.received), (name, [r.error for r in receiver.received])
        if name != "office":
            assert event_ids(name) == expected[name], name
    office = [r for r in receivers["office"].received if r.event["id"] in ids]
    assert len({r.webhook_id for r in office}) == 30
    for item in office:
        cloud_event = item.event
        assert cloud_event["specversion"] == "1.0" and cloud_event["type"] == ids[cloud_event["id"]].type
        assert cloud_event["data"] == ids[cloud_event["id"]].data
        assert item.headers["content-type"].startswith("application/cloudevents+json")
        assert "email" not in item.body.decode() and "contact" not in item.body.decode()
    assert all("v1a," in r.headers["webhook-signature"] for r in receivers["ihk"].received)


def test_sigkill_during_a_burst_of_1000_events_loses_none_and_creates_no_delivery_twice(
        pg_database, kafka_bootstrap, tmp_path):
    from selection_support import TOWNS_2018, size_class
    from shared.events.catalogue import make_event

    db_url = pg_database("webhooks")
    client = webhooks_app(db_url).test_client()
    office, wassenberg = Receiver().start(), Receiver().start()
    suffix = _fresh_group(kafka_bootstrap)
    office.secrets = [register(client, office.url, event_types=["ApplicationSubmitted"])["secret"]]
    wassenberg.secrets = [register(client, wassenberg.url, headers=WASSENBERG,
                                   event_types=["ApplicationSubmitted"])["secret"]]
    call_id = str(uuid.uuid4())
    events = []
    for i in range(1000):
        name, ags, population = TOWNS_2018[i % len(TOWNS_2018)]
        events.append(make_event("ApplicationSubmitted", {
            "application_id": str(uuid.uuid4()), "call_id": call_id,
            "municipality": {"ags": ags, "name": name, "population": population,
                             "size_class": size_class(population)},
            "size_class": size_class(population), "submitted_at": "2018-05-02T10:00:00+00:00"},
            source="/services/applications"))
    wanted_office = {e.id for e in events}
    wanted_wassenberg = {e.id for e in events if e.data["municipality"]["ags"] == "05370040"}
    env = _worker_env(db_url, kafka_bootstrap, suffix)
    engine = create_engine(db_url)

    def rows():
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(deliveries))

    process = service_process("webhooks", ["worker"], env, tmp_path / "w1.log")
    try:
        _publish(kafka_bootstrap, events)
        # Kill it while it fans out and delivers: some deliveries exist, most are still to come.
        eventually(lambda: len(office.received) >= 100, timeout=120, message="the burst under way")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        killed_at = (rows(), len(office.received))
        process = service_process("webhooks", ["worker"], env, tmp_path / "w2.log")

        def event_ids(receiver):
            return {r.event["id"] for r in receiver.received}

        eventually(lambda: event_ids(office) == wanted_office and event_ids(wassenberg) == wanted_wassenberg,
                   timeout=300, interval=0.5, message="every event at every matching endpoint")
    finally:
        _stop(process)
        office.stop()
        wassenberg.stop()
    assert killed_at[1] < len(wanted_office), "the kill came after the burst was done; it proved nothing"
    assert rows() == len(wanted_office) + len(wanted_wassenberg)
    for receiver in (office, wassenberg):
        assert all(r.verified for r in receiver.received)
        webhook_ids = {}
        for item in receiver.received:
            webhook_ids.setdefault(item.event["id"], set()).add(item.webhook_id)
        assert all(len(found) == 1 for found in webhook_ids.values()), "an event got two deliveries"
    engine.dispose()
