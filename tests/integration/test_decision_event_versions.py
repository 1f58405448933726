"""The decision events' v2 (SelectionCompleted, ApplicationSelected, ApplicationNotSelected) carry no
scores, and every consumer of them reads both versions: v1 events written before the change stay in the
topic and are still consumed (workshops, publishing, webhooks), over real PostgreSQL through each worker's
own consumer logic."""
from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass

import pytest

from shared.consumer import EventConsumer
from shared.events.catalogue import TOPIC_SELECTION, make_event, spec_for
from support import api_services, bearer, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "erika.office")


@dataclass
class _Message:
    value: bytes
    topic: str = TOPIC_SELECTION
    partition: int = 0
    offset: int = 0
    key: bytes | None = None
    headers: list | None = None


DECISION_EVENTS = ("SelectionCompleted", "ApplicationSelected", "ApplicationNotSelected")


def consuming_services(event_type: str = "SelectionCompleted") -> list[str]:
    """Every service whose worker has a handler for `event_type` (a new consumer is covered at once)."""
    found = []
    for service in api_services():
        module = importlib.import_module(f"services.{service}.app")
        if not hasattr(module, "worker_plan"):
            continue
        app = module.create_app(settings(service, "sqlite://", "127.0.0.1:1"))
        plan = _plan(module, app)
        if any(event_type in spec.handlers for spec in plan.consumers):
            found.append(service)
    return found


def _plan(module, app):
    ctx = app.extensions["vorort"]
    if module.NAME == "webhooks":
        return module.worker_plan(ctx, panel_members=lambda call_id: frozenset())
    return module.worker_plan(ctx)


def completed(version: int, title: str):
    data = dict(spec_for("SelectionCompleted", version).example, call_id=str(uuid.uuid4()), call_title=title)
    return make_event("SelectionCompleted", data, source="/services/selection", version=version)


def decision_event(event_type: str, version: int):
    if event_type == "SelectionCompleted":
        return completed(version, f"Aufruf v{version}")
    data = dict(spec_for(event_type, version).example, call_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()))
    return make_event(event_type, data, source="/services/selection", version=version)


def test_selection_completed_v2_names_the_outcome_without_scores():
    v1, v2 = spec_for("SelectionCompleted", 1), spec_for("SelectionCompleted", 2)
    assert spec_for("SelectionCompleted") is v2  # what selection emits now
    line_v1 = v1.schema().fields["ranking"].inner.schema.fields
    line_v2 = v2.schema().fields["ranking"].inner.schema.fields
    assert {"score", "reviews"} <= set(line_v1)
    assert set(line_v2) == {"application_id", "ags", "name", "size_class", "rank", "selected"}


@pytest.mark.parametrize("event_type", ["ApplicationSelected", "ApplicationNotSelected"])
def test_the_decision_events_v2_carry_the_rank_without_the_score(event_type):
    v1, v2 = spec_for(event_type, 1), spec_for(event_type, 2)
    assert spec_for(event_type) is v2  # what selection emits now
    assert "score" in v1.schema().fields and "score" not in v2.schema().fields
    assert set(v1.schema().fields) - set(v2.schema().fields) == {"score"}
    emitted = make_event(event_type, dict(v1.example), source="/services/selection")
    assert emitted.version == 2 and "score" not in emitted.data and emitted.data["rank"] == v1.example["rank"]


def test_the_consumers_are_the_expected_ones():
    assert set(consuming_services()) >= {"workshops", "publishing", "webhooks"}
    assert set(consuming_services("ApplicationSelected")) >= {"workshops", "publishing", "webhooks"}
    assert set(consuming_services("ApplicationNotSelected")) >= {"publishing", "webhooks"}


@pytest.mark.parametrize(("event_type", "service"), [(event_type, service) for event_type in DECISION_EVENTS
                                                     for service in consuming_services(event_type)])
@pytest.mark.parametrize("version", [1, 2])
def test_every_consumer_applies_both_versions(pg_database, monkeypatch, event_type, service, version):
    monkeypatch.setenv("WEBHOOKS_ALLOWED_NETWORKS", "127.0.0.1/32")  # the office's endpoint is on loopback
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(settings(service, pg_database(service), "127.0.0.1:1"))
    plan = _plan(module, app)
    if service == "webhooks":  # an office endpoint that subscribes to it
        registered = app.test_client().post("/v1/endpoints", headers=STAFF, json={
            "url": "http://127.0.0.1:9/hooks", "event_types": [event_type],
            "contact_email": "technik@example.org"})
        assert registered.status_code == 201, registered.get_json()
    event = decision_event(event_type, version)
    [spec] = [s for s in plan.consumers if event_type in s.handlers]
    consumer = EventConsumer(group_id=spec.group_id, topics=spec.topics, handlers=spec.handlers,
                             uow_factory=plan.uow_factory, consumer=None, producer=None)
    assert consumer.process(_Message(event.value(), key=event.key())).status == "applied"
    client = app.test_client()
    if service == "publishing" and event_type == "SelectionCompleted":
        drafts = client.get("/v1/publications?status=draft", headers=STAFF).get_json()
        assert any("Wassenberg" in d["title"] for d in drafts), drafts
    if service == "webhooks":
        [endpoint] = client.get("/v1/endpoints", headers=STAFF).get_json()
        deliveries = client.get(f"/v1/endpoints/{endpoint['id']}/deliveries", headers=STAFF).get_json()
        assert [d["event_type"] for d in deliveries] == [event_type], deliveries
    if service == "publishing" and event_type != "SelectionCompleted":  # a decision letter awaits review
        notices = client.get(f"/v1/notices?call_id={event.data['call_id']}", headers=STAFF).get_json()
        assert [n["application_id"] for n in notices] == [event.data["application_id"]], notices
    if service == "workshops" and event_type == "ApplicationSelected":  # its series is planned
        series = client.get(f"/v1/workshops?call_id={event.data['call_id']}", headers=STAFF).get_json()
        assert len(series) == event.data["workshops_per_place"], series
