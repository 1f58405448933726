"""The portal's mails that follow the platform's events (issue 13), against the whole platform as real
processes and the platform's SMTP sink: a withdrawal is confirmed to the application's contact, a sent
decision letter is announced to the municipality's portal people, a scheduled workshop invites the host
municipality's partners. Each mail goes once, in German, to the right people only, also when Kafka
delivers the event again."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from portal_support import add_person, approve_letter, mails_to, subjects, text_of
from programme_support import decided_call, ok
from support import bearer, eventually

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]
TOWNS = (("Wassenberg", 18_500), ("Arnsberg", 74_200), ("Siegen", 102_000), ("Lemgo", 40_700),
         ("Paderborn", 150_500))


def staff() -> dict:
    return bearer("staff", "test:portal-mails")


def redeliver(platform, topic: str, event_type: str, match: dict) -> None:
    """Put a copy of an event already on `topic` there again (Kafka's at-least-once), and wait until the
    portal's consumer groups have read past it."""
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient

    bootstrap = platform.env["KAFKA_BOOTSTRAP_SERVERS"]
    reader = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                           enable_auto_commit=False, consumer_timeout_ms=10_000)
    original = None
    for message in reader:
        value = json.loads(message.value)
        if value["type"] == event_type and all(value["data"].get(k) == v for k, v in match.items()):
            original = message
            break
    reader.close()
    assert original is not None, f"no {event_type} {match} on {topic}"
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    sent = producer.send(topic, key=original.key, value=original.value, headers=original.headers,
                         partition=original.partition).get(timeout=60)
    producer.close()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    suffix = platform.env["VORORT_CONSUMER_GROUP_SUFFIX"]
    groups = {"vorort.applications": ["portal.decisions"], "vorort.selection": ["portal.decisions"],
              "vorort.workshops": ["portal.workshops"]}[topic]
    partition = TopicPartition(topic, sent.partition)

    def read_past_it():
        for group in groups:
            offsets = admin.list_group_offsets({group + suffix: None}).get(group + suffix, {})
            if partition not in offsets or offsets[partition].offset <= sent.offset:
                return False
        return True
    try:
        eventually(read_past_it, timeout=180, interval=0.5, message=f"the portal read the copy of {event_type}")
    finally:
        admin.close()


def unsent_mails(platform) -> int:
    from sqlalchemy import func, select

    from services.portal.db import mails
    from shared.db import make_engine

    engine = make_engine(platform.env["PORTAL_DATABASE_URL"])
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(mails).where(mails.c.sent_at.is_(None))).scalar()
    engine.dispose()
    return count


@pytest.fixture(scope="module")
def programme(platform):
    """A call decided over the APIs (Paderborn withdrew before the decision), and the portal's people:
    each selected or not selected town's clerks, partners of Wassenberg and of Siegen, a partner of nobody."""
    call = decided_call(platform.urls, towns=TOWNS, withdraw_before_decision=("Paderborn",))
    ags = {town: call.applications[town]["ags"] for town, _ in TOWNS}
    people = {
        "wassenberg": (f"jana.beispiel-{RUN}@wassenberg.example.org", "Jana Beispiel", "municipality",
                       {"ags": ags["Wassenberg"]}),
        # the application's own contact also signs in to the portal: publishing mails the letter itself
        "wassenberg_contact": (call.applications["Wassenberg"]["contact_email"], "Ansprechperson Wassenberg",
                               "municipality", {"ags": ags["Wassenberg"]}),
        "lemgo": (f"lea.muster-{RUN}@lemgo.example.org", "Lea Muster", "municipality", {"ags": ags["Lemgo"]}),
        "arnsberg": (f"tom.muster-{RUN}@arnsberg.example.org", "Tom Muster", "municipality",
                     {"ags": ags["Arnsberg"]}),
        "partner_wassenberg": (f"paula.partner-{RUN}@gesamtschule.example.org", "Paula Partner", "partner",
                               {"ags": ags["Wassenberg"], "organisation": "Gesamtschule Wassenberg"}),
        "partner_siegen": (f"sam.partner-{RUN}@uni-siegen.example.org", "Sam Partner", "partner",
                           {"ags": ags["Siegen"], "organisation": "Universität Siegen"}),
        "partner_none": (f"nora.partner-{RUN}@ihk.example.org", "Nora Partner", "partner", {}),
    }
    for email, name, role, extra in people.values():
        add_person(platform, email, name, role, **extra)
    return {"call": call, "ags": ags, "people": {key: value[0] for key, value in people.items()}}


def everyone_but(programme, *keys) -> list[str]:
    return [email for key, email in programme["people"].items() if key not in keys]


