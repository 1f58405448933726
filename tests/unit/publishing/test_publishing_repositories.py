"""Publishing's repositories read domain objects, never rows: each aggregate stored and read back is the value
that was stored, with its converted fields (sections, solution approaches, tuples kept as JSON) intact, and
the columns the domain does not know written by the repository."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.publishing.db import (
    AudienceRepository,
    EnquiryRepository,
    MailRepository,
    MemberRepository,
    NewsletterRepository,
    NoticeRepository,
    PublicationRepository,
    SubscriberRepository,
    TemplateRepository,
    deliveries,
    metadata,
    newsletters,
    publications,
    subscribers,
)
from services.publishing.domain import (
    DecidedCall,
    Delivery,
    Enquiry,
    Link,
    Mail,
    Member,
    Newsletter,
    Notice,
    NoticeTemplate,
    Publication,
    Section,
    SolutionApproach,
    create_newsletter,
    publish,
    schedule_send,
    start_sending,
    subscribe,
)
from shared.db import make_engine

from .publishing_helpers import NOW, WASSENBERG


@pytest.fixture
def session():
    engine = make_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as db:
        yield db
    engine.dispose()


def test_a_publication_with_sections_links_and_approaches_reads_back_equal(session, workshop_pub):
    pub = Publication(id="p1", kind="workshop_result", source_id="ws-1", title="Ergebnisse Wassenberg",
                      summary="Zwei Ansätze.", created_at=NOW, topic="Smart City", body=(
                          Section(heading="Befund", text="Leerstand", items=("Markt", "Bahnhof"),
                                  links=(Link("Protokoll", "https://example.org/protokoll.pdf"),)),
                          Section(text="Ohne Überschrift")),
                      solution_approaches=(SolutionApproach("Pop-up-Läden", "Zwischennutzung", "handel"),))
    repository = PublicationRepository(session)
    repository.add(pub, updated_at=NOW)
    repository.add(workshop_pub, updated_at=NOW)
    assert repository.get("p1") == pub and repository.get(workshop_pub.id) == workshop_pub
    assert repository.by_ids(["p1"]) == {"p1": pub}
    stored = session.execute(select(publications).where(publications.c.id == "p1")).one()
    assert stored.body[0]["links"] == [{"title": "Protokoll", "url": "https://example.org/protokoll.pdf"}]
    assert stored.solution_approaches == [{"title": "Pop-up-Läden", "description": "Zwischennutzung",
                                           "field_of_action": "handel"}]
    published = publish(pub, NOW)
    repository.save(published, updated_at=NOW, published_by="staff:erika")
    assert repository.published() == [published, workshop_pub]  # newest first
    assert session.execute(select(publications.c.published_by).where(
        publications.c.id == "p1")).scalar_one() == "staff:erika"


def test_a_subscriber_is_found_by_its_address_in_any_case_with_its_pending_topics(session):
    repository = SubscriberRepository(session)
    sub = subscribe("Erika.Musterfrau@Example.org", ["Smart City"], NOW)
    repository.add(sub)
    assert session.execute(select(subscribers.c.email_key)).scalar_one() == "erika.musterfrau@example.org"
    asked = replace(sub, status="confirmed", confirmed_at=NOW, pending_topics=("Handel",))
    repository.save(asked)
    found = repository.by_email("ERIKA.musterfrau@example.org", for_update=True)
    assert found == asked and isinstance(found.topics, tuple) and found.pending_topics == ("Handel",)
    assert repository.confirmed() == [asked]
    assert repository.list(status="pending", offset=0, limit=10) == ([], 0)


def test_a_newsletter_reads_back_with_its_segment_and_when_sending_started(session, workshop_pub):
    repository = NewsletterRepository(session)
    draft = create_newsletter(subject="Ergebnisse", intro="Liebe Mitglieder,", publication_ids=[workshop_pub.id],
                              segment={"type": "all_members"}, publications=[workshop_pub], now=NOW)
    repository.add(draft, created_by="staff:erika")
    sending = start_sending(schedule_send(draft, NOW), NOW + timedelta(minutes=1))
    repository.save(sending)
    loaded = repository.get(draft.id, for_update=True)
    assert loaded == sending and isinstance(loaded, Newsletter)
    assert loaded.started_at == NOW + timedelta(minutes=1) and loaded.segment == {"type": "all_members"}
    assert session.execute(select(newsletters.c.created_by)).scalar_one() == "staff:erika"
    assert repository.list(status="sending", offset=0, limit=10) == ([sending], 1)
    repository.materialise(draft.id, [("b@example.org", "Bea"), ("a@example.org", "")], NOW)
    session.execute(deliveries.update().where(deliveries.c.email == "b@example.org").values(
        status="failed", attempts=3, last_error="550 no such user"))
    assert repository.deliveries(draft.id) == [
        Delivery(id=2, newsletter_id=draft.id, email="a@example.org", name="", status="pending"),
        Delivery(id=1, newsletter_id=draft.id, email="b@example.org", name="Bea", status="failed", attempts=3,
                 last_error="550 no such user")]


def test_letters_templates_calls_mails_members_and_enquiries_are_read_as_domain_objects(session):
    notices = NoticeRepository(session)
    letter = Notice(id="n1", kind="selected", call_id="c1", application_id="a1", ags=WASSENBERG,
                    municipality_name="Wassenberg", may_attend_workshops=True, status="pending_review",
                    created_at=NOW, decided_at=NOW, workshop_places=("Wassenberg", "Siegen"))
    assert notices.add_if_new(letter) and not notices.add_if_new(letter)
    assert notices.get("n1") == letter
    notices.update("n1", status="sent", sent_at=NOW)
    sent = notices.sent_for_application("a1")
    assert isinstance(sent, Notice) and sent.status == "sent" and sent.workshop_places == ("Wassenberg", "Siegen")
    assert notices.list(status="sent", call_id="c1", offset=0, limit=10) == ([sent], 1)

    templates = TemplateRepository(session)
    first = NoticeTemplate(kind="selected", subject="Ausgewählt", body="$salutation", updated_at=NOW,
                           updated_by="staff:erika")
    templates.put(first)
    changed = NoticeTemplate(kind="selected", subject="Neu", body="$salutation", updated_at=NOW, updated_by="staff:max")
    templates.put(changed)
    assert templates.get("selected") == changed and templates.get("not_selected") is None

    audience = AudienceRepository(session)
    audience.record_call("c1", "Smart City", "Digitalisierung", ["Wassenberg"], NOW)
    assert audience.call("c1") == DecidedCall(id="c1", title="Smart City", topic="Digitalisierung",
                                              selected_names=("Wassenberg",), decided_at=NOW)
    assert audience.call("c2") is None

    mail_id = MailRepository(session).add(kind="confirmation", recipient="Erika@Example.org", subject="Bitte bestätigen",
                                          message="Subject: Bitte bestätigen\n\n...", now=NOW)
    assert MailRepository(session).for_recipient("erika@example.org") == [
        Mail(id=mail_id, kind="confirmation", recipient="Erika@Example.org", subject="Bitte bestätigen",
             created_at=NOW)]

    members = MemberRepository(session)
    member = Member(id="m1", name="Stadt Wassenberg", kind="municipality", ags=WASSENBERG, email="rathaus@example.org")
    members.add(member, created_at=NOW)
    assert members.get("m1") == member and members.everyone() == [member]
    assert members.remove("m1") and not members.remove("m1")

    enquiry = Enquiry(id="e1", name="Max Beispiel", email="max@example.org", message="Wie bewerben wir uns?",
                      created_at=NOW)
    EnquiryRepository(session).add(enquiry)
    assert EnquiryRepository(session).list(offset=0, limit=10) == ([enquiry], 1)


def test_a_notice_without_frozen_places_reads_them_as_none(session):
    session.execute(insert(metadata.tables["notices"]).values(
        id="n2", kind="not_selected", call_id="c1", application_id="a2", ags=WASSENBERG,
        municipality_name="Wassenberg", status="pending_review", created_at=NOW, decided_at=NOW, lookup_attempts=0))
    assert NoticeRepository(session).get("n2").workshop_places is None
