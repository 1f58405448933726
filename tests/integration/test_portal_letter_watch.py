"""The portal's watch over awaited decision letters, on PostgreSQL with a moved clock and a stand-in for
publishing's and applications' HTTP APIs: a decision heard of today is watched even when it was decided
long ago (2018's case), the municipality's people are told once per letter, the letter's own recipient and
other towns' people are not, and a letter the office never sends stops being asked for after 120 days."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

import pytest
from flask import Flask, jsonify
from werkzeug.serving import make_server

from portal_support import Clock, mails_to, text_of
from shared.events.catalogue import make_event
from support import SmtpSink, settings

pytestmark = pytest.mark.integration

WASSENBERG, ARNSBERG = "05370040", "05958004"


class Publishing:
    """Answers GET /v1/decision-letters/{id} once `sent` holds the letter; counts the questions."""

    def __init__(self):
        self.sent: dict = {}
        self.asked = 0
        app = Flask("stand-in")

        @app.get("/v1/decision-letters/<application_id>")
        def letter(application_id):
            self.asked += 1
            if application_id not in self.sent:
                return jsonify(code=404, message="No decision letter."), 404
            return jsonify(self.sent[application_id])

        @app.get("/v1/calls/<call_id>")
        def call(call_id):
            return jsonify(id=call_id, title="Netzwerk vor Ort 2018", status="closed")

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def world(pg_database, monkeypatch):
    from services.portal.app import PortalSettings, build_context
    from services.portal.mail import MailSender

    publishing = Publishing()
    monkeypatch.setenv("PUBLISHING_URL", publishing.url)
    monkeypatch.setenv("APPLICATIONS_URL", publishing.url)
    smtp = SmtpSink().start()
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
    ctx = build_context(settings("portal", pg_database("portal"), "127.0.0.1:9"), clock=clock, portal=PortalSettings(
        base_url="http://portal.test", smtp_url=smtp.url, sender="Portal <portal@example.org>",
        office_email="office@example.org"))
    for email, name, ags in (("jana.beispiel@wassenberg.example.org", "Jana Beispiel", WASSENBERG),
                             ("kim.kontakt@wassenberg.example.org", "Kim Kontakt", WASSENBERG),
                             ("tom.muster@arnsberg.example.org", "Tom Muster", ARNSBERG)):
        ctx.people.add(email=email, name=name, role="municipality", ags=ags, now=clock())

    class World:
        pass

    handle = World()
    handle.ctx, handle.clock, handle.publishing, handle.smtp = ctx, clock, publishing, smtp
    handle.send = MailSender(ctx.engine, smtp.url, "Portal <portal@example.org>", clock).send_pending
    yield handle
    smtp.stop()
    publishing.stop()


def hear(world, application_id: str, ags: str, name: str) -> None:
    """The portal's consumer of vorort.selection, fed the 2018 decision (decided in June 2018)."""
    from services.portal.consumers import decision_consumer

    event = make_event("ApplicationSelected", {
        "call_id": "call-2018", "application_id": application_id,
        "municipality": {"ags": ags, "name": name, "population": 18_500, "size_class": "small"},
        "rank": 1, "score": 4.5, "workshops_per_place": 2,
        "decided_at": datetime(2018, 6, 14, 15, 0, tzinfo=timezone.utc)}, source="/services/selection")
    with world.ctx.uow_factory() as uow:
        decision_consumer(world.ctx.bus).handlers["ApplicationSelected"](event, event.data, uow)
        uow.commit()


def letter(application_id: str, ags: str, name: str, recipient: str) -> dict:
    return {"id": str(uuid.uuid4()), "kind": "selected", "status": "sent", "application_id": application_id,
            "municipality": {"ags": ags, "name": name}, "subject": "Ihre Auswahl", "text": "…",
            "recipient": {"email": recipient, "name": "Kim Kontakt"}, "sent_at": "2026-12-01T10:00:00+00:00"}


def test_a_sent_letter_is_announced_once_to_the_towns_people_but_not_to_its_recipient(world):
    from services.portal.decisions import watch_letters

    application_id = str(uuid.uuid4())
    hear(world, application_id, WASSENBERG, "Wassenberg")
    assert watch_letters(world.ctx) == 0  # not sent yet
    world.publishing.sent[application_id] = letter(application_id, WASSENBERG, "Wassenberg",
                                                   "Kim.Kontakt@wassenberg.example.org")
    assert watch_letters(world.ctx) == 1
    assert watch_letters(world.ctx) == 0  # told already: not asked again
    world.send()
    (message,) = mails_to(world.smtp, "jana.beispiel@wassenberg.example.org")
    assert message["Subject"] == "Entscheidungsschreiben im Portal: Netzwerk vor Ort 2018"
    assert "Wassenberg wurde ausgewählt" in text_of(message) and "(an Kim Kontakt)" in text_of(message)
    assert mails_to(world.smtp, "kim.kontakt@wassenberg.example.org") == []  # publishing mailed her the letter
    assert mails_to(world.smtp, "tom.muster@arnsberg.example.org") == []
    assert len(world.smtp.messages) == 1


def test_a_letter_never_sent_is_not_asked_for_after_120_days(world):
    from services.portal.decisions import watch_letters

    hear(world, str(uuid.uuid4()), ARNSBERG, "Arnsberg")
    watch_letters(world.ctx)
    asked = world.publishing.asked
    world.clock.advance(days=119)
    watch_letters(world.ctx)
    assert world.publishing.asked == asked + 1
    world.clock.advance(days=2)
    watch_letters(world.ctx)
    assert world.publishing.asked == asked + 1
    world.send()
    assert world.smtp.messages == []
