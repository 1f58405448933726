"""Use cases of publishing: command -> unit of work -> domain -> outbox (and the mail queue).

Every handler commits once: the state change, its events and the mails it queues land together. Mails
are rendered here (mail.py is pure) and written to the `mails` queue; the worker sends them (delivery.py),
so no request ever waits for an SMTP server.

Handlers are plain functions `handler(command, uow, clock, settings)`; `command_handlers(settings)` binds
the service's settings and returns the dict the message bus routes by.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from email.utils import make_msgid
from functools import partial

from services.publishing import domain
from services.publishing.db import newsletter_from_row, subscriber_from_row
from services.publishing.mail import (confirmation_message, enquiry_ack_message, newsletter_message,
                                      sender_address)
from services.publishing.settings import PublishingSettings
from shared.errors import Conflict, InvalidInput, NotFound
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
                      email: str, name: str | None, now: datetime):
    """The mail one recipient gets; also used for previews and test sends."""
    return newsletter_message(newsletter, publications, email, name or None, unsubscribe_url(settings, email, now),
                              settings.sender, base_url=settings.base_url, now=now,
                              allow_http_unsubscribe=settings.allows_http_links)


def _event(event_type: str, data: dict):
    return make_event(event_type, data, source=SOURCE, correlation_id=correlation_id.get())


def queue_mail(uow, kind: str, message, now: datetime, notice_id: str | None = None) -> int:
    return uow.mails.add(kind=kind, recipient=message["To"].addresses[0].addr_spec, subject=str(message["Subject"]),
                         message=message.as_string(), now=now, notice_id=notice_id)


# --- commands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordSelection:
    """SelectionCompleted: remember the call, and draft the publication of the selected municipalities."""
    data: dict


@dataclass(frozen=True)
class RecordDecision:
    """ApplicationSelected or ApplicationNotSelected: remember it and queue a decision notice for review."""
    data: dict
    selected: bool


@dataclass(frozen=True)
class RecordWorkshopResults:
    """WorkshopCompleted: remember its organisations, and draft the publication of its results."""
    data: dict


@dataclass(frozen=True)
class RecordWorkshopCancellation:
    """WorkshopCancelled: a notice to every registrant it names (their address is looked up when it is written)."""
    data: dict


@dataclass(frozen=True)
class RecordDecisionAmendment:
    """DecisionAmended: the workshop places named in the letters are the selection as it now stands."""
    data: dict


@dataclass(frozen=True)
class EditPublication:
    publication_id: str
    changes: dict


@dataclass(frozen=True)
class PublishPublication:
    publication_id: str
    actor: str


@dataclass(frozen=True)
class AddMember:
    name: str
    kind: str
    email: str
    ags: str | None = None
    contact_name: str | None = None


@dataclass(frozen=True)
class RemoveMember:
    member_id: str


@dataclass(frozen=True)
class Subscribe:
    email: str
    topics: list = field(default_factory=list)


@dataclass(frozen=True)
class ConfirmSubscription:
    token: str


@dataclass(frozen=True)
class Unsubscribe:
    token: str


@dataclass(frozen=True)
class CreateNewsletter:
    subject: str
    intro: str
    publication_ids: list
    segment: dict
    actor: str
    send_at: datetime | None = None


@dataclass(frozen=True)
class ScheduleNewsletter:
    newsletter_id: str
    send_at: datetime | None = None


@dataclass(frozen=True)
class SendTestNewsletter:
    newsletter_id: str
    email: str


@dataclass(frozen=True)
class PutNoticeTemplate:
    kind: str
    subject: str
    body: str
    actor: str


@dataclass(frozen=True)
class ApproveNotice:
    notice_id: str
    actor: str


@dataclass(frozen=True)
class DiscardNotice:
    notice_id: str
    actor: str


@dataclass(frozen=True)
class SubmitEnquiry:
    name: str
    email: str
    message: str
    organisation: str = ""


# --- publications --------------------------------------------------------------------------------
def _draft(uow, pub: domain.Publication, now: datetime, settings: PublishingSettings) -> None:
    """Store a new draft; a redelivered event finds its publication by id and leaves staff edits alone."""
    if uow.publications.get(pub.id) is not None:
        return
    uow.publications.add(pub, now)
    if settings.auto_publish:
        _publish(uow, pub, now, "auto-publish", settings)


def _publish(uow, pub: domain.Publication, now: datetime, actor: str, settings: PublishingSettings):
    published = domain.publish(pub, now)
    uow.publications.save(published, now, published_by=actor)
    uow.emit(_event("ResultsPublished", domain.results_published_payload(published, settings.base_url)))
    return published


def record_selection(command: RecordSelection, uow, clock, settings: PublishingSettings) -> None:
    data = command.data
    pub = domain.publication_from_selection(data)
    uow.audience.record_call(data["call_id"], data["call_title"], data["topic"],
                             [line["name"] for line in data["ranking"] if line["selected"]], data["decided_at"])
    for line in data["ranking"]:
        uow.audience.record_decision(data["call_id"], line["application_id"], line["ags"], line["name"],
                                     line["selected"], data["decided_at"])
    _draft(uow, pub, clock(), settings)


def record_decision(command: RecordDecision, uow, clock, settings: PublishingSettings) -> None:
    data = command.data
    municipality = data["municipality"]
    kind = "selected" if command.selected else "not_selected"
    uow.audience.record_decision(data["call_id"], data["application_id"], municipality["ags"],
                                 municipality["name"], command.selected, data["decided_at"])
    uow.notices.add_if_new(
        id=str(uuid.uuid5(NOTICE_NAMESPACE, f"{kind}:{data['application_id']}")), kind=kind,
        call_id=data["call_id"], application_id=data["application_id"], ags=municipality["ags"],
        municipality_name=municipality["name"], may_attend_workshops=data.get("may_attend_workshops"),
        status="pending_review", created_at=clock(), decided_at=data["decided_at"])


def record_workshop_cancellation(command: RecordWorkshopCancellation, uow, clock, settings) -> None:
    data = command.data
    if not data.get("registration_ids"):
        return
    municipality = data.get("municipality") or {}
    template = notice_template(uow, "workshop_cancelled")
    call = uow.audience.call(data["call_id"])
    label = domain.workshop_label(data.get("sequence"), municipality.get("name"), data.get("starts_at"))
    now = clock()
    for registration_id in data["registration_ids"]:
        uow.notices.add_if_new(
            id=str(uuid.uuid5(NOTICE_NAMESPACE, f"workshop_cancelled:{registration_id}")), kind="workshop_cancelled",
            call_id=data["call_id"], application_id=data.get("application_id") or "",
            ags=municipality.get("ags") or "", municipality_name=municipality.get("name") or "",
            status="approved", created_at=now, decided_at=data["cancelled_at"], reviewed_at=now,
            reviewed_by="automatic: workshop cancelled", subject_template=template["subject"],
            body_template=template["body"], call_title=call.title if call else "", workshop_places=[],
            next_lookup_at=now, workshop_id=data["workshop_id"], registration_id=registration_id, workshop=label)


def record_decision_amendment(command: RecordDecisionAmendment, uow, clock, settings) -> None:
    """The selection as it now stands: letters name the new workshop places, the vacated municipality's
    selection letter is not sent if it has not gone out yet, and the members get a draft announcement."""
    data = command.data
    now = clock()
    uow.audience.record_decision(data["call_id"], data["vacated_application_id"], data["vacated"]["ags"],
                                 data["vacated"]["name"], False, data["decided_at"])
    call = uow.audience.call(data["call_id"])
    if call is not None:
        uow.audience.record_call(data["call_id"], call.title, call.topic, data["selected_municipalities"],
                                 call.decided_at)
    letter = uow.notices.get(str(uuid.uuid5(NOTICE_NAMESPACE, f"selected:{data['vacated_application_id']}")),
                             for_update=True)
    if letter is not None and letter.status in ("pending_review", "approved"):
        uow.notices.update(letter.id, status="discarded", reviewed_at=now,
                           reviewed_by="automatic: withdrew after the decision")
    _draft(uow, domain.publication_from_amendment(data), now, settings)


def record_workshop_results(command: RecordWorkshopResults, uow, clock, settings: PublishingSettings) -> None:
    data = command.data
    pub = domain.publication_from_workshop(data)
    # The host municipality took part too; members are matched by AGS as well as by name.
    organisations = list(dict.fromkeys([*data.get("participant_organisations", []), data["municipality"]["ags"]]))
    uow.audience.record_workshop(data["workshop_id"], data["call_id"], organisations, data["completed_at"])
    _draft(uow, pub, clock(), settings)


def _publication(uow, publication_id: str, *, for_update: bool = False) -> domain.Publication:
    pub = uow.publications.get(publication_id, for_update=for_update)
    if pub is None:
        raise NotFound(f"No publication {publication_id}.")
    return pub


def edit_publication(command: EditPublication, uow, clock, settings) -> domain.Publication:
    edited = domain.edit(_publication(uow, command.publication_id, for_update=True), command.changes)
    uow.publications.save(edited, clock())
    uow.commit()
    return edited


def publish_publication(command: PublishPublication, uow, clock, settings) -> domain.Publication:
    published = _publish(uow, _publication(uow, command.publication_id, for_update=True), clock(), command.actor,
                         settings)
    uow.commit()
    return published


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
    uow.members.add(member, clock())
    uow.commit()  # a concurrent duplicate fails here on a unique index; the API answers 409
    return member


def remove_member(command: RemoveMember, uow, clock, settings) -> None:
    if not uow.members.remove(command.member_id):
        raise NotFound(f"No member {command.member_id}.")
    uow.commit()


def _recent_confirmation(uow, email: str, now: datetime) -> bool:
    return any(row.kind == "confirmation" and row.created_at > now - CONFIRMATION_RESEND_AFTER
               for row in uow.mails.for_recipient(email))


def subscribe(command: Subscribe, uow, clock, settings: PublishingSettings) -> None:
    """Double opt-in: store the request as pending and mail a signed confirmation link.

    The answer is the same whatever the address's state, so the public form does not reveal who
    subscribed. A confirmed subscriber asking for more topics confirms them by mail as well.
    """
    now = clock()
    requested = domain.subscribe(command.email, command.topics, now)
    row = uow.subscribers.by_email(requested.email, for_update=True)
    topics_to_confirm = requested.topics
    if row is None:
        uow.subscribers.add(requested)
    else:
        current = subscriber_from_row(row)
        if current.status == "confirmed":
            known = {t.casefold() for t in current.topics}
            topics_to_confirm = tuple(t for t in requested.topics if t.casefold() not in known)
            if not topics_to_confirm:
                uow.commit()
                return
            pending = list(dict.fromkeys([*row.pending_topics, *topics_to_confirm]))
            uow.subscribers.save(current, pending)
        else:  # pending, or unsubscribed and asking again: a fresh double opt-in
            topics = requested.topics if current.status == "unsubscribed" else \
                tuple(dict.fromkeys([*current.topics, *requested.topics]))
            uow.subscribers.save(replace(current, status="pending", topics=topics, unsubscribed_at=None), [])
            topics_to_confirm = topics
    if not _recent_confirmation(uow, requested.email, now):
        queue_mail(uow, "confirmation", confirmation_message(
            requested.email, confirm_url(settings, requested.email, now), settings.sender,
            topics=list(topics_to_confirm), valid_for=CONFIRM_MAX_AGE, now=now), now)
    uow.commit()


def confirm_subscription(command: ConfirmSubscription, uow, clock, settings: PublishingSettings) -> dict:
    now = clock()
    email = domain.read_token(settings.secret, "confirm", command.token, CONFIRM_MAX_AGE, now=now)
    row = uow.subscribers.by_email(email, for_update=True)
    if row is None:
        raise NotFound("There is no subscription for this link any more; please subscribe again.")
    confirmed = domain.confirm_subscription(subscriber_from_row(row), now)
    confirmed = replace(confirmed, topics=tuple(dict.fromkeys([*confirmed.topics, *row.pending_topics])))
    uow.subscribers.save(confirmed, [])
    uow.suppressions.remove(email)  # a new, explicit consent lifts an earlier unsubscribe
    uow.commit()
    return {"email": confirmed.email, "status": confirmed.status, "topics": list(confirmed.topics)}


def unsubscribe(command: Unsubscribe, uow, clock, settings: PublishingSettings) -> dict:
    """Idempotent: mail clients may send the one-click POST more than once."""
    now = clock()
    email = domain.read_token(settings.secret, "unsubscribe", command.token, UNSUBSCRIBE_MAX_AGE, now=now)
    row = uow.subscribers.by_email(email, for_update=True)
    if row is not None:
        uow.subscribers.save(domain.unsubscribe(subscriber_from_row(row), now), [])
    uow.suppressions.add(email, now)  # members unsubscribe by address too
    uow.commit()
    return {"email": email, "status": "unsubscribed"}


# --- newsletters ---------------------------------------------------------------------------------
def recipients_of(uow, segment: dict) -> list[tuple[str, str]]:
    """The exact audience of a segment now: resolved by the domain, minus every unsubscribed address."""
    suppressed = uow.suppressions.keys()
    recipients = domain.resolve_recipients(segment, uow.members.all(), uow.subscribers.confirmed(),
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
    uow.newsletters.add(newsletter, command.actor)
    uow.commit()
    return newsletter


def _newsletter(uow, newsletter_id: str, *, for_update: bool = False) -> domain.Newsletter:
    row = uow.newsletters.row(newsletter_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No newsletter {newsletter_id}.")
    return newsletter_from_row(row)


def schedule_newsletter(command: ScheduleNewsletter, uow, clock, settings) -> domain.Newsletter:
    newsletter = _newsletter(uow, command.newsletter_id, for_update=True)
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
    newsletter = _newsletter(uow, command.newsletter_id)
    publications = uow.publications.by_ids(newsletter.publication_ids)
    message = render_newsletter(settings, replace(newsletter, subject=f"[Test] {newsletter.subject}"),
                                publications, email, None, now)
    # Its own Message-ID: with the recipient's real one, a tester on the list would never see the real mail.
    del message["Message-ID"]
    message["Message-ID"] = make_msgid(domain=sender_address(settings.sender).domain)
    mail_id = queue_mail(uow, "newsletter_test", message, now)
    uow.commit()
    return mail_id


# --- decision notices ----------------------------------------------------------------------------
def notice_template(uow, kind: str) -> dict:
    if kind not in domain.NOTICE_KINDS:
        raise NotFound(f"No notice template {kind}; there are: {', '.join(domain.NOTICE_KINDS)}.")
    row = uow.templates.get(kind)
    if row is None:
        subject, body = domain.DEFAULT_NOTICE_TEMPLATES[kind]
        return {"kind": kind, "subject": subject, "body": body, "is_default": True, "updated_at": None,
                "updated_by": None, "placeholders": domain.NOTICE_PLACEHOLDERS}
    return {"kind": kind, "subject": row.subject, "body": row.body, "is_default": False,
            "updated_at": row.updated_at, "updated_by": row.updated_by, "placeholders": domain.NOTICE_PLACEHOLDERS}


def put_notice_template(command: PutNoticeTemplate, uow, clock, settings) -> dict:
    notice_template(uow, command.kind)  # 404 for an unknown kind
    domain.validate_notice_template(command.subject, "subject")
    domain.validate_notice_template(command.body, "body")
    if "\n" in command.subject.strip():
        raise InvalidInput("The subject is one line.", field="subject")
    uow.templates.put(command.kind, command.subject.strip(), command.body, clock(), command.actor)
    uow.commit()
    return notice_template(uow, command.kind)


def _notice(uow, notice_id: str, *, for_update: bool = False):
    row = uow.notices.get(notice_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No notice {notice_id}.")
    return row


def approve_notice(command: ApproveNotice, uow, clock, settings) -> None:
    """Approve a letter for sending: the template of this moment is frozen into the notice.

    Only once the decision on the call is final (SelectionCompleted), so that the letter names the call
    and, for the municipalities not selected, every place where they may attend a workshop.
    """
    notice = _notice(uow, command.notice_id, for_update=True)
    if notice.status != "pending_review":
        raise Conflict(f"The notice is {notice.status}; only a notice awaiting review can be approved.")
    call = uow.audience.call(notice.call_id)
    if call is None:
        raise Conflict("The decision on this call is not final yet (no SelectionCompleted received); "
                       "approve the letter once it is.")
    template = notice_template(uow, notice.kind)
    now = clock()
    uow.notices.update(notice.id, status="approved", reviewed_at=now, reviewed_by=command.actor,
                       subject_template=template["subject"], body_template=template["body"], call_title=call.title,
                       workshop_places=list(call.selected_names), next_lookup_at=now, last_error=None)
    uow.commit()


def discard_notice(command: DiscardNotice, uow, clock, settings) -> None:
    notice = _notice(uow, command.notice_id, for_update=True)
    if notice.status not in ("pending_review", "approved"):
        raise Conflict(f"The notice is {notice.status}; it can no longer be discarded.")
    uow.notices.update(notice.id, status="discarded", reviewed_at=clock(), reviewed_by=command.actor)
    uow.commit()


def render_notice(uow, row) -> tuple[str, str]:
    """The letter as it stands: with the template frozen at approval, or, while in review, the current
    template and what is known of the call (the title arrives with SelectionCompleted)."""
    if row.subject_template:
        subject_template, body_template = row.subject_template, row.body_template
        call_title, places = row.call_title, row.workshop_places or ()
    else:
        template = notice_template(uow, row.kind)
        subject_template, body_template = template["subject"], template["body"]
        call = uow.audience.call(row.call_id)
        call_title = call.title if call else PENDING_CALL_TITLE
        places = call.selected_names if call else ()
    return domain.decision_notice(row.kind, row.municipality_name, row.recipient_name, call_title, body_template,
                                  subject_template=subject_template, selected_municipalities=places,
                                  workshop=row.workshop)


# --- enquiries -----------------------------------------------------------------------------------
def submit_enquiry(command: SubmitEnquiry, uow, clock, settings: PublishingSettings) -> domain.Enquiry:
    now = clock()
    enquiry = domain.create_enquiry(name=command.name, email=command.email, organisation=command.organisation,
                                    message=command.message, now=now)
    uow.enquiries.add(enquiry)
    queue_mail(uow, "enquiry_ack", enquiry_ack_message(enquiry, settings.sender, now=now), now)
    uow.commit()
    return enquiry


HANDLERS: dict[type, Callable[..., Any]] = {
    RecordSelection: record_selection,
    RecordDecision: record_decision,
    RecordWorkshopResults: record_workshop_results,
    RecordWorkshopCancellation: record_workshop_cancellation,
    RecordDecisionAmendment: record_decision_amendment,
    EditPublication: edit_publication,
    PublishPublication: publish_publication,
    AddMember: add_member,
    RemoveMember: remove_member,
    Subscribe: subscribe,
    ConfirmSubscription: confirm_subscription,
    Unsubscribe: unsubscribe,
    CreateNewsletter: create_newsletter,
    ScheduleNewsletter: schedule_newsletter,
    SendTestNewsletter: send_test_newsletter,
    PutNoticeTemplate: put_notice_template,
    ApproveNotice: approve_notice,
    DiscardNotice: discard_notice,
    SubmitEnquiry: submit_enquiry,
}

# The consumer handlers run inside the consumer loop's unit of work, which commits with the processed
# record; they never commit themselves.
EVENT_COMMANDS = (RecordSelection, RecordDecision, RecordWorkshopResults)


def command_handlers(settings: PublishingSettings) -> dict:
    """The bus's routing table with the service's settings bound: `handler(command, uow, clock)`."""
    return {command: partial(handler, settings=settings) for command, handler in HANDLERS.items()}
