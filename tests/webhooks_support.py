"""Helpers for the webhooks tests: a real HTTP receiver that verifies every delivery with the
`standardwebhooks` library (not our code), the service's app and dispatcher on a test database, and
the fan-out consumer fed by hand."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.webhooks.app import create_app
from services.webhooks.consumers import FANOUT_GROUP, fanout_consumer
from services.webhooks.delivery import Dispatcher
from services.webhooks.domain import PUBLIC_EVENT_TYPES, RetryPolicy
from services.webhooks.egress import EgressPolicy
from services.webhooks.settings import WebhooksSettings
from shared.consumer import EventConsumer
from support import bearer, settings

LOCAL = EgressPolicy.parse_networks("127.0.0.1/32")
FAST_RETRIES = RetryPolicy(schedule=(0, 0.2, 0.2, 0.2, 0.2), jitter=0.1)
STAFF = bearer("staff", "erika.office")


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    verified: bool
    error: str | None = None

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1. `respond(received, count_for_this_id)` -> (status, headers, body)."""
    respond: object = None
    secrets: list = field(default_factory=list)
    received: list = field(default_factory=list)

    def start(self) -> Receiver:
        receiver = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    self.close_connection = True
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified, error = receiver.verify(body, headers)
                item = Received(self.path, headers, body, verified, error)
                with lock:
                    receiver.received.append(item)
                    count = sum(1 for r in receiver.received if r.webhook_id == item.webhook_id)
                status, extra, text = (receiver.respond(item, count) if receiver.respond else (200, {}, "ok"))
                payload = text.encode()
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def verify(self, body: bytes, headers: dict):
        errors = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                return True, None
            except WebhookVerificationError as error:
                errors.append(str(error))
        return False, "; ".join(errors) or "no secret"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def ids(self) -> set:
        return {r.webhook_id for r in self.received}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def options(**kwargs) -> WebhooksSettings:
    kwargs.setdefault("retry", FAST_RETRIES)
    kwargs.setdefault("egress", EgressPolicy(allowed_networks=LOCAL, require_https=False))
    kwargs.setdefault("timeout_s", 5.0)
    kwargs.setdefault("lease_s", 10.0)
    return WebhooksSettings(**kwargs)


def webhooks_app(db_url: str, opts: WebhooksSettings | None = None, clock=None):
    kwargs = {"clock": clock} if clock else {}
    return create_app(settings("webhooks", db_url, "127.0.0.1:1"), options=opts or options(), **kwargs)


def dispatcher(app, clock=None) -> Dispatcher:
    ctx = app.extensions["vorort"]
    return Dispatcher(ctx.uow_factory, ctx.options, clock=clock or ctx.bus.clock)


