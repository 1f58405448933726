"""The publishing demo loads through the real HTTP API: members, published workshop results, one newsletter."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from publishing_support import BASE_URL, SECRET, SENDER, STAFF, apply, free_port, mail_sink, workshop_completed
from services.publishing.app import build_dispatcher, create_app
from services.publishing.mail import lint_message
from services.publishing.settings import PublishingSettings
from support import eventually, settings
from vorort.demo import APPLICANTS
from vorort.demo_publishing import (NEWSLETTER_SUBJECT, PARTNERS, demo_members, describe_outcome,
                                    load_publishing_demo, newsletter_outcome)

pytestmark = pytest.mark.integration


def test_the_demo_registers_members_publishes_the_workshop_results_and_sends_a_newsletter(pg_database):
    with mail_sink() as sink:
        options = PublishingSettings(smtp_url=sink.url, base_url=BASE_URL, secret=SECRET, sender=SENDER,
                                     smtp_rate_per_second=0)
        app = create_app(settings("publishing", pg_database("publishing"), "127.0.0.1:1"), options=options)
        ctx = app.extensions["vorort"]
        for name, ags in (("Wassenberg", "05370040"), ("Arnsberg", "05958004"), ("Siegen", "05970040")):
            apply(ctx, workshop_completed(name=name, ags=ags, organisations=["IHK NRW", "TU Dortmund"]))
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            load_publishing_demo(f"http://127.0.0.1:{port}", STAFF)
            load_publishing_demo(f"http://127.0.0.1:{port}", STAFF)  # a second run changes nothing
        finally:
            server.shutdown()

        client = app.test_client()
        members = client.get("/v1/members?page_size=100", headers=STAFF).json
        names = {m["name"] for m in members}
        assert {f"Stadt {name}" for _, name, _ in APPLICANTS} <= names
        assert set(PARTNERS) <= names
        assert all(m["email"].endswith("@example.org") and m["contact_name"] for m in members)
        published = client.get("/v1/publications").json
        assert sorted(p["title"] for p in published) == [
            f"Ergebnisse der 1. Strategiewerkstatt in {name}" for name in ("Arnsberg", "Siegen", "Wassenberg")]
        [newsletter] = client.get("/v1/newsletters", headers=STAFF).json
        assert newsletter["subject"] == NEWSLETTER_SUBJECT and newsletter["status"] in ("scheduled", "sending")

        dispatcher = build_dispatcher(ctx, directory=object())
        try:
            def sent():
                dispatcher.run_newsletters()
                return client.get(f"/v1/newsletters/{newsletter['id']}", headers=STAFF).json["status"] == "sent"

            eventually(sent, timeout=60, message="demo newsletter sent")
        finally:
            dispatcher.close()
        delivered = sink.with_subject(NEWSLETTER_SUBJECT)
        assert len(delivered) == len(members)
        assert all(lint_message(message) == [] for message in delivered)


def _serve_and_send(app, ctx, sink_addresses_refused, sink):
    """Load the demo through the HTTP API while a dispatcher sends; return the summary line it prints."""
    for name, ags in (("Wassenberg", "05370040"), ("Arnsberg", "05958004"), ("Siegen", "05970040")):
        apply(ctx, workshop_completed(name=name, ags=ags, organisations=["IHK NRW", "TU Dortmund"]))
    sink.permanent_failures.update(sink_addresses_refused)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dispatcher = build_dispatcher(ctx, directory=object())
    stop = threading.Event()

    def send():  # the publishing worker's part
        while not stop.wait(0.2):
            dispatcher.run_newsletters()

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        base = f"http://127.0.0.1:{port}"
        newsletter_id = load_publishing_demo(base, STAFF)
        return newsletter_outcome(base, STAFF, newsletter_id, timeout=120)
    finally:
        stop.set()
        sender.join(30)
        dispatcher.close()
        server.shutdown()


@pytest.mark.parametrize("refused, status", [(0, "sent"), (5, "partly_failed"), ("all", "failed")])
def test_the_demo_summary_reports_the_sent_and_failed_counts_the_api_reports(pg_database, refused, status):
    """Seen: every delivery failed, and the demo still said "newsletter sent"."""
    addresses = [m["email"] for m in demo_members()]
    refused_addresses = addresses if refused == "all" else addresses[:refused]
    with mail_sink() as sink:
        options = PublishingSettings(smtp_url=sink.url, base_url=BASE_URL, secret=SECRET, sender=SENDER,
                                     smtp_rate_per_second=0)
        app = create_app(settings("publishing", pg_database("publishing"), "127.0.0.1:1"), options=options)
        outcome = _serve_and_send(app, app.extensions["vorort"], refused_addresses, sink)
        delivered = len(sink.with_subject(NEWSLETTER_SUBJECT))
    total, failed = len(addresses), len(refused_addresses)
    assert delivered == total - failed
    assert outcome == {"status": status, "total": total, "sent": total - failed, "failed": failed, "skipped": 0,
                       "pending": 0}
    assert describe_outcome(outcome) == f"{total - failed} of {total} sent, {failed} failed (status {status})"
