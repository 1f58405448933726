"""What publishing's use cases share: constants, links in mails, events and the mail queue."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.publishing import domain
from services.publishing.mail import newsletter_message
from services.publishing.settings import PublishingSettings
from shared.events.catalogue import make_event
from shared.logs import correlation_id

SOURCE = "/services/publishing"
CONFIRM_MAX_AGE = timedelta(days=7)
# Unsubscribe links live in old mails; they must keep working for as long as anyone might click them.
UNSUBSCRIBE_MAX_AGE = timedelta(days=3 * 366)
# Someone may ask for a confirmation mail again; more often than this is a bot using us to mail a stranger.
CONFIRMATION_RESEND_AFTER = timedelta(minutes=10)
NOTICE_NAMESPACE = uuid.UUID("3c7d1f0e-8a8b-5d3e-9f61-6e6f74696365")
PREVIEW_RECIPIENT = "vorschau@example.org"
PENDING_CALL_TITLE = "[Titel folgt, sobald die Auswahl abgeschlossen ist]"


# --- links ---------------------------------------------------------------------------------------
def confirm_url(settings: PublishingSettings, email: str, now: datetime) -> str:
    token = domain.make_token(settings.secret, "confirm", email, now)
    return f"{settings.base_url}/v1/subscriptions/confirm?token={token}"


def unsubscribe_url(settings: PublishingSettings, email: str, now: datetime) -> str:
    token = domain.make_token(settings.secret, "unsubscribe", email, now)
    return f"{settings.base_url}/v1/subscriptions/unsubscribe?token={token}"


def render_newsletter(settings: PublishingSettings, newsletter: domain.Newsletter, publications: dict,
                      email: str, name: str | None, now: datetime, language: str = "de"):
    """The mail one recipient gets, its frame in their language; also used for previews and test sends (German,
    as the office reads them)."""
    return newsletter_message(newsletter, publications, email, name or None, unsubscribe_url(settings, email, now),
                              settings.sender, base_url=settings.base_url, now=now,
                              allow_http_unsubscribe=settings.allows_http_links, language=language)


def _event(event_type: str, data: dict):
    return make_event(event_type, data, source=SOURCE, correlation_id=correlation_id.get())


def queue_mail(uow, kind: str, message, now: datetime, notice_id: str | None = None) -> int:
    return uow.mails.add(kind=kind, recipient=message["To"].addresses[0].addr_spec, subject=str(message["Subject"]),
                         message=message.as_string(), now=now, notice_id=notice_id)