def test_a_withdrawal_is_confirmed_once_to_the_applications_contact(programme, platform):
    call = programme["call"]
    contact = call.applications["Paderborn"]["contact_email"]
    title = ok(requests.get(f"{platform.url('applications')}/v1/calls/{call.call_id}", headers=staff(),
                            timeout=30))["title"]
    (message,) = eventually(lambda: mails_to(platform.smtp, contact), timeout=180, interval=0.5,
                            message="the withdrawal confirmation")
    assert message["Subject"] == f"Interessensbekundung zurückgezogen: {title}"
    assert message["Content-Language"] == "de"
    text = text_of(message)
    assert text.startswith("Guten Tag Ansprechperson Paderborn,") and "Paderborn" in text
    assert f"/municipality/calls/{call.call_id}" in text
    assert message.get_body(preferencelist=("html",)) is not None
    # nobody else hears of it: not the other towns' contacts, not the portal's people
    others = [a["contact_email"] for town, a in call.applications.items() if town != "Paderborn"]
    for address in others + list(programme["people"].values()):
        assert subjects(platform, address, "Interessensbekundung zurückgezogen") == []

    redeliver(platform, "vorort.applications", "ApplicationWithdrawn",
              {"application_id": call.id_of("Paderborn")})
    eventually(lambda: unsent_mails(platform) == 0, timeout=60, interval=0.5, message="the portal's mails sent")
    assert len(mails_to(platform.smtp, contact)) == 1


def test_a_sent_decision_letter_is_announced_once_to_the_municipalitys_people(programme, platform):
    call, people = programme["call"], programme["people"]
    approve_letter(platform, call, "Wassenberg")
    approve_letter(platform, call, "Lemgo")
    # publishing mails the letter itself to the application's contact
    eventually(lambda: mails_to(platform.smtp, people["wassenberg_contact"]), timeout=180, interval=0.5,
               message="publishing's letter to Wassenberg's contact")
    announced = "Entscheidungsschreiben im Portal"
    (jana,) = eventually(lambda: [m for m in mails_to(platform.smtp, people["wassenberg"])
                                  if m["Subject"].startswith(announced)], timeout=180, interval=0.5,
                         message="Jana hears of Wassenberg's letter")
    (lea,) = eventually(lambda: [m for m in mails_to(platform.smtp, people["lemgo"])
                                 if m["Subject"].startswith(announced)], timeout=180, interval=0.5,
                        message="Lea hears of Lemgo's letter")
    assert "Wassenberg wurde ausgewählt" in text_of(jana) and text_of(jana).startswith("Guten Tag Jana Beispiel,")
    assert "Lemgo wurde diesmal nicht ausgewählt" in text_of(lea)
    assert f"/municipality/calls/{call.call_id}" in text_of(jana)
    assert jana["Content-Language"] == "de"
    # the letter's recipient has it already; Arnsberg's letter is not sent yet; partners are not municipalities
    for address in everyone_but(programme, "wassenberg", "lemgo"):
        assert subjects(platform, address, announced) == []

    redeliver(platform, "vorort.selection", "ApplicationSelected", {"application_id": call.id_of("Wassenberg")})
    eventually(lambda: unsent_mails(platform) == 0, timeout=60, interval=0.5, message="the portal's mails sent")
    assert len(subjects(platform, people["wassenberg"], announced)) == 1
    assert len(subjects(platform, people["lemgo"], announced)) == 1


def test_a_scheduled_workshop_invites_the_host_municipalitys_partners_once(programme, platform):
    call, people = programme["call"], programme["people"]
    workshops = eventually(lambda: [w for w in ok(requests.get(
        f"{platform.url('workshops')}/v1/workshops", headers=staff(), timeout=30,
        params={"call_id": call.call_id, "page_size": 100})) if w["municipality"]["ags"] == programme["ags"]["Wassenberg"]],
        timeout=180, interval=0.5, message="Wassenberg's workshops planned")
    start = datetime.now(timezone.utc) + timedelta(days=30)
    workshop = ok(requests.patch(f"{platform.url('workshops')}/v1/workshops/{workshops[0]['id']}", headers=staff(),
                                 timeout=30, json={"starts_at": start.isoformat(),
                                                   "ends_at": (start + timedelta(hours=4)).isoformat(),
                                                   "venue": "Rathaus Wassenberg", "capacity": 40}))
    invitation = f"Einladung zur Strategiewerkstatt: {workshop['title']}"
    (paula,) = eventually(lambda: mails_to(platform.smtp, people["partner_wassenberg"]), timeout=180, interval=0.5,
                          message="the invitation of Wassenberg's partner")
    assert paula["Subject"] == invitation and paula["Content-Language"] == "de"
    text = text_of(paula)
    assert text.startswith("Guten Tag Paula Partner,")
    assert "Als Partner von Wassenberg (Gesamtschule Wassenberg)" in text
    assert f"/workshops/{workshop['id']}" in text
    assert any(part.get_content_type() == "text/calendar" for part in paula.iter_attachments())
    # the not selected town is invited as before; the selected ones, other towns' partners and a partner of
    # no municipality are not
    eventually(lambda: subjects(platform, people["lemgo"], invitation), timeout=180, interval=0.5,
               message="the invitation of the not selected town")
    for key in ("partner_siegen", "partner_none", "wassenberg", "wassenberg_contact", "arnsberg"):
        assert subjects(platform, people[key], "Einladung") == [], key

    redeliver(platform, "vorort.workshops", "WorkshopScheduled", {"workshop_id": workshop["id"]})
    eventually(lambda: unsent_mails(platform) == 0, timeout=60, interval=0.5, message="the portal's mails sent")
    assert subjects(platform, people["partner_wassenberg"], "Einladung") == [invitation]
    assert subjects(platform, people["lemgo"], invitation) == [invitation]
