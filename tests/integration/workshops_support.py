"""Helpers for the workshops integration tests: the 2018 selection as events, a settable clock, and
delivery of selection events through the real consumer loop logic (without a broker)."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import create_engine, select

from services.workshops import consumers
from services.workshops import handlers as handlers_module
from services.workshops.db import metadata
from shared.bus import MessageBus
from shared.consumer import EventConsumer
from shared.events.catalogue import make_event, topic_for, validate_data

UTC = timezone.utc

SELECTED = {  # ags -> (name, population, size class)
    "05370040": ("Wassenberg", 18_500, "small"),
    "05958004": ("Arnsberg", 74_200, "medium"),
    "05970040": ("Siegen", 102_000, "large"),
}
NOT_SELECTED = {
    "05370016": "Heinsberg",
    "05754008": "Gütersloh",
    "05562004": "Bottrop",
}
WASSENBERG, ARNSBERG, SIEGEN = SELECTED
HEINSBERG, GUETERSLOH, BOTTROP = NOT_SELECTED


class Clock:
    """The service's clock in a test: set it, move it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Selection:
    """A call's selection with fresh ids, as the selection service would announce it."""
    call_id: str
    application_ids: dict  # ags -> application id

    @classmethod
    def fresh(cls, towns=(*SELECTED, *NOT_SELECTED)) -> Selection:
        return cls(str(uuid.uuid4()), {ags: str(uuid.uuid4()) for ags in towns})

    def selected(self, ags: str, workshops_per_place: int = 2):
        name, population, size_class = SELECTED[ags]
        return make_event("ApplicationSelected", {
            "call_id": self.call_id, "application_id": self.application_ids[ags],
            "municipality": {"ags": ags, "name": name, "population": population, "size_class": size_class},
            "rank": 1, "score": 4.5, "workshops_per_place": workshops_per_place,
            "decided_at": "2018-06-15T12:00:00+00:00"}, source="/tests/selection")

    def not_selected(self, ags: str, may_attend: bool = True):
        return make_event("ApplicationNotSelected", {
            "call_id": self.call_id, "application_id": self.application_ids[ags],
            "municipality": {"ags": ags, "name": NOT_SELECTED[ags]}, "rank": 5, "score": 3.0,
            "may_attend_workshops": may_attend, "decided_at": "2018-06-15T12:00:00+00:00"},
            source="/tests/selection")

    def vacated(self, ags: str):
        name, population, size_class = SELECTED[ags]
        return make_event("PlaceVacated", {
            "call_id": self.call_id, "application_id": self.application_ids[ags],
            "municipality": {"ags": ags, "name": name, "population": population, "size_class": size_class},
            "reason": "withdrawn", "vacated_at": "2018-07-02T09:00:00+00:00"}, source="/tests/selection")

    def completed(self, topic: str = "Smart City"):
        return make_event("SelectionCompleted", {
            "call_id": self.call_id, "call_title": "Netzwerk vor Ort 2018", "topic": topic, "places": 3,
            "selected": [self.application_ids[a] for a in SELECTED if a in self.application_ids],
            "ranking": [], "rationale": "Je eine Klein-, Mittel- und Großstadt.",
            "decided_at": "2018-06-15T12:00:00+00:00"}, source="/tests/selection")

    def all_events(self, uninvited=()):
        """Not selected first (all invited but `uninvited`), then the selected, then the summary."""
        return ([self.not_selected(a, may_attend=a not in uninvited) for a in NOT_SELECTED
                 if a in self.application_ids]
                + [self.selected(a) for a in SELECTED if a in self.application_ids] + [self.completed()])


@dataclass
class _Message:
    value: bytes
    topic: str = "vorort.selection"
    partition: int = 0
    offset: int = 0
    key: bytes | None = None
    headers: list | None = None


def deliverer(app, clock=None, group_id: str = "workshops.selection", handlers=None) -> EventConsumer:
    """The real idempotent consumer logic over the app's database, fed by hand: `.process(msg)`.
    Selection handlers unless `handlers` (a factory taking the bus) says otherwise."""
    ctx = app.extensions["vorort"]
    bus = ctx.bus if clock is None else MessageBus(ctx.uow_factory, handlers_module.COMMAND_HANDLERS, clock)
    make = handlers or consumers.selection_handlers
    return EventConsumer(group_id=group_id, topics=["vorort.selection"], handlers=make(bus),
                         uow_factory=ctx.uow_factory, consumer=None, producer=None)


def deliver(app, *events, clock=None, handlers=None):
    consumer = deliverer(app, clock, handlers=handlers)
    outcomes = [consumer.process(_Message(event.value(), key=event.key())).status for event in events]
    assert "dead_lettered" not in outcomes, outcomes
    return outcomes


def outbox(db_url: str) -> list[dict]:
    """The CloudEvents in the outbox, oldest first, each checked against the catalogue."""
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(metadata.tables["outbox"]).order_by(metadata.tables["outbox"].c.id)).all()
    engine.dispose()
    envelopes = []
    for row in rows:
        envelope = json.loads(row.payload)
        assert row.topic == topic_for(envelope["type"])
        assert row.message_key == envelope["subject"]
        validate_data(envelope["type"], envelope["data"], envelope["dataversion"])
        envelopes.append(envelope)
    return envelopes


def of_type(envelopes, event_type: str) -> list[dict]:
    return [e["data"] for e in envelopes if e["type"] == event_type]
