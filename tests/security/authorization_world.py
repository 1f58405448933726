"""A small, real world for the authorization policy test: every API service in-process (Flask test clients)
on its own PostgreSQL database, joined by an in-process relay that hands each service's outbox events to
the consumers of every other service (the worker's own consumer logic, no broker).

What it holds, built through the APIs themselves:
- two calls: `decided` (Wassenberg selected, Arnsberg not; the panel is steering member 1) and `in_review`
  (closed, under review; the panel is steering member 2), each with an application from both municipalities;
- reviews, a conflict of interest, a balance rule, a decision with its letters sent;
- a scheduled workshop of the selected municipality with the partner's registration;
- the publication drafted from the decision, a member, a newsletter, an enquiry, a subscriber;
- the partner's webhook endpoint with a delivery; identity's organisations, a person and a client.
"""
from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from shared.consumer import EventConsumer
from support import bearer, settings

MUNICIPALITY_A = ("Wassenberg", "05370040", 18_500)
MUNICIPALITY_B = ("Arnsberg", "05958004", 74_200)
STEERING_1 = "stg-authz-eins"
STEERING_2 = "stg-authz-zwei"
PARTNER = "partner-stadtwerke"
ACTORS = ("staff", "municipality_a", "municipality_b", "steering_1", "steering_2", "partner", "anonymous")
NOW = datetime.now(timezone.utc)


def actor_headers(actor: str) -> dict:
    return {
        "staff": lambda: bearer("staff", "erika.office"),
        "municipality_a": lambda: bearer("municipality", f"municipality:{MUNICIPALITY_A[1]}", ags=MUNICIPALITY_A[1]),
        "municipality_b": lambda: bearer("municipality", f"municipality:{MUNICIPALITY_B[1]}", ags=MUNICIPALITY_B[1]),
        "steering_1": lambda: bearer("steering", STEERING_1),
        "steering_2": lambda: bearer("steering", STEERING_2),
        "partner": lambda: bearer("partner", PARTNER),
        "anonymous": dict,
    }[actor]()


@dataclass
class _Message:
    value: bytes
    topic: str
    partition: int = 0
    offset: int = 0
    key: bytes | None = None
    headers: list | None = None


class _ApplicationsDirectory:
    """Publishing's directory seam, answered by the applications app in this world (staff token)."""

    def __init__(self, client):
        self.client = client

    def contact(self, application_id: str):
        from services.publishing.directory import Contact

        found = self.client.get(f"/v1/applications/{application_id}", headers=actor_headers("staff"))
        contact = found.get_json()["contact"] if found.status_code == 200 else None
        return Contact(name=contact["name"], email=contact["email"]) if contact else None

    def registrant(self, workshop_id: str, registration_id: str):
        return None


@dataclass
class World:
    apps: dict
    ids: dict = field(default_factory=dict)  # what the test fills path parameters with
    seen: dict = field(default_factory=dict)  # outbox id relayed up to, per service
    plans: dict = field(default_factory=dict)
    publishing_dispatcher: object = None  # the decision letters' sender, set up with the world

    def client(self, service: str):
        return self.apps[service].test_client()

    def ok(self, response, *statuses) -> dict:
        assert response.status_code in (statuses or (200, 201)), (response.status_code, response.get_data(True))
        return response.get_json()

    def call(self, service: str, method: str, path: str, actor: str = "staff", body=None, **kwargs):
        return self.client(service).open(path, method=method, headers=actor_headers(actor), json=body, **kwargs)

    # --- the in-process relay --------------------------------------------------------------------
    def relay(self) -> int:
        """Hand every new outbox event of every service to every consumer subscribed to its topic, until
        nothing new is written. Returns how many events went round."""
        moved = 0
        while True:
            batch = []
            for service, app in self.apps.items():
                ctx = app.extensions["vorort"]
                outbox = ctx.metadata.tables.get("outbox")
                if outbox is None:
                    continue
                with ctx.engine.connect() as connection:
                    rows = connection.execute(select(outbox).where(outbox.c.id > self.seen.get(service, 0))
                                              .order_by(outbox.c.id)).all()
                for row in rows:
                    self.seen[service] = row.id
                    batch.append(row)
            if not batch:
                return moved
            for row in batch:
                moved += 1
                payload = row.payload if isinstance(row.payload, bytes) else row.payload.encode()
                for consumer in self._consumers(row.topic):
                    outcome = consumer.process(_Message(payload, row.topic))
                    assert outcome.status != "dead_lettered", (row.topic, json.loads(payload)["type"], outcome)

    def _consumers(self, topic: str) -> list[EventConsumer]:
        found = []
        for plan in self.plans.values():
            for spec in plan.consumers:
                if topic in spec.topics:
                    found.append(EventConsumer(group_id=spec.group_id, topics=spec.topics, handlers=spec.handlers,
                                               uow_factory=plan.uow_factory, consumer=None, producer=None))
        return found

    def panel_members(self, call_id: str) -> frozenset:
        found = self.call("selection", "GET", f"/v1/calls/{call_id}/panel")
        return frozenset(m["id"] for m in found.get_json()["members"]) if found.status_code == 200 else frozenset()


