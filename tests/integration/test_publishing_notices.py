"""Decision letters: queued from the selection's events for review, written with the contact person that the
real applications service returns over HTTP, kept and retried while that service is unreachable."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from publishing_support import BASE_URL, SECRET, SENDER, STAFF, LateServer, apply, mail_sink, text_part
from services.applications.app import create_app as create_applications_app
from services.publishing.app import build_dispatcher, create_app
from services.publishing.directory import ApplicationsDirectory
from services.publishing.mail import lint_message
from services.publishing.settings import PublishingSettings
from shared.events.catalogue import make_event, spec_for
from support import bearer, settings

pytestmark = pytest.mark.integration

SELECTION = "/services/selection"
HAMM = {"ags": "05915000", "name": "Hamm", "population": 178_000, "size_class": "large"}


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def applications(pg_database):
    """The real applications service with one application by Hamm, served on a port that is closed until
    `start()` is called."""
    app = create_applications_app(settings("applications", pg_database("applications"), "127.0.0.1:1"))
    client = app.test_client()
    staff = bearer("staff", "staff:test")
    now = datetime.now(timezone.utc)
    call = client.post("/v1/calls", headers=staff, json={
        "title": "Netzwerk vor Ort", "topic": "Smart City", "places": 3,
        "opens_at": (now - timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=30)).isoformat()}).json
    client.post(f"/v1/calls/{call['id']}/open", headers=staff)
    application = client.post(f"/v1/calls/{call['id']}/applications", headers=staff, json={
        "municipality": {"ags": HAMM["ags"], "name": "Hamm", "population": HAMM["population"]},
        "contact": {"name": "Lena Probe", "email": "lena.probe@hamm.example"},
        "statement": "Interesse an der Smart City"}).json

    service = LateServer(app)
    service.application_id, service.call_id = application["id"], call["id"]
    yield service
    service.stop()


@pytest.fixture
def sink():
    with mail_sink() as server:
        yield server


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(pg_database, sink, clock):
    options = PublishingSettings(smtp_url=sink.url, base_url=BASE_URL, secret=SECRET, sender=SENDER,
                                 smtp_rate_per_second=0)
    return create_app(settings("publishing", pg_database("publishing"), "127.0.0.1:1"), clock=clock,
                      options=options)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def dispatcher(app, applications):
    directory = ApplicationsDirectory(f"http://127.0.0.1:{applications.port}", attempts=2, backoff_s=0.05,
                                      timeout_s=2)
    dispatcher = build_dispatcher(app.extensions["vorort"], directory=directory)
    yield dispatcher
    dispatcher.close()


def decide(ctx, call_id, hamm_application_id):
    """Hamm not selected; Wassenberg, Arnsberg and Siegen selected: the 2018 outcome."""
    decided_at = datetime(2018, 6, 15, 12, tzinfo=timezone.utc)
    selected = [(str(uuid.uuid4()), "05370040", "Wassenberg", "small"), (str(uuid.uuid4()), "05958004", "Arnsberg",
                                                                        "medium"),
                (str(uuid.uuid4()), "05970040", "Siegen", "large")]
    apply(ctx, make_event("ApplicationNotSelected", {
        "call_id": call_id, "application_id": hamm_application_id, "municipality": HAMM, "rank": 4, "score": 3.2,
        "may_attend_workshops": True, "decided_at": decided_at}, source=SELECTION))
    for application_id, ags, name, _size in selected:
        apply(ctx, make_event("ApplicationSelected", {
            "call_id": call_id, "application_id": application_id, "municipality": {"ags": ags, "name": name},
            "rank": 1, "workshops_per_place": 2, "decided_at": decided_at}, source=SELECTION))
    ranking = [{"application_id": a, "ags": ags, "name": name, "size_class": size, "rank": rank, "score": 4.0,
                "reviews": 7, "selected": True} for rank, (a, ags, name, size) in enumerate(selected, start=1)]
    return make_event("SelectionCompleted", dict(
        spec_for("SelectionCompleted").example, call_id=call_id, call_title="Smart City 2018",
        selected=[a for a, *_ in selected], ranking=ranking, decided_at=decided_at), source=SELECTION)


def notices(client, **query):
    return {n["municipality"]["name"]: n for n in client.get("/v1/notices", headers=STAFF, query_string=query).json}


def test_a_not_selected_letter_waits_for_review_and_for_the_applications_service_then_reaches_the_contact(
        app, client, applications, dispatcher, sink, clock):
    ctx = app.extensions["vorort"]
    completed = decide(ctx, applications.call_id, applications.application_id)
    queued = notices(client)
    assert sorted(queued) == ["Arnsberg", "Hamm", "Siegen", "Wassenberg"]
    hamm = queued["Hamm"]
    assert (hamm["kind"], hamm["status"], hamm["recipient"]) == ("not_selected", "pending_review", None)
    assert "nicht zum Zuge kommen" in hamm["text"]

    early = client.post(f"/v1/notices/{hamm['id']}/approve", headers=STAFF)
    assert early.status_code == 409 and "not final" in early.json["message"]
    apply(ctx, completed)
    hamm = notices(client)["Hamm"]
    assert "an den Strategiewerkstätten in Wassenberg, Arnsberg und Siegen teilzunehmen" in hamm["text"]
    assert "Aufruf „Smart City 2018“" in hamm["subject"]

    approved = client.post(f"/v1/notices/{hamm['id']}/approve", headers=STAFF)
    assert approved.status_code == 202 and approved.json["status"] == "approved"
    # A template edited after approval does not change the approved letter.
    client.put("/v1/notice-templates/not_selected", headers=STAFF,
               json={"subject": "Geändert", "body": "$salutation"})

    assert dispatcher.run_notices() == 0  # the applications service is not reachable yet
    waiting = client.get(f"/v1/notices/{hamm['id']}", headers=STAFF).json
    assert waiting["status"] == "approved" and "contact lookup failed, retrying" in waiting["last_error"]
    assert sink.messages == []

    applications.start()
    assert dispatcher.run_notices() == 0  # the retry is not due yet
    clock.now += timedelta(seconds=10)
    assert dispatcher.run_notices() == 1
    assert dispatcher.run_mails() == 1
    sent = client.get(f"/v1/notices/{hamm['id']}", headers=STAFF).json
    assert sent["status"] == "sent" and sent["sent_at"]
    assert sent["recipient"] == {"email": "lena.probe@hamm.example", "name": "Lena Probe"}

    [letter] = sink.to("lena.probe@hamm.example")
    assert str(letter["Subject"]) == "Netzwerk vor Ort: Ihre Interessensbekundung zum Aufruf „Smart City 2018“"
    assert str(letter["From"]) == SENDER
    assert lint_message(letter) == []
    body = text_part(letter)
    assert body.startswith("Guten Tag Lena Probe,\n\nvielen Dank für die Interessensbekundung von Hamm")
    assert "an den Strategiewerkstätten in Wassenberg, Arnsberg und Siegen teilzunehmen" in body
    assert client.post(f"/v1/notices/{hamm['id']}/discard", headers=STAFF).status_code == 409


def test_discarded_letters_are_never_sent_and_a_vanished_application_fails_visibly(
        app, client, applications, dispatcher, sink, clock):
    ctx = app.extensions["vorort"]
    apply(ctx, decide(ctx, applications.call_id, applications.application_id))
    applications.start()
    queued = notices(client)
    discarded = client.post(f"/v1/notices/{queued['Hamm']['id']}/discard", headers=STAFF)
    assert discarded.status_code == 200 and discarded.json["status"] == "discarded"
    assert client.post(f"/v1/notices/{queued['Hamm']['id']}/approve", headers=STAFF).status_code == 409
    # Wassenberg's application id is unknown to the applications service: there is nobody to write to.
    assert client.post(f"/v1/notices/{queued['Wassenberg']['id']}/approve", headers=STAFF).status_code == 202
    dispatcher.run_notices()
    dispatcher.run_mails()
    after = notices(client)
    assert after["Hamm"]["status"] == "discarded"
    assert after["Wassenberg"]["status"] == "failed" and "no contact person" in after["Wassenberg"]["last_error"]
    assert [n["municipality"]["name"] for n in client.get(
        "/v1/notices?status=pending_review", headers=STAFF).json] == ["Arnsberg", "Siegen"]
    assert sink.messages == []


def test_notices_are_for_the_office_only(client):
    assert client.get("/v1/notices").status_code == 401
    assert client.get("/v1/notices", headers=bearer("steering", "member-1")).status_code == 403
    assert client.post(f"/v1/notices/{uuid.uuid4()}/approve", headers=STAFF).status_code == 404


def test_an_amendment_discards_the_vacated_letter_names_the_new_places_and_drafts_an_announcement(
        app, client, applications):
    ctx = app.extensions["vorort"]
    apply(ctx, decide(ctx, applications.call_id, applications.application_id))
    wassenberg = notices(client)["Wassenberg"]
    amended = make_event("DecisionAmended", dict(
        spec_for("DecisionAmended").example, call_id=applications.call_id,
        vacated_application_id=wassenberg["application_id"], vacated={"ags": "05370040", "name": "Wassenberg"},
        selected_municipalities=["Bad Berleburg", "Arnsberg", "Siegen"]), source=SELECTION)
    assert apply(ctx, amended) == "applied"

    after = notices(client)
    assert after["Wassenberg"]["status"] == "discarded"
    assert "an den Strategiewerkstätten in Bad Berleburg, Arnsberg und Siegen teilzunehmen" in after["Hamm"]["text"]
    [announcement] = [p for p in client.get("/v1/publications", headers=STAFF).json
                      if p["title"] == "Änderung der Auswahl: Bad Berleburg rückt für Wassenberg nach"]
    assert announcement["status"] == "draft" and "Bad Berleburg" in announcement["summary"]
