"""A workshop is called off because its municipality withdrew after the decision: every registrant still
holding or awaiting a place gets a German notice, written with the address the real workshops service
returns over HTTP (the event names registrations by id only)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, select

from publishing_support import BASE_URL, SECRET, SENDER, STAFF, LateServer, apply, mail_sink, text_part
from services.publishing.app import build_dispatcher, create_app
from services.publishing.directory import ApplicationsDirectory
from services.publishing.mail import lint_message
from services.publishing.settings import PublishingSettings
from services.workshops.app import create_app as create_workshops_app
from services.workshops.db import metadata as workshops_metadata
from shared.events.envelope import Event
from support import bearer, settings
from workshops_support import BOTTROP, WASSENBERG, Clock, Selection, deliver

pytestmark = pytest.mark.integration

PARTNER = bearer("partner", "ihk-nrw:anna")


@pytest.fixture
def workshops(pg_database):
    """The real workshops service with Wassenberg's series; served over HTTP once `start()` is called."""
    db_url = pg_database("workshops")
    app = create_workshops_app(settings("workshops", db_url, "127.0.0.1:1"),
                               clock=Clock(datetime(2026, 3, 1, 9, tzinfo=timezone.utc)))
    chosen = Selection.fresh()
    deliver(app, *chosen.all_events(uninvited=(BOTTROP,)))

    class Service(LateServer):
        client = app.test_client()
        selection = chosen

        def vacate(self) -> list[Event]:
            """Wassenberg withdrew: deliver PlaceVacated, return the WorkshopCancelled events it caused."""
            deliver(app, chosen.vacated(WASSENBERG))
            engine = create_engine(db_url)
            outbox = workshops_metadata.tables["outbox"]
            with engine.connect() as connection:
                rows = connection.execute(select(outbox.c.payload).where(outbox.c.event_type == "WorkshopCancelled")
                                          .order_by(outbox.c.id)).scalars().all()
            engine.dispose()
            return [Event.from_value(row.encode()) for row in rows]

    service = Service(app)
    yield service
    service.stop()


@pytest.fixture
def sink():
    with mail_sink() as server:
        yield server


@pytest.fixture
def app(pg_database, sink):
    options = PublishingSettings(smtp_url=sink.url, base_url=BASE_URL, secret=SECRET, sender=SENDER,
                                 smtp_rate_per_second=0)
    return create_app(settings("publishing", pg_database("publishing"), "127.0.0.1:1"), options=options)


def scheduled_with(workshops, names) -> tuple[str, list[tuple[str, str]]]:
    """Wassenberg's first workshop, scheduled for 26 March 2026, with these people registered."""
    listing = workshops.client.get(f"/v1/workshops?call_id={workshops.selection.call_id}&ags={WASSENBERG}",
                                   headers=STAFF).json
    first = min(listing, key=lambda w: w["sequence"])["id"]
    assert workshops.client.patch(f"/v1/workshops/{first}", headers=STAFF, json={
        "starts_at": "2026-03-26T10:00", "ends_at": "2026-03-26T16:00", "venue": "Rathaus Wassenberg",
        "capacity": 30}).status_code == 200
    people = []
    for name in names:
        email = f"{name.split()[0].lower()}@verein.example"
        answer = workshops.client.post(f"/v1/workshops/{first}/registrations", headers=PARTNER, json={
            "name": name, "email": email, "organisation": "Musterverein e. V.", "participant_type": "local_actor",
            "consent": True})
        assert answer.status_code == 201, answer.json
        people.append((answer.json["id"], email))
    return first, people


def test_the_registrants_of_a_cancelled_workshop_are_told_in_german(app, workshops, sink):
    first, people = scheduled_with(workshops, ("Mara Beispiel", "Jonas Probe"))
    assert workshops.client.delete(f"/v1/workshops/{first}/registrations/{people[1][0]}",
                                   headers=STAFF).status_code in (200, 204)

    ctx = app.extensions["vorort"]
    for event in workshops.vacate():
        assert apply(ctx, event) == "applied"
    queued = app.test_client().get("/v1/notices?page_size=100", headers=STAFF).json
    assert [(n["kind"], n["status"]) for n in queued] == [("workshop_cancelled", "approved")]

    directory = ApplicationsDirectory("http://127.0.0.1:1", workshops_url=f"http://127.0.0.1:{workshops.port}",
                                      attempts=2, backoff_s=0.05, timeout_s=2)
    dispatcher = build_dispatcher(ctx, directory=directory)
    try:
        workshops.start()
        assert dispatcher.run_notices() == 1
        assert dispatcher.run_mails() == 1
    finally:
        dispatcher.close()

    [letter] = sink.to(people[0][1])
    assert str(letter["Subject"]) == "Abgesagt: die 1. Strategiewerkstatt in Wassenberg am 26.03.2026"
    assert lint_message(letter) == []
    body = text_part(letter)
    assert body.startswith("Guten Tag Mara Beispiel,\n\nleider müssen wir Ihnen mitteilen, dass die 1. "
                           "Strategiewerkstatt in Wassenberg am 26.03.2026 nicht stattfindet.")
    assert sink.to(people[1][1]) == [], "a cancelled registration is not written to"
    [sent] = app.test_client().get("/v1/notices?page_size=100", headers=STAFF).json
    assert sent["status"] == "sent" and sent["recipient"]["email"] == people[0][1]


def test_a_registrants_notice_is_not_the_host_municipalitys_decision_letter(app, workshops, sink):
    scheduled_with(workshops, ("Mara Beispiel",))
    ctx = app.extensions["vorort"]
    for event in workshops.vacate():
        apply(ctx, event)
    directory = ApplicationsDirectory("http://127.0.0.1:1", workshops_url=f"http://127.0.0.1:{workshops.port}",
                                      attempts=2, backoff_s=0.05, timeout_s=2)
    dispatcher = build_dispatcher(ctx, directory=directory)
    try:
        workshops.start()
        dispatcher.run_notices()
        dispatcher.run_mails()
    finally:
        dispatcher.close()
    assert len(sink.to("mara@verein.example")) == 1
    host = bearer("municipality", "wassenberg", ags=WASSENBERG)
    application_id = workshops.selection.application_ids[WASSENBERG]
    letter = app.test_client().get(f"/v1/decision-letters/{application_id}", headers=host)
    assert letter.status_code == 404 and "mara" not in letter.get_data(as_text=True)