def build_apps(postgres, services) -> tuple[dict, list]:
    from shared.db import migrate

    apps, urls = {}, []
    for service in services:
        module = importlib.import_module(f"services.{service}.app")
        url = postgres.create_database(f"authz_{service}")
        urls.append(url)
        migrate(url, module.MIGRATIONS)
        apps[service] = module.create_app(settings(service, url, "127.0.0.1:1"))
    return apps, urls


def build_world(apps: dict, smtp_url: str) -> World:
    world = World(apps)
    for service, app in apps.items():
        module = importlib.import_module(f"services.{service}.app")
        ctx = app.extensions["vorort"]
        if service == "webhooks":
            world.plans[service] = module.worker_plan(ctx, panel_members=world.panel_members)
        elif service == "publishing":
            world.plans[service] = module.worker_plan(ctx, dispatcher=_publishing_dispatcher(world, ctx, smtp_url))
        elif hasattr(module, "worker_plan"):
            world.plans[service] = module.worker_plan(ctx)
    _identity(world)
    _webhooks(world)
    decided = _call(world, "decided", places=1)
    in_review = _call(world, "in_review", places=1)
    world.relay()
    _panel_and_reviews(world, decided, STEERING_1, score=5)
    _panel_and_reviews(world, in_review, STEERING_2, score=3)
    _decide(world, decided)
    world.relay()
    _workshop(world, decided)
    _publishing(world)
    world.relay()
    _letters(world, smtp_url)
    world.ids["calls"] = {"decided": decided, "in_review": in_review}
    return world


# --- the objects -------------------------------------------------------------------------------------
def _call(world: World, name: str, *, places: int) -> dict:
    call = world.ok(world.call("applications", "POST", "/v1/calls", body={
        "title": f"Netzwerk vor Ort ({name})", "topic": "Smart City", "places": places,
        "opens_at": (NOW + timedelta(minutes=1)).isoformat(), "closes_at": (NOW + timedelta(days=30)).isoformat()}))
    world.ok(world.call("applications", "PATCH", f"/v1/calls/{call['id']}",
                        body={"opens_at": (NOW - timedelta(hours=1)).isoformat()}))
    world.ok(world.call("applications", "POST", f"/v1/calls/{call['id']}/open"))
    applications = {}
    for actor, (town, ags, population) in (("municipality_a", MUNICIPALITY_A), ("municipality_b", MUNICIPALITY_B)):
        applications[actor] = world.ok(world.call("applications", "POST", f"/v1/calls/{call['id']}/applications",
                                                  actor, body={
            "municipality": {"ags": ags, "name": town, "population": population},
            "contact": {"name": f"Kontakt {town}", "email": f"kontakt@{town.lower()}.example.org"},
            "focus_areas": ["mobility"], "statement": f"Smart-City-Strategie für {town}"}))["id"]
    world.ok(world.call("applications", "POST", f"/v1/calls/{call['id']}/close"))
    return {"id": call["id"], "applications": applications, "decided": name == "decided"}


CRITERIA = [{"key": "concept", "label": "Konzept", "weight": 1.0}]


def _panel_and_reviews(world: World, call: dict, member: str, *, score: int) -> None:
    call_id = call["id"]
    world.ok(world.call("selection", "PUT", f"/v1/calls/{call_id}/panel", body={
        "members": [{"id": member, "name": "Henrike Beispiel", "institution": "Städtetag NRW",
                     "email": f"{member}@example.org", "role": "chair"}], "criteria": CRITERIA}))
    world.ok(world.call("selection", "PUT", f"/v1/calls/{call_id}/balance-rule", body={"minimum": {}, "maximum": {}}))
    a, b = call["applications"]["municipality_a"], call["applications"]["municipality_b"]
    for application_id, value in ((a, score), (b, score - 2)):
        world.ok(world.call("selection", "PUT", f"/v1/calls/{call_id}/candidates/{application_id}/reviews/{member}",
                            "steering_1" if member == STEERING_1 else "steering_2",
                            body={"scores": {"concept": value}, "comment": "Tragfähiges Konzept."}))
    call["member"] = member


def _decide(world: World, call: dict) -> None:
    world.ok(world.call("selection", "POST", f"/v1/calls/{call['id']}/decision", body={
        "selected": [call["applications"]["municipality_a"]], "rationale": "Das beste Konzept.",
        "decided_at": datetime.now(timezone.utc).isoformat(), "present_member_ids": [call["member"]]}))


