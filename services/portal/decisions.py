"""Watching for the decision letters the portal's consumer heard of (consumers.py: `ApplicationSelected` /
`ApplicationNotSelected` -> handlers.AwaitLetter remembers them in `awaited_letters`; the withdrawal
confirmation is handlers.ConfirmWithdrawal).

`watch_letters` (periodic): asks publishing for each awaited letter (`GET /v1/decision-letters/{id}`, as the
municipality); once it has been sent, the municipality's people in the portal are told, one mail each (key
`decision-letter:<letter id>:<person id>`), with a link to read it in the portal. The letter's own recipient
is left out: publishing mailed the letter itself to that address. The mails and the letter's `told_at`
commit together, so a second worker or a second round queues nothing twice.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from services.portal.clients import as_municipality
from services.portal.handlers import call_link
from services.portal.repositories import AwaitedLetter
from shared.apiclient import ServiceUnavailable

log = logging.getLogger(__name__)

# A letter the office never sends (discarded) is not waited for forever: 120 days after the portal heard of it.
WAIT_FOR_LETTER = timedelta(days=120)


def watch_letters(ctx, limit: int = 200) -> int:
    """Tell the municipality's people about each decision letter the office has sent since; returns how
    many letters were found sent."""
    with ctx.uow_factory() as uow:
        # from when the portal heard of it: a decision may be recorded long after its meeting (or loaded, 2018's)
        waiting = uow.awaited_letters.open(ctx.clock() - WAIT_FOR_LETTER, limit)
    found = 0
    for awaited in waiting:
        try:
            letter = as_municipality("publishing", awaited.ags).get_or_none(
                f"/v1/decision-letters/{awaited.application_id}")
        except ServiceUnavailable:
            return found
        # A successor to a vacated place has two letters: the one for this decision is the one awaited.
        if letter is None or letter["kind"] != awaited.kind:
            continue
        found += 1
        _tell(ctx, awaited, letter)
    return found


def _tell(ctx, awaited: AwaitedLetter, letter: dict) -> None:
    recipient = ((letter.get("recipient") or {}).get("email") or "").lower()
    call = as_municipality("applications", awaited.ags).get_or_none(f"/v1/calls/{awaited.call_id}") or {}
    now = ctx.clock()
    with ctx.uow_factory() as uow:
        for person in uow.people.active("municipality", {awaited.ags}):
            if person.email.lower() == recipient:
                continue
            uow.mails.queue(key=f"decision-letter:{letter['id']}:{person.id}", kind="decision_letter",
                            recipient=person.email, template="decision_letter", now=now, language=person.language,
                            name=person.name, letter=letter, call=call, municipality=letter["municipality"]["name"],
                            link=call_link(ctx.portal.base_url, awaited.call_id))
        uow.awaited_letters.told(awaited, letter["id"], now)
        uow.commit()
