"""Mails about a municipality's application after it left the portal's hands: its withdrawal confirmed,
and its decision letter there to read.

- `decision_handlers` (consumer of `vorort.applications` and `vorort.selection`, group `portal.decisions`):
  * `ApplicationWithdrawn`: the application's contact person gets one confirmation (key
    `application:<id>:withdrawn`), however the withdrawal came (portal, API, office). The contact is read
    from the applications API with a token for the municipality (events carry no personal data).
  * `ApplicationSelected` / `ApplicationNotSelected`: the decision is remembered in `awaited_letters`; the
    office reviews and sends the letter later (publishing announces no event for that).
- `watch_letters` (periodic): asks publishing for each awaited letter (`GET /v1/decision-letters/{id}`, as
  the municipality); once it has been sent, the municipality's people in the portal are told, one mail each
  (key `decision-letter:<letter id>:<person id>`), with a link to read it in the portal. The letter's own
  recipient is left out: publishing mailed the letter itself to that address.

A mail's key names the fact, and the consumer records the event in the same transaction, so a redelivered
event or a second worker queues nothing twice.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from services.portal import mail
from services.portal.db import awaited_letters, people
from services.portal.people import mail_language
from shared import auth
from shared.apiclient import ApiError, ServiceClient, ServiceUnavailable
from shared.pages import parse_time

log = logging.getLogger(__name__)

# A letter the office never sends (discarded) is not waited for forever: 120 days after the portal heard of it.
WAIT_FOR_LETTER = timedelta(days=120)
LETTER_KINDS = {"ApplicationSelected": "selected", "ApplicationNotSelected": "not_selected"}


def as_municipality(service: str, ags: str) -> ServiceClient:
    """The API as the municipality itself: the services' own rules decide what the portal may read."""
    return ServiceClient(service, auth.delegated_token("portal", "municipality", "portal:mail", ags=ags))


def call_link(base_url: str, call_id: str) -> str:
    return f"{base_url}/municipality/calls/{call_id}"


def decision_handlers(ctx) -> dict:
    def withdrawn(event, data, uow):
        client = as_municipality("applications", data["ags"])
        try:
            application = client.get(f"/v1/applications/{data['application_id']}")
        except ApiError as error:
            if error.status == 404:  # erased since: nobody to write to
                return
            raise
        contact = application.get("contact") or {}
        if not contact.get("email"):
            return
        call = client.get(f"/v1/calls/{data['call_id']}")
        connection = uow.session.connection()
        mail.queue(connection, key=f"application:{data['application_id']}:withdrawn",
                   kind="application_withdrawn", recipient=contact["email"], template="application_withdrawn",
                   now=ctx.clock(), language=mail_language(connection, contact["email"]), call=call,
                   contact_name=contact.get("name") or "", municipality=application["municipality"]["name"],
                   withdrawn_at=data["withdrawn_at"], link=call_link(ctx.portal.base_url, data["call_id"]))

    def decided(event, data, uow):
        connection = uow.session.connection()
        kind = LETTER_KINDS[event.type]
        known = connection.execute(select(awaited_letters.c.application_id).where(
            awaited_letters.c.application_id == data["application_id"], awaited_letters.c.kind == kind)).first()
        if known is None:
            connection.execute(insert(awaited_letters).values(
                application_id=data["application_id"], kind=kind, call_id=data["call_id"],
                ags=data["municipality"]["ags"], decided_at=parse_time(data["decided_at"]), noted_at=ctx.clock()))

    return {"ApplicationWithdrawn": withdrawn, "ApplicationSelected": decided, "ApplicationNotSelected": decided}


def watch_letters(ctx, limit: int = 200) -> int:
    """Tell the municipality's people about each decision letter the office has sent since; returns how
    many letters were found sent."""
    now = ctx.clock()
    with ctx.engine.connect() as connection:
        # from when the portal heard of it: a decision may be recorded long after its meeting (or loaded, 2018's)
        noted = func.coalesce(awaited_letters.c.noted_at, awaited_letters.c.decided_at)
        waiting = list(connection.execute(select(awaited_letters).where(
            awaited_letters.c.told_at.is_(None), noted > now - WAIT_FOR_LETTER).order_by(noted).limit(limit)))
    found = 0
    for row in waiting:
        try:
            letter = as_municipality("publishing", row.ags).get_or_none(f"/v1/decision-letters/{row.application_id}")
        except ServiceUnavailable:
            return found
        # A successor to a vacated place has two letters: the one for this decision is the one awaited.
        if letter is None or letter["kind"] != row.kind:
            continue
        found += 1
        _tell(ctx, row, letter)
    return found


def _tell(ctx, row, letter: dict) -> None:
    recipient = ((letter.get("recipient") or {}).get("email") or "").lower()
    call = as_municipality("applications", row.ags).get_or_none(f"/v1/calls/{row.call_id}") or {}
    now = ctx.clock()
    with ctx.engine.begin() as connection:
        for person in connection.execute(select(people).where(
                people.c.role == "municipality", people.c.ags == row.ags, people.c.active.is_(True))):
            if person.email.lower() == recipient:
                continue
            mail.queue(connection, key=f"decision-letter:{letter['id']}:{person.id}", kind="decision_letter",
                       recipient=person.email, template="decision_letter", now=now, language=person.language,
                       name=person.name, letter=letter, call=call, municipality=letter["municipality"]["name"],
                       link=call_link(ctx.portal.base_url, row.call_id))
        connection.execute(update(awaited_letters).where(
            awaited_letters.c.application_id == row.application_id, awaited_letters.c.kind == row.kind,
            awaited_letters.c.told_at.is_(None)).values(letter_id=letter["id"], told_at=now))
