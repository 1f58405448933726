"""A newsletter to 2,000 recipients survives a SIGKILL of the worker in mid-send: after a restart every
recipient has exactly one copy at the SMTP server.

The kill is placed deterministically: the test's SMTP server holds its reply to the final dot of the 800th
message, so the worker is killed with that message handed over but not accepted (its delivery row claimed,
`sending`). That is the ambiguous state the restart must resolve, and the rule (delivery.py) resends it with
the same Message-ID. The other narrow window, between the server's acceptance and the worker's commit of
`sent`, cannot be hit deterministically with a server that only counts; delivery.py documents it.
"""
from __future__ import annotations

import json
import os
import signal

import pytest
from sqlalchemy import create_engine, func, select

from publishing_support import (BASE_URL, SECRET, SENDER, STAFF, mail_sink, published_draft, start_groups_at_end,
                                unique_suffix, worker_env, worker_process)
from services.publishing.app import create_app
from services.publishing.db import deliveries, metadata
from services.publishing.mail import lint_message
from services.publishing.settings import PublishingSettings
from shared.kafka import ensure_topics
from support import eventually, settings

pytestmark = pytest.mark.integration

RECIPIENTS = 2000
HOLD_AT = 800


def delivery_counts(engine, newsletter_id) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(select(deliveries.c.status, func.count()).where(
            deliveries.c.newsletter_id == newsletter_id).group_by(deliveries.c.status)).all())


def test_a_worker_killed_mid_send_resumes_and_every_recipient_gets_exactly_one_copy(pg_database, kafka_bootstrap,
                                                                                    tmp_path):
    db_url = pg_database("publishing")
    ensure_topics(kafka_bootstrap)
    suffix = unique_suffix()
    start_groups_at_end(kafka_bootstrap, suffix)
    options = PublishingSettings(base_url=BASE_URL, secret=SECRET, sender=SENDER)
    app = create_app(settings("publishing", db_url, kafka_bootstrap), options=options)
    client = app.test_client()
    publication = published_draft(client, app.extensions["vorort"])
    bus = app.extensions["vorort"].bus
    from services.publishing.handlers import AddMember

    addresses = [f"kontakt{number:04d}@partner{number:04d}.example.org" for number in range(RECIPIENTS)]
    for number, address in enumerate(addresses):  # through the use case, as POST /v1/members does
        bus.handle(AddMember(name=f"Partnerorganisation {number:04d}", kind="partner", email=address,
                             contact_name=f"Ansprechperson {number:04d}"))
    created = client.post("/v1/newsletters", headers=STAFF, json={
        "subject": "Netzwerk vor Ort: Ergebnisse für alle Mitglieder", "intro": "die Ergebnisse sind da.",
        "publication_ids": [publication["id"]], "segment": {"type": "all_members"}})
    newsletter_id = created.json["id"]
    assert client.get(f"/v1/newsletters/{newsletter_id}/recipients", headers=STAFF).json["count"] == RECIPIENTS
    assert client.post(f"/v1/newsletters/{newsletter_id}/send", headers=STAFF, json={}).status_code == 202

    engine = create_engine(db_url)
    with mail_sink(hold_at=HOLD_AT) as sink:
        env = worker_env(db_url, kafka_bootstrap, sink.url, suffix, SMTP_RATE_PER_SECOND=1000)
        with worker_process(env, tmp_path / "worker1.log") as worker:
            assert sink.holding.wait(600), "the worker never reached the held message"
            at_kill = delivery_counts(engine, newsletter_id)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(30)
        accepted_before_kill = len(sink.messages)
        sink.release.set()  # the held message is refused now; its sender is gone anyway
        assert at_kill == {"sent": HOLD_AT - 1, "sending": 1, "pending": RECIPIENTS - HOLD_AT}
        assert accepted_before_kill == HOLD_AT - 1

        with worker_process(env, tmp_path / "worker2.log"):
            def finished():
                response = client.get(f"/v1/newsletters/{newsletter_id}", headers=STAFF).json
                return response if response["status"] == "sent" else None

            done = eventually(finished, timeout=900, message="newsletter finished after the restart")

    assert {k: done["progress"][k] for k in ("total", "sent", "failed", "pending", "sending")} == {
        "total": RECIPIENTS, "sent": RECIPIENTS, "failed": 0, "pending": 0, "sending": 0}
    per_recipient = sink.recipients
    duplicates = sum(count - 1 for count in per_recipient.values() if count > 1)
    missing = [a for a in addresses if per_recipient[a.casefold()] == 0]
    assert not missing, f"{len(missing)} recipients got nothing"
    assert duplicates == 0
    assert sorted(per_recipient) == sorted(a.casefold() for a in addresses)
    assert all(count == 1 for count in per_recipient.values())
    assert len(sink.messages) == RECIPIENTS
    message_ids = [str(m["Message-ID"]) for m in sink.messages]
    assert len(set(message_ids)) == RECIPIENTS
    assert lint_message(sink.messages[0]) == [] and lint_message(sink.messages[-1]) == []

    with engine.connect() as connection:
        resent = connection.execute(select(deliveries.c.email, deliveries.c.attempts, deliveries.c.last_error).where(
            deliveries.c.newsletter_id == newsletter_id, deliveries.c.attempts > 1)).all()
        announced = [json.loads(row.payload) for row in connection.execute(select(metadata.tables["outbox"]).where(
            metadata.tables["outbox"].c.event_type == "NewsletterSent")).all()]
    engine.dispose()
    assert [(row.email, row.attempts) for row in resent] == [(addresses[HOLD_AT - 1], 2)]
    assert "sent again" in resent[0].last_error
    assert len(announced) == 1 and announced[0]["data"]["sent"] == RECIPIENTS
    print(f"\nnewsletter kill: {accepted_before_kill} accepted before SIGKILL, 1 held in flight and resent, "
          f"{len(sink.messages)} accepted in total, {duplicates} duplicates, {len(missing)} missing")
