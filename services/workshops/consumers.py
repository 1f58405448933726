"""Integration events -> commands: what the workshops learn from the selection (topic vorort.selection),
the erasure requests they answer (topic vorort.privacy, through shared.privacy) and revoked access.

Each selection event becomes a command for the bus (shared.consumer.command_handlers), which runs it in
the consumer loop's unit of work. The loop provides idempotency (processed messages), retries and the
dead-letter topic; the commands are upserts on top of that, so even a replay without the record changes
nothing. Consumer groups are `workshops.selection`, `workshops.privacy` and `workshops.access`
(shared.config.consumer_group adds the deployment's suffix).
"""
from __future__ import annotations

from services.workshops import handlers
from shared.bus import MessageBus
from shared.consumer import command_handlers
from shared.events.catalogue import TOPIC_SELECTION
from shared.privacy import privacy_consumer
from shared.revocation import revocation_consumer
from shared.worker import ConsumerSpec

NAME = "workshops"


def _plan_series(data: dict) -> handlers.PlanSeries:
    municipality = data["municipality"]
    return handlers.PlanSeries(
        call_id=data["call_id"], application_id=data["application_id"], ags=municipality["ags"],
        name=municipality["name"], workshops_per_place=data["workshops_per_place"],
        population=municipality.get("population"), size_class=municipality.get("size_class"))


def _record_invitation(data: dict) -> handlers.RecordInvitation:
    municipality = data["municipality"]
    return handlers.RecordInvitation(
        call_id=data["call_id"], application_id=data["application_id"], ags=municipality["ags"],
        name=municipality["name"], may_attend=data["may_attend_workshops"])


def _record_selection(data: dict) -> handlers.RecordSelection:
    return handlers.RecordSelection(call_id=data["call_id"], title=data["call_title"], topic=data["topic"],
                                    decided_at=data["decided_at"])


def _cancel_series(data: dict) -> handlers.CancelSeries:
    return handlers.CancelSeries(call_id=data["call_id"], application_id=data["application_id"],
                                 reason=handlers.VACATED_REASON)


EVENT_COMMANDS = {
    "ApplicationSelected": _plan_series,
    "ApplicationNotSelected": _record_invitation,
    "SelectionCompleted": _record_selection,
    "PlaceVacated": _cancel_series,
}


def selection_handlers(bus: MessageBus) -> dict:
    return command_handlers(bus, EVENT_COMMANDS)


PRIVACY_CONSUMER = privacy_consumer(NAME, handlers.erase_personal_data)


def consumers(bus: MessageBus) -> list[ConsumerSpec]:
    return [ConsumerSpec(NAME, "selection", topics=[TOPIC_SELECTION], handlers=selection_handlers(bus)),
            PRIVACY_CONSUMER, revocation_consumer(NAME)]
