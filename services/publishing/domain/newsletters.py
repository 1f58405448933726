"""Newsletters: drafted, scheduled, sent."""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from services.publishing.domain.subscriptions import validate_segment
from services.publishing.domain.vocabulary import _text
from shared.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from services.publishing.domain.publications import Publication


# --------------------------------------------------------------------------------------------------
# Newsletters
# --------------------------------------------------------------------------------------------------

NEWSLETTER_STATUSES = ("draft", "scheduled", "sending", "sent", "partly_failed", "failed")
# Sending has finished: every delivery was sent (or skipped), some failed, or every one failed.
NEWSLETTER_FINISHED = ("sent", "partly_failed", "failed")
MAX_SUBJECT_LENGTH = 200


@dataclass(frozen=True, kw_only=True)
class Newsletter:
    """A mailing of published results to one segment."""
    id: str
    subject: str
    intro: str = ""
    publication_ids: tuple[str, ...]
    segment: Mapping[str, str]
    status: str = "draft"
    send_at: datetime | None = None
    created_at: datetime
    started_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One recipient of a newsletter that is being (or was) sent, and how its mail went: `pending`,
    `sending`, `sent`, `failed` or `skipped` (unsubscribed, or erased, before it went out)."""
    id: int
    newsletter_id: str
    email: str
    name: str = ""
    language: str = "de"  # of its mail's frame: the subscriber's, German for members
    status: str = "pending"
    attempts: int = 0
    sent_at: datetime | None = None
    last_error: str | None = None


def _check_send_at(send_at: Any, now: datetime) -> datetime:
    if not isinstance(send_at, datetime) or send_at.tzinfo is None:
        raise InvalidInput("The send time needs a date, time and time zone.", field="send_at")
    if send_at <= now:
        raise InvalidInput("The send time must be in the future.", field="send_at")
    return send_at


def create_newsletter(
    *,
    subject: str,
    intro: str,
    publication_ids: Sequence[str],
    segment: Mapping[str, Any],
    publications: Iterable[Publication] | Mapping[str, Publication],
    now: datetime,
    send_at: datetime | None = None,
    newsletter_id: str | None = None,
) -> Newsletter:
    """Create a draft newsletter after checking what staff entered.

    ``publications`` are the known publications (a list or a dict by id). Only published results may go
    out: a draft could still change after members received it.
    """
    subject = _text(subject)
    if not subject:
        raise InvalidInput("The subject must not be empty.", field="subject")
    if len(subject) > MAX_SUBJECT_LENGTH or "\n" in subject or "\r" in subject:
        raise InvalidInput(f"The subject is one line of at most {MAX_SUBJECT_LENGTH} characters.", field="subject")
    known = dict(publications) if isinstance(publications, Mapping) else {p.id: p for p in publications}
    ids = tuple(dict.fromkeys(_text(i) for i in publication_ids))
    if not ids:
        raise InvalidInput("Choose at least one published result.", field="publication_ids")
    for pid in ids:
        if pid not in known:
            raise NotFound(f"Unknown publication '{pid}'.", field="publication_ids")
        if not known[pid].is_published:
            raise Conflict(f"'{known[pid].title}' has not been published yet.", field="publication_ids")
    return Newsletter(
        id=newsletter_id or str(uuid.uuid4()),
        subject=subject,
        intro=_text(intro),
        publication_ids=ids,
        segment=validate_segment(segment),
        send_at=_check_send_at(send_at, now) if send_at is not None else None,
        created_at=now,
    )


def schedule_send(newsletter: Newsletter, now: datetime, send_at: datetime | None = None) -> Newsletter:
    """Schedule a newsletter: at ``send_at``, else at its planned time, else immediately (``now``).

    Rescheduling a scheduled newsletter is allowed; once sending has started it is a conflict, because
    part of the audience may already have it.
    """
    if newsletter.status == "sending" or newsletter.status in NEWSLETTER_FINISHED:
        raise Conflict("This newsletter is already being sent or has been sent.")
    if send_at is not None:
        when = _check_send_at(send_at, now)
    elif newsletter.send_at is not None:
        when = _check_send_at(newsletter.send_at, now)
    else:
        when = now
    return replace(newsletter, status="scheduled", send_at=when)


def start_sending(newsletter: Newsletter, now: datetime) -> Newsletter:
    """Claim a due newsletter for the sender; only one worker can move it from scheduled to sending."""
    if newsletter.status != "scheduled":
        raise Conflict("Only a scheduled newsletter can be sent.")
    if newsletter.send_at is not None and newsletter.send_at > now:
        raise Conflict("This newsletter is not due yet.")
    return replace(newsletter, status="sending", started_at=now)


def mark_sent(newsletter: Newsletter, now: datetime, progress: Mapping[str, int] | None = None) -> Newsletter:
    """Sending has finished; the status says how it went: `sent` (no delivery failed), `partly_failed`
    (some failed), `failed` (none was delivered, at least one failed)."""
    if newsletter.status != "sending":
        raise Conflict("Only a newsletter that is being sent can be marked as sent.")
    progress = progress or {}
    if progress.get("pending") or progress.get("sending"):
        raise Conflict("Deliveries of this newsletter are still waiting.")
    failed, sent = int(progress.get("failed", 0)), int(progress.get("sent", 0))
    status = "sent" if not failed else "partly_failed" if sent else "failed"
    return replace(newsletter, status=status, sent_at=now)


def newsletter_sent_payload(newsletter: Newsletter, progress: Mapping[str, int]) -> dict[str, Any]:
    """Body of the NewsletterSent v1 event: counts only, never the recipients (personal data)."""
    if newsletter.status not in NEWSLETTER_FINISHED or newsletter.sent_at is None:
        raise Conflict("Only a newsletter whose sending has finished can be announced.")
    return {
        "newsletter_id": newsletter.id,
        "subject": newsletter.subject,
        "segment": dict(newsletter.segment),
        "total": int(progress.get("total", 0)),
        "sent": int(progress.get("sent", 0)),
        "failed": int(progress.get("failed", 0)),
        "completed_at": newsletter.sent_at.astimezone(timezone.utc).isoformat(),
    }
