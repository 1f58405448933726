"""The portal holds personal data too (people who sign in, guests' registrations, the mails it queued, a
draft's contact person), so it takes part in GDPR like every other service: its export answers staff with
everything about one address, and the shared erasure request leaves none of it behind, keeping what the
records mean (a registration keeps its place, a draft its content), and says so with PersonalDataErased."""
from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import MetaData, insert, select

from portal_support import Clock, post_form
from shared.consumer import EventConsumer
from shared.events.catalogue import TOPIC_PRIVACY
from shared.privacy import erasure_request
from support import bearer, settings

pytestmark = pytest.mark.integration

PERSON = "Greta.Probe@example.org"
OTHER = "jana.beispiel@wassenberg.example.org"
STAFF = bearer("staff", "staff:datenschutz")


class _Message:
    def __init__(self, event):
        self.value, self.key = event.value(), event.key()
        self.topic, self.partition, self.offset, self.headers = TOPIC_PRIVACY, 0, 0, None


@pytest.fixture
def portal(pg_database):
    from services.portal.app import PortalSettings, create_app, worker_plan
    from services.portal.db import application_drafts, guest_registrations
    from services.portal import mail

    clock = Clock()
    app = create_app(settings("portal", pg_database("portal"), "127.0.0.1:9"), clock=clock,
                     portal=PortalSettings(base_url="http://portal.test", smtp_url="smtp://127.0.0.1:9",
                                           sender="Portal <portal@example.org>", office_email="office@example.org"))
    app.config["TESTING"] = True
    ctx = app.extensions["vorort-portal"]
    ctx.people.add(email=PERSON, name="Greta Probe", role="partner", now=clock(), organisation="IHK NRW")
    ctx.people.add(email=OTHER, name="Jana Beispiel", role="municipality", ags="05370040", now=clock())
    assert post_form(app.test_client(), "/signin", {"email": PERSON}).status_code == 200  # a mail to her
    with ctx.engine.begin() as connection:
        connection.execute(insert(guest_registrations).values(
            registration_id=str(uuid.uuid4()), workshop_id=str(uuid.uuid4()), manage_code="c" * 32,
            email=PERSON.lower(), name="Greta Probe", status="confirmed", created_at=clock(), updated_at=clock()))
        connection.execute(insert(application_drafts).values(
            ags="05370040", call_id=str(uuid.uuid4()), updated_at=clock(), updated_by="someone",
            body={"name": "Wassenberg", "statement": "Interesse", "contact_name": "Greta Probe",
                  "contact_email": PERSON, "contact_phone": "02432 4900-0"}))
        mail.queue(connection, key="enquiry:1:office", kind="office_enquiry", recipient="office@example.org",
                   template="office_enquiry", now=clock(), language="de",
                   enquiry={"name": "Greta Probe", "email": PERSON, "organisation": "IHK NRW",
                            "message": "Bitte rufen Sie mich an."})
    return app, ctx, worker_plan(ctx)


def _export(app, email=PERSON, headers=STAFF):
    return app.test_client().get("/v1/personal-data", query_string={"email": email}, headers=headers)


def test_staff_export_everything_the_portal_holds_about_one_address(portal):
    app, _, _ = portal
    answer = _export(app)
    assert answer.status_code == 200, answer.json
    kinds = sorted(record["kind"] for record in answer.json["records"])
    assert answer.json["service"] == "portal"
    assert kinds == ["application_draft", "mail", "mail", "portal_person", "workshop_registration"], kinds
    assert OTHER not in json.dumps(answer.json)


@pytest.mark.parametrize(("headers", "status"), [({}, 401), ({"Authorization": "Bearer nonsense"}, 401),
                                                 (bearer("municipality", "m", ags="05370040"), 403)])
def test_only_staff_may_export_and_refusals_are_json(portal, headers, status):
    app, _, _ = portal
    answer = _export(app, headers=headers)
    assert answer.status_code == status and answer.json["code"] == status


def test_an_export_without_a_valid_address_is_422_naming_the_field(portal):
    app, _, _ = portal
    answer = _export(app, email="not an address")
    assert answer.status_code == 422 and "email" in answer.json["errors"]["query"]


def test_the_erasure_request_leaves_no_trace_of_the_address_and_is_confirmed(portal):
    app, ctx, plan = portal
    [spec] = [s for s in plan.consumers if "PersonalDataErasureRequested" in s.handlers]
    consumer = EventConsumer(group_id=spec.group_id, topics=spec.topics, handlers=spec.handlers,
                             uow_factory=plan.uow_factory, consumer=None, producer=None)
    request = erasure_request(PERSON, "staff:datenschutz")
    assert consumer.process(_Message(request)).status == "applied"
    assert consumer.process(_Message(request)).status != "applied"  # once per request

    assert _export(app).json["records"] == []
    metadata = MetaData()
    metadata.reflect(ctx.engine)
    with ctx.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                if table.name != "outbox":
                    assert PERSON.lower() not in str(tuple(row)).lower(), table.name
        drafts = connection.execute(select(metadata.tables["application_drafts"])).all()
        guests = connection.execute(select(metadata.tables["guest_registrations"])).all()
        outbox = [json.loads(row.payload) for row in connection.execute(select(metadata.tables["outbox"]))]
    assert drafts[0].body["statement"] == "Interesse" and drafts[0].body["contact_phone"] is None
    assert guests[0].status == "confirmed" and guests[0].name == "[gelöscht]"
    assert _export(app, email=OTHER).json["records"], "another person's data stays"
    [erased] = [e for e in outbox if e["type"] == "PersonalDataErased"]
    assert erased["data"]["service"] == "portal" and erased["data"]["records"] == 5


def test_a_revoked_staff_member_is_refused_the_export_within_the_deny_lists_refresh(portal, monkeypatch):
    from shared import revocation
    from shared.events.catalogue import make_event

    app, _, plan = portal
    monkeypatch.setattr(revocation, "DENY_LIST", revocation.DenyList(refresh_s=0))
    assert _export(app).status_code == 200
    [spec] = [s for s in plan.consumers if "AccessRevoked" in s.handlers]
    consumer = EventConsumer(group_id=spec.group_id, topics=spec.topics, handlers=spec.handlers,
                             uow_factory=plan.uow_factory, consumer=None, producer=None)
    revoked = make_event("AccessRevoked", {"kind": "person", "id": "p-datenschutz", "client_id": None,
                                            "subject": "staff:datenschutz", "revoked_at": "2026-11-30T10:00:00+00:00"}, source="/services/identity")
    message = _Message(revoked)
    message.topic = "vorort.identity"
    assert consumer.process(message).status == "applied"
    refused = _export(app)
    assert refused.status_code == 401 and "revoked" in refused.json["message"]
