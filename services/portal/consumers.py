"""Other services' events the portal mails about, each turned into a command for its bus
(shared.consumer.command_handlers; the handlers are in handlers.py):

- `portal.decisions` (`vorort.applications`, `vorort.selection`): `ApplicationWithdrawn` -> ConfirmWithdrawal
  (the contact person's confirmation); `ApplicationSelected` / `ApplicationNotSelected` -> AwaitLetter (the
  letter is watched for by decisions.watch_letters).
- `portal.workshops` (`vorort.workshops`): `WorkshopScheduled` -> InviteToWorkshop; `WorkshopRescheduled` ->
  TellRescheduled. WorkshopCancelled is not mailed from here: publishing's notices tell every registrant
  (a second mail would double it).
The consumer loop records each event as processed in the transaction of the mails it caused.
- `portal.privacy` (`vorort.privacy`): the shared GDPR erasure (privacy.py), as in every service that holds
  personal data; `portal.access` (`vorort.identity`): the deny list of revoked clients and people, for the
  staff tokens its GDPR export takes (shared.revocation).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from services.portal import handlers
from services.portal.privacy import PRIVACY_CONSUMER
from services.portal.settings import NAME
from shared.consumer import CommandBus, CommandMaker, command_handlers
from shared.events.catalogue import TOPIC_APPLICATIONS, TOPIC_SELECTION, TOPIC_WORKSHOPS
from shared.events.envelope import Event
from shared.pages import parse_time
from shared.revocation import revocation_consumer
from shared.worker import ConsumerSpec


def _when(value: Any) -> datetime:
    parsed = parse_time(value)
    assert parsed is not None  # the event's schema requires it
    return parsed


def _confirm_withdrawal(data: dict) -> handlers.ConfirmWithdrawal:
    return handlers.ConfirmWithdrawal(application_id=data["application_id"], call_id=data["call_id"],
                                      ags=data["ags"], withdrawn_at=_when(data["withdrawn_at"]))


def _await_letter(event: Event, data: dict) -> handlers.AwaitLetter:
    return handlers.AwaitLetter(application_id=data["application_id"], kind=handlers.LETTER_KINDS[event.type],
                                call_id=data["call_id"], ags=data["municipality"]["ags"],
                                decided_at=_when(data["decided_at"]))


def _tell_rescheduled(event: Event, data: dict) -> handlers.TellRescheduled:
    return handlers.TellRescheduled(event_id=event.id, workshop_id=data["workshop_id"])


DECISION_COMMANDS: dict[str, CommandMaker] = {
    "ApplicationWithdrawn": _confirm_withdrawal,
    "ApplicationSelected": _await_letter,
    "ApplicationNotSelected": _await_letter,
}
WORKSHOP_COMMANDS: dict[str, CommandMaker] = {
    "WorkshopScheduled": lambda data: handlers.InviteToWorkshop(workshop_id=data["workshop_id"]),
    "WorkshopRescheduled": _tell_rescheduled,
}


def decision_consumer(bus: CommandBus) -> ConsumerSpec:
    return ConsumerSpec(NAME, "decisions", topics=[TOPIC_APPLICATIONS, TOPIC_SELECTION],
                        handlers=command_handlers(bus, DECISION_COMMANDS))


def workshop_consumer(bus: CommandBus) -> ConsumerSpec:
    return ConsumerSpec(NAME, "workshops", topics=[TOPIC_WORKSHOPS], handlers=command_handlers(bus, WORKSHOP_COMMANDS))


def consumers(bus: CommandBus) -> list[ConsumerSpec]:
    return [workshop_consumer(bus), decision_consumer(bus), PRIVACY_CONSUMER, revocation_consumer(NAME)]
