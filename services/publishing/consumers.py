"""Integration events -> commands: what publishing learns from the selection and the workshops, and the
erasure requests of the privacy topic (GDPR).

Handlers have the consumer loop's signature `handler(event, data, uow)`; `data` is already validated against
the catalogue. The loop provides idempotency (processed messages), retries and the dead-letter topic. On
top of that every command is safe to replay: publications and notices have ids derived from their source,
so a replay with a new event id finds them and changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable

from services.publishing import handlers
from services.publishing.settings import PublishingSettings
from shared.bus import system_clock
from shared.consumer import PermanentError
from shared.errors import DomainError
from shared.events.catalogue import TOPIC_PRIVACY, TOPIC_SELECTION, TOPIC_WORKSHOPS
from shared.privacy import erasure_handler

TOPICS = [TOPIC_SELECTION, TOPIC_WORKSHOPS]
PRIVACY_TOPICS = [TOPIC_PRIVACY]


def event_handlers(settings: PublishingSettings, clock: Callable = system_clock) -> dict:
    def run(command, uow):
        try:
            handlers.COMMAND_HANDLERS[type(command)](command, uow, clock, settings=settings)
        except DomainError as error:  # the event breaks a rule: retrying cannot help, dead-letter it
            raise PermanentError(f"{error.field or 'event'}: {error.message}") from error

    def selection_completed(event, data, uow):
        run(handlers.RecordSelection(data), uow)

    def application_selected(event, data, uow):
        run(handlers.RecordDecision(data, selected=True), uow)

    def application_not_selected(event, data, uow):
        run(handlers.RecordDecision(data, selected=False), uow)

    def workshop_completed(event, data, uow):
        run(handlers.RecordWorkshopResults(data), uow)

    def workshop_cancelled(event, data, uow):
        run(handlers.RecordWorkshopCancellation(data), uow)

    def decision_amended(event, data, uow):
        run(handlers.RecordDecisionAmendment(data), uow)

    return {
        "SelectionCompleted": selection_completed,
        "ApplicationSelected": application_selected,
        "ApplicationNotSelected": application_not_selected,
        "WorkshopCompleted": workshop_completed,
        "WorkshopCancelled": workshop_cancelled,
        "DecisionAmended": decision_amended,
    }


def erase_personal_data(uow, digest: str) -> int:
    return uow.privacy.erase(digest)


def privacy_handlers() -> dict:
    """GDPR: the platform's erasure handler (once per request, audited, answered with PersonalDataErased)
    around what publishing erases."""
    return {"PersonalDataErasureRequested": erasure_handler("publishing", erase_personal_data)}