def register(client, url: str, *, headers=STAFF, event_types=PUBLIC_EVENT_TYPES, **extra) -> dict:
    body = {"url": url, "event_types": list(event_types), "contact_email": "it-betrieb@example.org"}
    body.update(extra)
    response = client.post("/v1/endpoints", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


@dataclass
class _Message:
    value: bytes
    topic: str = "vorort.applications"
    partition: int = 0
    offset: int = 0
    key: bytes | None = None
    headers: list | None = None


def fan_out(app, *events, panel_members=None):
    """The real idempotent fan-out consumer over the app's database, fed by hand."""
    ctx = app.extensions["vorort"]
    bus = ctx.bus.with_dependencies(panel_members=panel_members or (lambda call_id: frozenset()))
    consumer = EventConsumer(group_id=FANOUT_GROUP, topics=[], uow_factory=ctx.uow_factory, consumer=None,
                             producer=None, handlers=fanout_consumer(bus).handlers)
    outcomes = [consumer.process(_Message(e.value(), key=e.key())).status for e in events]
    assert "dead_lettered" not in outcomes, outcomes
    return outcomes


def drain(dispatch: Dispatcher, until, timeout: float = 60.0, message: str = "deliveries done"):
    """Run the dispatcher until `until()` holds (polling with a deadline)."""
    from support import eventually

    def step():
        dispatch.run_once()
        return until()

    return eventually(step, timeout=timeout, interval=0.05, message=message)


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- a whole call, from submission to published results, as the platform's events ----------------------
def flow_2018() -> list:
    """30 events of one call: opened, 11 applications, closed, 11 decisions, the selection, a workshop
    planned, scheduled and completed, and both results published."""
    import uuid
    from datetime import timedelta

    from selection_support import T0, TOWNS_2018, size_class
    from shared.events.catalogue import make_event

    call_id = str(uuid.uuid4())
    events = [make_event("CallOpened", {
        "call_id": call_id, "title": "Netzwerk vor Ort 2018", "topic": "Smart City", "opens_at": T0,
        "closes_at": T0 + timedelta(days=60), "places": 3, "workshops_per_place": 2},
        source="/services/applications")]
    apps = []
    for i, (name, ags, population) in enumerate(TOWNS_2018):
        application_id = str(uuid.uuid4())
        municipality = {"ags": ags, "name": name, "population": population, "size_class": size_class(population)}
        apps.append((application_id, municipality))
        events.append(make_event("ApplicationSubmitted", {
            "application_id": application_id, "call_id": call_id, "municipality": municipality,
            "size_class": municipality["size_class"], "focus_areas": ["mobility"], "statement": f"Konzept {name}",
            "partners": [], "submitted_at": T0 + timedelta(days=i + 1)}, source="/services/applications"))
    events.append(make_event("CallClosed", {
        "call_id": call_id, "title": "Netzwerk vor Ort 2018", "topic": "Smart City",
        "closed_at": T0 + timedelta(days=60), "places": 3, "workshops_per_place": 2, "applications": 11},
        source="/services/applications"))
    decided = T0 + timedelta(days=75)
    for rank, (application_id, municipality) in enumerate(apps, start=1):
        if rank <= 3:
            events.append(make_event("ApplicationSelected", {
                "call_id": call_id, "application_id": application_id, "municipality": municipality, "rank": rank,
                "workshops_per_place": 2, "decided_at": decided}, source="/services/selection"))
        else:
            events.append(make_event("ApplicationNotSelected", {
                "call_id": call_id, "application_id": application_id, "municipality": municipality, "rank": rank,
                "may_attend_workshops": True, "decided_at": decided}, source="/services/selection"))
    events.append(make_event("SelectionCompleted", {
        "call_id": call_id, "call_title": "Netzwerk vor Ort 2018", "topic": "Smart City", "places": 3,
        "selected": [a for a, _ in apps[:3]],
        "ranking": [{"application_id": a, "ags": m["ags"], "name": m["name"], "size_class": m["size_class"],
                     "rank": r, "reviews": 7, "selected": r <= 3} for r, (a, m) in enumerate(apps, start=1)],
        "rationale": "Je eine Klein-, Mittel- und Großstadt.", "decided_at": decided},
        source="/services/selection"))
    workshop_id = str(uuid.uuid4())
    first_id, first = apps[0]
    events.append(make_event("WorkshopPlanned", {"workshop_id": workshop_id, "call_id": call_id,
                                                 "application_id": first_id, "municipality": first, "sequence": 1},
                             source="/services/workshops"))
    starts = T0 + timedelta(days=120)
    events.append(make_event("WorkshopScheduled", {
        "workshop_id": workshop_id, "call_id": call_id, "municipality": first, "sequence": 1, "starts_at": starts,
        "ends_at": starts + timedelta(hours=6), "venue": "Rathaus Wassenberg", "capacity": 40},
        source="/services/workshops"))
    events.append(make_event("WorkshopCompleted", {
        "workshop_id": workshop_id, "call_id": call_id, "application_id": first_id, "municipality": first,
        "sequence": 1, "summary": "Leitbild erarbeitet.", "solution_approaches": [
            {"title": "Mobilitätsstationen", "description": "", "field_of_action": "mobility"}],
        "attendance": {"municipality": 3, "local_actor": 12}, "completed_at": starts + timedelta(days=1)},
        source="/services/workshops"))
    for kind, source_id in (("selection_result", call_id), ("workshop_result", workshop_id)):
        events.append(make_event("ResultsPublished", {
            "publication_id": str(uuid.uuid4()), "kind": kind, "source_id": source_id,
            "title": "Ergebnisse", "url": None, "published_at": starts + timedelta(days=3)},
            source="/services/publishing"))
    assert len(events) == 30
    return events
