"""Integration events -> commands: what publishing learns from the selection and the workshops, and the
erasure requests of the privacy topic (GDPR).

Handlers have the consumer loop's signature `handler(event, data, uow)`; `data` is already validated against
the catalogue. The loop provides idempotency (processed messages), retries and the dead-letter topic. On
top of that every command is safe to replay: publications and notices have ids derived from their source,
so a replay with a new event id finds them and changes nothing.
"""
from __future__ import annotations

from services.publishing import handlers
from shared.bus import MessageBus
from shared.consumer import command_handlers
from shared.events.catalogue import TOPIC_PRIVACY, TOPIC_SELECTION, TOPIC_WORKSHOPS
from shared.privacy import privacy_consumer
from shared.revocation import revocation_consumer
from shared.worker import ConsumerSpec

NAME = "publishing"
TOPICS = [TOPIC_SELECTION, TOPIC_WORKSHOPS]
PRIVACY_TOPICS = [TOPIC_PRIVACY]

EVENT_COMMANDS = {
    "SelectionCompleted": handlers.RecordSelection,
    "ApplicationSelected": lambda data: handlers.RecordDecision(data, selected=True),
    "ApplicationNotSelected": lambda data: handlers.RecordDecision(data, selected=False),
    "WorkshopCompleted": handlers.RecordWorkshopResults,
    "WorkshopCancelled": handlers.RecordWorkshopCancellation,
    "DecisionAmended": handlers.RecordDecisionAmendment,
}


def event_handlers(bus: MessageBus) -> dict:
    """Each event of the selection and the workshops as a command for the bus (in the consumer's transaction)."""
    return command_handlers(bus, EVENT_COMMANDS)


def erase_personal_data(uow, digest: str) -> int:
    return uow.privacy.erase(digest)


def privacy_handlers() -> dict:
    """GDPR: the platform's erasure handler (once per request, audited, answered with PersonalDataErased)
    around what publishing erases."""
    return PRIVACY_CONSUMER.handlers


PRIVACY_CONSUMER = privacy_consumer(NAME, erase_personal_data)


def consumers(bus: MessageBus) -> list[ConsumerSpec]:
    """Groups `publishing.results`, `publishing.privacy` and `publishing.results.access` (the names deployed
    offsets are stored under; shared.config.consumer_group adds the deployment's suffix)."""
    return [ConsumerSpec(NAME, "results", topics=TOPICS, handlers=event_handlers(bus)), PRIVACY_CONSUMER,
            revocation_consumer(NAME, "results.access")]
