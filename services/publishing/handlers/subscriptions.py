"""Use cases of members and subscribers (double opt-in, unsubscribe)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from services.publishing import domain
from services.publishing.handlers.common import CONFIRM_MAX_AGE, CONFIRMATION_RESEND_AFTER, UNSUBSCRIBE_MAX_AGE, confirm_url, queue_mail
from services.publishing.mail import confirmation_message
from services.publishing.settings import PublishingSettings
from shared.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from services.publishing.handlers.commands import AddMember, ConfirmSubscription, RemoveMember, Subscribe, Unsubscribe


# --- members and subscribers ---------------------------------------------------------------------
def add_member(command: AddMember, uow, clock, settings) -> domain.Member:
    if command.kind == "municipality" and not command.ags:
        raise InvalidInput("A member municipality needs its AGS.", field="ags")
    member = domain.Member(id=str(uuid.uuid4()), name=command.name.strip(), kind=command.kind, ags=command.ags,
                           email=domain.normalise_email(command.email),
                           contact_name=(command.contact_name or "").strip() or None)
    if uow.members.name_taken(member.name):
        raise Conflict(f"There is already a member named {member.name}.", field="name")
    if member.ags and uow.members.ags_taken(member.ags):
        raise Conflict(f"The municipality {member.ags} is already a member.", field="ags")
    uow.members.add(member, created_at=clock())
    uow.commit()  # a concurrent duplicate fails here on a unique index; the API answers 409
    return member


def remove_member(command: RemoveMember, uow, clock, settings) -> None:
    if not uow.members.remove(command.member_id):
        raise NotFound(f"No member {command.member_id}.")
    uow.commit()


def _recent_confirmation(uow, email: str, now: datetime) -> bool:
    return any(mail.kind == "confirmation" and mail.created_at > now - CONFIRMATION_RESEND_AFTER
               for mail in uow.mails.for_recipient(email))


def subscribe(command: Subscribe, uow, clock, settings: PublishingSettings) -> None:
    """Double opt-in: store the request as pending and mail a signed confirmation link.

    The answer is the same whatever the address's state, so the public form does not reveal who
    subscribed. A confirmed subscriber asking for more topics confirms them by mail as well. The mails are
    in the subscription's language: the one the request names (the page's), else the one it had.
    """
    now = clock()
    requested = domain.subscribe(command.email, command.topics, now, language=command.language)
    current = uow.subscribers.by_email(requested.email, for_update=True)
    subscription, topics_to_confirm = requested, requested.topics
    if current is None:
        uow.subscribers.add(requested)
    else:
        subscription, topics_to_confirm = domain.subscribe_again(current, requested, language=command.language)
        if subscription != current:
            uow.subscribers.save(subscription)
        if not topics_to_confirm:
            uow.commit()
            return
    if not _recent_confirmation(uow, requested.email, now):
        queue_mail(uow, "confirmation", confirmation_message(
            requested.email, confirm_url(settings, requested.email, now), settings.sender,
            topics=list(topics_to_confirm), valid_for=CONFIRM_MAX_AGE, now=now, language=subscription.language), now)
    uow.commit()


def confirm_subscription(command: ConfirmSubscription, uow, clock, settings: PublishingSettings) -> dict:
    now = clock()
    email = domain.read_token(settings.secret, "confirm", command.token, CONFIRM_MAX_AGE, now=now)
    subscriber = uow.subscribers.by_email(email, for_update=True)
    if subscriber is None:
        raise NotFound("There is no subscription for this link any more; please subscribe again.")
    confirmed = domain.confirm_subscription(subscriber, now)
    uow.subscribers.save(confirmed)
    uow.suppressions.remove(email)  # a new, explicit consent lifts an earlier unsubscribe
    uow.commit()
    return {"email": confirmed.email, "status": confirmed.status, "topics": list(confirmed.topics)}


def unsubscribe(command: Unsubscribe, uow, clock, settings: PublishingSettings) -> dict:
    """Idempotent: mail clients may send the one-click POST more than once."""
    now = clock()
    email = domain.read_token(settings.secret, "unsubscribe", command.token, UNSUBSCRIBE_MAX_AGE, now=now)
    subscriber = uow.subscribers.by_email(email, for_update=True)
    if subscriber is not None:
        uow.subscribers.save(domain.unsubscribe(subscriber, now))
    uow.suppressions.add(email, now)  # members unsubscribe by address too
    uow.commit()
    return {"email": email, "status": "unsubscribed"}
