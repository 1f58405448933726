"""Helpers for the selection tests: the applications events it consumes, and a way to apply them.

`feed` applies events the way the consumer loop does (duplicate check, handler, processed record, one
commit per event), through the service's own handlers: the bootstrap seam, no broker needed.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.selection.consumers import HANDLERS
from services.selection.db import calls, candidates
from shared.events.catalogue import make_event, validate_data

APPLICATIONS = "/services/applications"
T0 = datetime(2018, 4, 2, 8, 0, tzinfo=timezone.utc)

# The 11 municipalities of 2018: the three selected ones and eight others (real names, invented data).
TOWNS_2018 = [
    ("Wassenberg", "05370040", 18_500),
    ("Arnsberg", "05958004", 74_200),
    ("Siegen", "05970040", 102_000),
    ("Bad Berleburg", "05970004", 19_400),
    ("Ahaus", "05554004", 39_000),
    ("Lemgo", "05766044", 40_700),
    ("Soest", "05974040", 47_500),
    ("Menden", "05962032", 52_500),
    ("Iserlohn", "05962024", 92_700),
    ("Gütersloh", "05754008", 100_200),
    ("Paderborn", "05774032", 150_500),
]


def size_class(population: int) -> str:
    return "rural" if population < 5_000 else "small" if population < 20_000 else \
        "medium" if population < 100_000 else "large"


def new_id() -> str:
    return str(uuid.uuid4())


def call_opened(call_id: str, *, places: int = 3, workshops_per_place: int = 2, title: str = "Netzwerk vor Ort",
                opens_at: datetime = T0, closes_at: datetime | None = None):
    return make_event("CallOpened", {
        "call_id": call_id, "title": title, "topic": "Smart City", "opens_at": opens_at,
        "closes_at": closes_at or opens_at + timedelta(days=60), "places": places,
        "workshops_per_place": workshops_per_place}, source=APPLICATIONS)


def call_closed(call_id: str, *, places: int = 3, workshops_per_place: int = 2, title: str = "Netzwerk vor Ort",
                closed_at: datetime = T0 + timedelta(days=60), applications: int | None = None):
    return make_event("CallClosed", {
        "call_id": call_id, "title": title, "topic": "Smart City", "closed_at": closed_at, "places": places,
        "workshops_per_place": workshops_per_place, "applications": applications}, source=APPLICATIONS)


def _application(application_id, call_id, name, ags, population, submitted_at, statement):
    return {"application_id": application_id, "call_id": call_id,
            "municipality": {"ags": ags, "name": name, "population": population,
                             "size_class": size_class(population)},
            "size_class": size_class(population), "focus_areas": ["mobility"], "statement": statement,
            "partners": ["Stadtwerke"], "submitted_at": submitted_at}


def submitted(application_id: str, call_id: str, name: str, ags: str, population: int, *,
              submitted_at: datetime = T0 + timedelta(days=1), statement: str = "Interessensbekundung"):
    return make_event("ApplicationSubmitted", _application(application_id, call_id, name, ags, population,
                                                           submitted_at, statement), source=APPLICATIONS)


def updated(application_id: str, call_id: str, name: str, ags: str, population: int, *,
            submitted_at: datetime = T0 + timedelta(days=1), updated_at: datetime = T0 + timedelta(days=2),
            statement: str = "Überarbeitete Fassung"):
    data = _application(application_id, call_id, name, ags, population, submitted_at, statement)
    data.update(updated_at=updated_at, changed_fields=["statement"])
    return make_event("ApplicationUpdated", data, source=APPLICATIONS)


def withdrawn(application_id: str, call_id: str, ags: str, *, withdrawn_at: datetime = T0 + timedelta(days=3)):
    return make_event("ApplicationWithdrawn", {"application_id": application_id, "call_id": call_id, "ags": ags,
                                               "withdrawn_at": withdrawn_at}, source=APPLICATIONS)


def feed(uow_factory, *events, group: str = "selection.candidates") -> None:
    for event in events:
        data = validate_data(event.type, event.data, event.version)
        with uow_factory() as uow:
            if uow.already_processed(group, event.id):
                continue
            HANDLERS[event.type](event, data, uow)
            uow.mark_processed(group, event)
            uow.commit()


def seed_call(uow_factory, *, places: int = 3, towns=TOWNS_2018, closed: bool = False) -> tuple[str, dict]:
    """A call with one application per town; returns (call id, application ids by town name)."""
    call_id = new_id()
    ids = {name: new_id() for name, _, _ in towns}
    events = [call_opened(call_id, places=places)]
    events += [submitted(ids[name], call_id, name, ags, population, submitted_at=T0 + timedelta(hours=i + 1))
               for i, (name, ags, population) in enumerate(towns)]
    if closed:
        events.append(call_closed(call_id, places=places, applications=len(towns)))
    feed(uow_factory, *events)
    return call_id, ids


def projection(engine, call_id: str | None = None) -> dict:
    """The projection's rows, comparable across databases."""
    with engine.connect() as connection:
        call_query, candidate_query = select(calls), select(candidates)
        if call_id:
            call_query = call_query.where(calls.c.id == call_id)
            candidate_query = candidate_query.where(candidates.c.call_id == call_id)
        return {
            "calls": sorted((dict(row._mapping) for row in connection.execute(call_query)), key=lambda r: r["id"]),
            "candidates": sorted((dict(row._mapping) for row in connection.execute(candidate_query)),
                                 key=lambda r: r["application_id"]),
        }
