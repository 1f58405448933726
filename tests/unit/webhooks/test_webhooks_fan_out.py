"""The fan-out is a command: the consumer turns each public event into `FanOut`, and its handler (routed by
COMMAND_HANDLERS) writes the deliveries, asking the panel members it is given by the bus."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from services.webhooks.consumers import fanout_consumer
from services.webhooks.domain import Endpoint, Owner
from services.webhooks.handlers import COMMAND_HANDLERS
from services.webhooks.signing import ed25519_keypair
from shared.bus import MessageBus
from shared.events.catalogue import make_event, spec_for

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


class _Endpoints:
    def __init__(self, endpoints):
        self.endpoints = endpoints

    def subscribed(self):
        return list(self.endpoints)


class _Deliveries:
    def __init__(self):
        self.added = []

    def add(self, delivery):
        self.added.append(delivery)


class _Session:
    def flush(self):
        pass


class FakeUnitOfWork:
    def __init__(self, endpoints):
        self.endpoints, self.deliveries, self.session = _Endpoints(endpoints), _Deliveries(), _Session()


def endpoint(role, organisation, event_types):
    return Endpoint.register(owner=Owner(role, organisation), url="https://hooks.example.org/x", description="",
                             event_types=list(event_types), contact_email="it@example.org", asymmetric=False,
                             created_by="test", now=NOW, keypair=ed25519_keypair)


def test_a_public_event_becomes_one_delivery_per_endpoint_that_may_see_it():
    event = make_event("ApplicationSelected", dict(spec_for("ApplicationSelected").example),
                       source="/services/selection")
    asked = []

    def panel_members(call_id):
        asked.append(call_id)
        return frozenset({"member-1"})

    office = endpoint("staff", "office", ["ApplicationSelected"])
    on_panel = endpoint("steering", "member-1", ["ApplicationSelected"])
    off_panel = endpoint("steering", "member-2", ["ApplicationSelected"])
    other_type = endpoint("staff", "office", ["CallOpened"])
    uow = FakeUnitOfWork([office, on_panel, off_panel, other_type])
    bus = MessageBus(lambda: uow, COMMAND_HANDLERS, lambda: NOW, {"panel_members": panel_members})

    fanout_consumer(bus).handlers["ApplicationSelected"](event, event.data, uow)

    assert [d.endpoint_id for d in uow.deliveries.added] == [office.id, on_panel.id]
    assert asked == [event.data["call_id"], event.data["call_id"]]
    assert all(d.event_id == event.id and d.created_at == NOW and d.status == "pending" for d in uow.deliveries.added)
    assert json.loads(uow.deliveries.added[0].payload) == event.to_cloudevent()
