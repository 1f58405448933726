"""The portal's use cases run by its bus: the commands its consumers make of other services' events
(consumers.py), each handled by one function `handler(command, uow, clock, ...)` routed by
`COMMAND_HANDLERS`. A handler names what else it needs, and the bus (app.build_context) injects it:
`settings` (the PortalSettings: the portal's address in links) and `clients` (clients.PortalClients: the
API services as the municipality or as the guests). Handlers run in the consumer loop's unit of work
(repositories.PortalUnitOfWork) and do not commit: a mail and the record that its event was processed
commit together, and a mail's key names the fact, so a redelivered event queues nothing twice.

Mails are written in their reader's language: a guest's is the page's at registration, a person's their
preference, anyone else's German (people.mail_language).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.portal import mail
from services.portal.clients import PortalClients
from services.portal.repositories import AwaitedLetter, GuestRegistration, PortalUnitOfWork
from services.portal.settings import PortalSettings
from shared.apiclient import ApiError, ServiceClient

LETTER_KINDS = {"ApplicationSelected": "selected", "ApplicationNotSelected": "not_selected"}


@dataclass(frozen=True)
class ConfirmWithdrawal:
    """An application was withdrawn (however it came): its contact person gets one confirmation."""
    application_id: str
    call_id: str
    ags: str
    withdrawn_at: datetime


@dataclass(frozen=True)
class AwaitLetter:
    """A decision was recorded: its letter is awaited until the office sends it (decisions.watch_letters)."""
    application_id: str
    kind: str  # selected | not_selected
    call_id: str
    ags: str
    decided_at: datetime


@dataclass(frozen=True)
class InviteToWorkshop:
    """A workshop was scheduled: the invited municipalities' people and the host's partners are invited."""
    workshop_id: str


@dataclass(frozen=True)
class TellRescheduled:
    """A workshop was rescheduled (event `event_id`): every guest registered through the portal is told."""
    event_id: str
    workshop_id: str


def call_link(base_url: str, call_id: str) -> str:
    return f"{base_url}/municipality/calls/{call_id}"


def manage_link(base_url: str, registration: GuestRegistration) -> str:
    return (f"{base_url}/workshops/{registration.workshop_id}/registrations/{registration.registration_id}"
            f"?code={registration.manage_code}")


def calendar_file(client: ServiceClient, workshop_id: str) -> mail.Attachment | None:
    try:
        return mail.Attachment("strategiewerkstatt.ics",
                               client.request("GET", f"/v1/workshops/{workshop_id}.ics", raw=True).text)
    except ApiError:
        return None


def confirm_withdrawal(command: ConfirmWithdrawal, uow: PortalUnitOfWork, clock, settings: PortalSettings,
                       clients: PortalClients) -> bool:
    """Key `application:<id>:withdrawn`. The contact is read from the applications API as the municipality
    (events carry no personal data); an application erased since, or without a contact address, is mailed
    to nobody. Returns whether a mail was queued."""
    client = clients.as_municipality("applications", command.ags)
    try:
        application = client.get(f"/v1/applications/{command.application_id}")
    except ApiError as error:
        if error.status == 404:  # erased since: nobody to write to
            return False
        raise
    contact = application.get("contact") or {}
    if not contact.get("email"):
        return False
    call = client.get(f"/v1/calls/{command.call_id}")
    return uow.mails.queue(
        key=f"application:{command.application_id}:withdrawn", kind="application_withdrawn",
        recipient=contact["email"], template="application_withdrawn", now=clock(),
        language=uow.people.mail_language(contact["email"]), call=call, contact_name=contact.get("name") or "",
        municipality=application["municipality"]["name"], withdrawn_at=command.withdrawn_at,
        link=call_link(settings.base_url, command.call_id))


def await_letter(command: AwaitLetter, uow: PortalUnitOfWork, clock) -> bool:
    """Remember the decision once (publishing announces no event when the letter is sent)."""
    return uow.awaited_letters.note(AwaitedLetter(
        application_id=command.application_id, kind=command.kind, call_id=command.call_id, ags=command.ags,
        decided_at=command.decided_at, noted_at=clock()))


def invite_to_workshop(command: InviteToWorkshop, uow: PortalUnitOfWork, clock, settings: PortalSettings,
                       clients: PortalClients) -> int:
    """The people of the invited (not selected) municipalities and the partners of the host municipality
    (partner accounts registered with its AGS), once per workshop and person (key
    `invitation:<workshop id>:<person id>`). Returns how many were invited."""
    client = clients.as_guest("workshops")
    workshop = client.get(f"/v1/workshops/{command.workshop_id}")
    host = workshop["municipality"]["ags"]
    invited = set(workshop.get("invited_ags") or []) - {host}
    guests = [(person, "workshop_invitation") for person in uow.people.active("municipality", invited)]
    guests += [(person, "workshop_invitation_partner") for person in uow.people.active("partner", {host})]
    if not guests:
        return 0
    attachment = calendar_file(client, command.workshop_id)
    link = f"{settings.base_url}/workshops/{command.workshop_id}"
    for person, template in guests:
        uow.mails.queue(key=f"invitation:{command.workshop_id}:{person.id}", kind=template, recipient=person.email,
                        template=template, now=clock(), language=person.language, attachment=attachment,
                        registration={"name": person.name}, organisation=person.organisation, workshop=workshop,
                        link=link)
    return len(guests)


def tell_rescheduled(command: TellRescheduled, uow: PortalUnitOfWork, clock, settings: PortalSettings,
                     clients: PortalClients) -> int:
    """Every guest still registered through the portal, with a new calendar file (key
    `workshop:<event id>:<registration id>`). Returns how many were told."""
    registrations = uow.guest_registrations.active_for(command.workshop_id)
    if not registrations:
        return 0
    client = clients.as_guest("workshops")
    workshop = client.get(f"/v1/workshops/{command.workshop_id}")
    attachment = calendar_file(client, command.workshop_id)
    for registration in registrations:
        uow.mails.queue(key=f"workshop:{command.event_id}:{registration.registration_id}", kind="workshop_rescheduled",
                        recipient=registration.email, template="workshop_rescheduled", now=clock(),
                        language=registration.language, attachment=attachment, registration={"name": registration.name},
                        workshop=workshop, link=manage_link(settings.base_url, registration))
    return len(registrations)


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    ConfirmWithdrawal: confirm_withdrawal,
    AwaitLetter: await_letter,
    InviteToWorkshop: invite_to_workshop,
    TellRescheduled: tell_rescheduled,
}