def _workshop(world: World, call: dict) -> None:
    """Both workshops of the selected municipality scheduled: operations are tried on the first (which
    the office may cancel on the way), registrations that are taken away are made on the second."""
    workshops = world.ok(world.call("workshops", "GET", "/v1/workshops"))
    mine = sorted((w for w in workshops if w["application_id"] == call["applications"]["municipality_a"]),
                  key=lambda w: w["sequence"])
    for days, workshop in zip((20, 40), mine):
        world.ok(world.call("workshops", "PATCH", f"/v1/workshops/{workshop['id']}", body={
            "starts_at": (NOW + timedelta(days=days)).isoformat(),
            "ends_at": (NOW + timedelta(days=days, hours=6)).isoformat(), "venue": "Rathaus Wassenberg",
            "capacity": 30, "registration_opens_at": (NOW - timedelta(hours=1)).isoformat(),
            "registration_closes_at": (NOW + timedelta(days=days - 1)).isoformat()}))
    world.ids["workshop_id"], world.ids["spare_workshop_id"] = mine[0]["id"], mine[1]["id"]
    world.ids["registration_id"] = register(world, world.ids["workshop_id"])


def register(world: World, workshop_id: str) -> str:
    """A new registration of the partner for a workshop of the world."""
    return world.ok(world.call("workshops", "POST", f"/v1/workshops/{workshop_id}/registrations",
                               "partner", body={"name": "Paul Partner", "email": f"paul.{os.urandom(3).hex()}@example.org",
                                                "organisation": "Stadtwerke", "participant_type": "business",
                                                "consent": True}))["id"]


def _publishing(world: World) -> None:
    world.ids["publication_id"] = world.ok(world.call("publishing", "GET", "/v1/publications?status=draft",
                                                      "staff"))[0]["id"]
    world.ok(world.call("publishing", "POST", f"/v1/publications/{world.ids['publication_id']}/publish"))
    world.ids["publishing_member_id"] = publishing_member(world)
    world.ids["newsletter_id"] = world.ok(world.call("publishing", "POST", "/v1/newsletters", body={
        "subject": "Neues aus dem Netzwerk", "publication_ids": [world.ids["publication_id"]],
        "segment": {"type": "all_members"}}))["id"]
    world.ok(world.call("publishing", "POST", "/v1/enquiries", "anonymous", body={
        "name": "Erika Fragend", "email": "erika.fragend@example.org", "message": "Wann ist der nächste Aufruf?"}))
    world.ok(world.call("publishing", "POST", "/v1/subscriptions", "anonymous", body={
        "email": "leser@example.org", "topics": ["results"]}), 200, 201, 202)


def publishing_member(world: World) -> str:
    return world.ok(world.call("publishing", "POST", "/v1/members", body={
        "name": f"Stadtwerke {os.urandom(3).hex()}", "kind": "partner",
        "email": f"info-{os.urandom(3).hex()}@stadtwerke.example.org"}
    ))["id"]


def _letters(world: World, smtp_url: str) -> None:
    notices = world.ok(world.call("publishing", "GET", "/v1/notices"))
    for notice in notices:
        if notice["status"] == "pending_review":
            world.ok(world.call("publishing", "POST", f"/v1/notices/{notice['id']}/approve"), 200, 202)
    dispatcher = world.publishing_dispatcher
    assert dispatcher.run_notices() == 2
    dispatcher.run_mails()
    statuses = [n["status"] for n in world.ok(world.call("publishing", "GET", "/v1/notices"))]
    assert statuses == ["sent", "sent"], statuses
    world.ids["notice_id"] = notices[0]["id"]


def _publishing_dispatcher(world: World, ctx, smtp_url: str):
    from services.publishing.app import build_dispatcher
    from services.publishing.delivery import SmtpTransport

    dispatcher = build_dispatcher(ctx, directory=_ApplicationsDirectory(world.client("applications")),
                                  transport_factory=lambda: SmtpTransport(smtp_url))
    world.publishing_dispatcher = dispatcher
    return dispatcher


def _identity(world: World) -> None:
    organisation = world.ok(world.call("identity", "POST", "/v1/organisations", body={
        "kind": "partner", "name": "Stadtwerke Beispiel"}))
    world.ids["organisation_id"] = organisation["id"]
    world.ids["person_id"] = identity_person(world)
    world.ids["client_id"] = identity_client(world)


def identity_person(world: World) -> str:
    return world.ok(world.call("identity", "POST", "/v1/people", body={
        "organisation_id": world.ids["organisation_id"], "name": "Paul Partner",
        "email": f"paul-{os.urandom(3).hex()}@stadtwerke.example.org"}))["id"]


def identity_client(world: World) -> str:
    return world.ok(world.call("identity", "POST", "/v1/clients", body={
        "name": "Leitstelle der Stadtwerke", "role": "partner", "organisation_id": world.ids["organisation_id"]}
    ))["client_id"]


def _webhooks(world: World) -> None:
    world.ids["endpoint_id"] = endpoint(world)


def endpoint(world: World) -> str:
    return world.ok(world.call("webhooks", "POST", "/v1/endpoints", "partner", body={
        "url": "http://127.0.0.1:9/hooks", "event_types": ["CallOpened"],
        "contact_email": "technik@stadtwerke.example.org"}))["id"]
