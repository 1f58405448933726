"""Use cases of newsletters: created, scheduled, sent as a test."""
from __future__ import annotations

from dataclasses import replace
from email.utils import make_msgid
from typing import TYPE_CHECKING

from services.publishing import domain
from services.publishing.handlers.common import queue_mail, render_newsletter
from services.publishing.mail import sender_address
from services.publishing.settings import PublishingSettings
from shared.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from services.publishing.handlers.commands import CreateNewsletter, ScheduleNewsletter, SendTestNewsletter


# --- newsletters ---------------------------------------------------------------------------------
def recipients_of(uow, segment: dict) -> list[tuple[str, str]]:
    """The exact audience of a segment now: resolved by the domain, minus every unsubscribed address."""
    suppressed = uow.suppressions.keys()
    recipients = domain.resolve_recipients(segment, uow.members.everyone(), uow.subscribers.confirmed(),
                                           uow.audience.selected_ags_by_call(),
                                           uow.audience.participants_by_workshop())
    # `.invalid` (RFC 2606) never resolves: it is what an erased address becomes.
    return [(email, name) for email, name in recipients
            if email.strip().casefold() not in suppressed and not email.strip().lower().endswith(".invalid")]


def create_newsletter(command: CreateNewsletter, uow, clock, settings) -> domain.Newsletter:
    newsletter = domain.create_newsletter(
        subject=command.subject, intro=command.intro, publication_ids=command.publication_ids,
        segment=command.segment, publications=uow.publications.by_ids(command.publication_ids), now=clock(),
        send_at=command.send_at)
    uow.newsletters.add(newsletter, created_by=command.actor)
    uow.commit()
    return newsletter


def existing_newsletter(uow, newsletter_id: str, *, for_update: bool = False) -> domain.Newsletter:
    newsletter = uow.newsletters.get(newsletter_id, for_update=for_update)
    if newsletter is None:
        raise NotFound(f"No newsletter {newsletter_id}.")
    return newsletter


def schedule_newsletter(command: ScheduleNewsletter, uow, clock, settings) -> domain.Newsletter:
    newsletter = existing_newsletter(uow, command.newsletter_id, for_update=True)
    scheduled = domain.schedule_send(newsletter, clock(), command.send_at)
    if not recipients_of(uow, dict(newsletter.segment)):
        raise InvalidInput(f"The segment ({domain.describe_segment(newsletter.segment)}) has no recipients; "
                           "nobody would receive this newsletter.", field="segment")
    uow.newsletters.save(scheduled)
    uow.commit()
    return scheduled


def send_test_newsletter(command: SendTestNewsletter, uow, clock, settings: PublishingSettings) -> int:
    now = clock()
    email = domain.normalise_email(command.email)
    newsletter = existing_newsletter(uow, command.newsletter_id)
    publications = uow.publications.by_ids(newsletter.publication_ids)
    message = render_newsletter(settings, replace(newsletter, subject=f"[Test] {newsletter.subject}"),
                                publications, email, None, now)
    # Its own Message-ID: with the recipient's real one, a tester on the list would never see the real mail.
    del message["Message-ID"]
    message["Message-ID"] = make_msgid(domain=sender_address(settings.sender).domain)
    mail_id = queue_mail(uow, "newsletter_test", message, now)
    uow.commit()
    return mail_id
