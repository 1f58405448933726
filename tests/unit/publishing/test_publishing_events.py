"""The events publishing consumes and emits are in the catalogue, and what it emits matches their schemas."""
from __future__ import annotations

import pytest

from services.publishing.consumers import PRIVACY_TOPICS, TOPICS, event_handlers, privacy_handlers
from services.publishing.handlers import COMMAND_HANDLERS
from services.publishing.domain import (create_newsletter, mark_sent, newsletter_sent_payload,
                                        publication_from_workshop, publish, results_published_payload, schedule_send,
                                        start_sending)
from services.publishing.settings import PublishingSettings
from shared.bus import MessageBus
from shared.consumer import PermanentError
from shared.errors import Conflict
from shared.events.catalogue import TOPIC_PUBLISHING, make_event, spec_for, topic_for

from .publishing_helpers import BASE_URL, NOW, workshop_event

CONSUMED = {"SelectionCompleted": "vorort.selection", "ApplicationSelected": "vorort.selection",
            "ApplicationNotSelected": "vorort.selection", "WorkshopCompleted": "vorort.workshops",
            "DecisionAmended": "vorort.selection", "WorkshopCancelled": "vorort.workshops"}
EMITTED = ("ResultsPublished", "NewsletterSent")


def bus() -> MessageBus:
    return MessageBus(uow_factory=None, handlers=COMMAND_HANDLERS, clock=lambda: NOW,
                      dependencies={"settings": PublishingSettings()})


def test_every_consumed_event_is_in_the_catalogue_on_a_topic_the_consumer_reads():
    handlers = event_handlers(bus())
    assert set(handlers) == set(CONSUMED)
    for event_type, topic in CONSUMED.items():
        assert topic_for(event_type) == topic and topic in TOPICS


def test_erasure_requests_are_consumed_from_the_privacy_topic_and_answered_there():
    assert set(privacy_handlers()) == {"PersonalDataErasureRequested"}
    assert topic_for("PersonalDataErasureRequested") in PRIVACY_TOPICS
    assert topic_for("PersonalDataErased") in PRIVACY_TOPICS


@pytest.mark.parametrize("event_type", EMITTED)
def test_every_emitted_event_is_in_the_catalogue_on_the_publishing_topic(event_type):
    assert spec_for(event_type).topic == TOPIC_PUBLISHING


def test_results_published_as_emitted_matches_its_schema():
    pub = publish(publication_from_workshop(workshop_event()), NOW)
    event = make_event("ResultsPublished", results_published_payload(pub, BASE_URL), source="/services/publishing")
    assert event.subject == pub.id
    assert event.data["url"] == f"{BASE_URL}/results/{pub.id}"


def test_newsletter_sent_as_emitted_matches_its_schema_and_carries_counts_only():
    pub = publish(publication_from_workshop(workshop_event()), NOW)
    newsletter = create_newsletter(subject="Ergebnisse", intro="", publication_ids=[pub.id],
                                   segment={"type": "all_members"}, publications=[pub], now=NOW)
    sent = mark_sent(start_sending(schedule_send(newsletter, NOW), NOW), NOW)
    payload = newsletter_sent_payload(sent, {"total": 3, "sent": 2, "failed": 1, "pending": 0, "skipped": 0})
    event = make_event("NewsletterSent", payload, source="/services/publishing")
    assert event.subject == newsletter.id
    assert {k: event.data[k] for k in ("total", "sent", "failed")} == {"total": 3, "sent": 2, "failed": 1}
    assert "@" not in str(event.data)
    with pytest.raises(Conflict):
        newsletter_sent_payload(newsletter, {"total": 0})


def test_an_event_that_breaks_the_domains_rules_is_dead_lettered_not_retried():
    handler = event_handlers(bus())["WorkshopCompleted"]
    broken = dict(workshop_event(), municipality={"ags": "05370040", "name": " "})
    with pytest.raises(PermanentError, match="municipality"):
        handler(None, broken, uow=object())
