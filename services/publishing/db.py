"""The publishing service's tables, their mapping to the domain, repositories and unit of work.

The domain objects are frozen dataclasses (a state change returns a new object), so they are not mapped
by the ORM: repositories translate rows to objects and back with SQLAlchemy Core on the unit of work's
session, which keeps every write in the one transaction that also holds the outbox rows.

Sending mail is a queue per kind: `deliveries` (one row per newsletter recipient) and `mails` (single
transactional mails: confirmations, acknowledgements, decision notices, test sends). Both carry the
same claim columns; see services/publishing/delivery.py for the protocol.
"""
from __future__ import annotations

import builtins

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, and_,
                        delete, func, insert, or_, select, text, update)

from services.publishing.domain import (Enquiry, Link, Member, Newsletter, Publication, Section, SolutionApproach,
                                        Subscriber)
from shared.db import BigId, UtcDateTime, new_metadata, privacy_erasures_table, revoked_access_table
from shared.privacy import ERASED_NAME, email_digest, erased_email
from shared.uow import UnitOfWork

metadata = new_metadata()

publications = Table(
    "publications", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("source_id", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("summary", Text, nullable=False),
    Column("body", JSON, nullable=False),
    Column("solution_approaches", JSON, nullable=False),
    Column("topic", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("published_by", String(200), nullable=True),
    Index("ix_publications_status_published", "status", "published_at"),
)

members = Table(
    "members", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("ags", String(8), nullable=True),
    Column("email", String(254), nullable=False),
    Column("contact_name", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)
# One member per organisation name and per municipality.
Index("uq_members_name", func.lower(members.c.name), unique=True)
Index("uq_members_ags", members.c.ags, unique=True, postgresql_where=text("ags IS NOT NULL"),
      sqlite_where=text("ags IS NOT NULL"))

subscribers = Table(
    "subscribers", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("topics", JSON, nullable=False),
    Column("pending_topics", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    Column("unsubscribed_at", UtcDateTime(), nullable=True),
)

suppressions = Table(
    "suppressions", metadata,  # addresses that unsubscribed: members and subscribers alike
    Column("email_key", String(254), primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

calls = Table(
    "calls", metadata,  # what SelectionCompleted told us about a decided call
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("selected_names", JSON, nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
)

decisions = Table(
    "decisions", metadata,  # ApplicationSelected / NotSelected per call: the segment "selected municipalities"
    Column("call_id", String(36), primary_key=True),
    Column("application_id", String(36), primary_key=True),
    Column("ags", String(8), nullable=False),
    Column("municipality_name", String(200), nullable=False),
    Column("selected", Boolean, nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
)

workshop_participants = Table(
    "workshop_participants", metadata,  # from WorkshopCompleted: organisations, never persons
    Column("workshop_id", String(36), primary_key=True),
    Column("call_id", String(36), nullable=False),
    Column("organisations", JSON, nullable=False),
    Column("completed_at", UtcDateTime(), nullable=False),
)

newsletters = Table(
    "newsletters", metadata,
    Column("id", String(36), primary_key=True),
    Column("subject", String(200), nullable=False),
    Column("intro", Text, nullable=False),
    Column("publication_ids", JSON, nullable=False),
    Column("segment", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("send_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    Index("ix_newsletters_status_send_at", "status", "send_at"),
)


def _claim_columns() -> list[Column]:
    """The columns of a sending queue (see delivery.py): status, claim and retry bookkeeping."""
    return [
        Column("status", String(20), nullable=False),  # pending | sending | sent | failed | skipped
        Column("attempts", Integer, nullable=False, default=0),
        Column("claimed_by", BigInteger, nullable=True),
        Column("claimed_at", UtcDateTime(), nullable=True),
        Column("next_attempt_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=True),
        Column("message_id", String(300), nullable=True),
        Column("last_error", Text, nullable=True),
    ]


deliveries = Table(
    "deliveries", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("newsletter_id", String(36), ForeignKey("newsletters.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    *_claim_columns(),
    Index("uq_deliveries_newsletter_email", "newsletter_id", "email_key", unique=True),
    Index("ix_deliveries_queue", "newsletter_id", "status", "next_attempt_at", "id"),
)

mails = Table(
    "mails", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(30), nullable=False),  # confirmation | enquiry_ack | notice | newsletter_test
    Column("recipient", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("message", Text, nullable=False),  # the whole MIME message, rendered when queued
    Column("notice_id", String(36), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    *_claim_columns(),
    Index("ix_mails_queue", "status", "next_attempt_at", "id"),
)

notices = Table(
    "notices", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),  # selected | not_selected | workshop_cancelled
    Column("call_id", String(36), nullable=False),
    Column("application_id", String(36), nullable=False),
    Column("ags", String(8), nullable=False),
    Column("municipality_name", String(200), nullable=False),
    Column("may_attend_workshops", Boolean, nullable=True),
    # pending_review -> approved (queued for contact lookup) -> queued (mail written) -> sent | failed;
    # or pending_review -> discarded.
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("reviewed_at", UtcDateTime(), nullable=True),
    Column("reviewed_by", String(200), nullable=True),
    Column("subject_template", Text, nullable=True),  # frozen at approval
    Column("body_template", Text, nullable=True),
    Column("call_title", String(200), nullable=True),
    Column("workshop_places", JSON, nullable=True),
    Column("recipient_email", String(254), nullable=True),  # filled in when the mail is written
    Column("recipient_name", String(200), nullable=True),
    Column("lookup_attempts", Integer, nullable=False, default=0),
    Column("next_lookup_at", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("mail_id", BigInteger, nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    # workshop_cancelled: the registration whose person is written to (looked up in the workshops service)
    Column("workshop_id", String(36), nullable=True),
    Column("registration_id", String(36), nullable=True),
    Column("workshop", String(300), nullable=True),
    Index("ix_notices_status", "status", "created_at"),
)

notice_templates = Table(
    "notice_templates", metadata,
    Column("kind", String(20), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

enquiries = Table(
    "enquiries", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_enquiries_created", "created_at"),
)


privacy_erasures = privacy_erasures_table(metadata)
revoked_access = revoked_access_table(metadata)


def email_key(email: str) -> str:
    """The comparison form of an address: the domain check is case-insensitive, and so are we, wholly."""
    return email.strip().casefold()


# --- row <-> domain --------------------------------------------------------------------------------
def _sections_to_json(sections) -> list[dict]:
    return [{"heading": s.heading, "text": s.text, "items": list(s.items),
             "links": [{"title": link.title, "url": link.url} for link in s.links]} for s in sections]


def _sections_from_json(data) -> tuple[Section, ...]:
    return tuple(Section(heading=s.get("heading", ""), text=s.get("text", ""), items=tuple(s.get("items", ())),
                         links=tuple(Link(link["title"], link["url"]) for link in s.get("links", ())))
                 for s in data or ())


def publication_values(pub: Publication) -> dict:
    return {
        "id": pub.id, "kind": pub.kind, "source_id": pub.source_id, "title": pub.title, "summary": pub.summary,
        "body": _sections_to_json(pub.body),
        "solution_approaches": [asdict(a) for a in pub.solution_approaches],
        "topic": pub.topic, "status": pub.status, "created_at": pub.created_at, "published_at": pub.published_at,
    }


def publication_from_row(row) -> Publication:
    return Publication(
        id=row.id, kind=row.kind, source_id=row.source_id, title=row.title, summary=row.summary,
        body=_sections_from_json(row.body),
        solution_approaches=tuple(SolutionApproach(**a) for a in row.solution_approaches or ()),
        status=row.status, created_at=row.created_at, published_at=row.published_at, topic=row.topic)


def member_from_row(row) -> Member:
    return Member(id=row.id, name=row.name, kind=row.kind, ags=row.ags, email=row.email,
                  contact_name=row.contact_name)


def subscriber_from_row(row) -> Subscriber:
    return Subscriber(id=row.id, email=row.email, topics=tuple(row.topics), status=row.status,
                      created_at=row.created_at, confirmed_at=row.confirmed_at, unsubscribed_at=row.unsubscribed_at)


def newsletter_from_row(row) -> Newsletter:
    return Newsletter(id=row.id, subject=row.subject, intro=row.intro, publication_ids=tuple(row.publication_ids),
                      segment=dict(row.segment), status=row.status, send_at=row.send_at, created_at=row.created_at,
                      sent_at=row.sent_at)


def enquiry_from_row(row) -> Enquiry:
    return Enquiry(id=row.id, name=row.name, email=row.email, organisation=row.organisation, message=row.message,
                   created_at=row.created_at)


def _page(session, query, order_by, offset: int, limit: int):
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(*order_by).offset(offset).limit(limit)).all()
    return rows, total


# --- repositories ----------------------------------------------------------------------------------
class PublicationRepository:
    def __init__(self, session):
        self.session = session

    def get(self, publication_id: str, *, for_update: bool = False) -> Publication | None:
        query = select(publications).where(publications.c.id == publication_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return publication_from_row(row) if row else None

    def add(self, pub: Publication, now: datetime) -> None:
        self.session.execute(insert(publications).values(**publication_values(pub), updated_at=now))

    def save(self, pub: Publication, now: datetime, published_by: str | None = None) -> None:
        values = publication_values(pub)
        values.pop("id")
        values["updated_at"] = now
        if published_by is not None:
            values["published_by"] = published_by
        self.session.execute(update(publications).where(publications.c.id == pub.id).values(**values))

    def by_ids(self, ids) -> dict[str, Publication]:
        if not ids:
            return {}
        rows = self.session.execute(select(publications).where(publications.c.id.in_(list(ids)))).all()
        return {row.id: publication_from_row(row) for row in rows}

    def list(self, *, include_drafts: bool, status: str | None, kind: str | None, offset: int,
             limit: int) -> tuple[list[Publication], int]:
        query = select(publications)
        if not include_drafts:
            query = query.where(publications.c.status == "published")
        if status:
            query = query.where(publications.c.status == status)
        if kind:
            query = query.where(publications.c.kind == kind)
        rows, total = _page(self.session, query, (publications.c.published_at.desc().nulls_first(),
                                                  publications.c.created_at.desc(), publications.c.id),
                            offset, limit)
        return [publication_from_row(row) for row in rows], total

    def published(self, limit: int = 200) -> builtins.list[Publication]:
        rows = self.session.execute(select(publications).where(publications.c.status == "published")
                                    .order_by(publications.c.published_at.desc(), publications.c.id.desc())
                                    .limit(limit)).all()
        return [publication_from_row(row) for row in rows]


class MemberRepository:
    def __init__(self, session):
        self.session = session

    def add(self, member: Member, now: datetime) -> None:
        self.session.execute(insert(members).values(
            id=member.id, name=member.name, kind=member.kind, ags=member.ags, email=member.email,
            contact_name=member.contact_name, created_at=now))

    def get(self, member_id: str) -> Member | None:
        row = self.session.execute(select(members).where(members.c.id == member_id)).first()
        return member_from_row(row) if row else None

    def remove(self, member_id: str) -> bool:
        return self.session.execute(delete(members).where(members.c.id == member_id)).rowcount > 0

    def name_taken(self, name: str) -> bool:
        return self.session.execute(select(members.c.id).where(
            func.lower(members.c.name) == name.strip().lower())).first() is not None

    def ags_taken(self, ags: str) -> bool:
        return self.session.execute(select(members.c.id).where(members.c.ags == ags)).first() is not None

    def list(self, *, kind: str | None, offset: int, limit: int) -> tuple[list[Member], int]:
        query = select(members)
        if kind:
            query = query.where(members.c.kind == kind)
        rows, total = _page(self.session, query, (members.c.kind, func.lower(members.c.name), members.c.id),
                            offset, limit)
        return [member_from_row(row) for row in rows], total

    def all(self) -> builtins.list[Member]:
        return [member_from_row(row) for row in self.session.execute(select(members).order_by(members.c.id))]


class SubscriberRepository:
    def __init__(self, session):
        self.session = session

    def by_email(self, email: str, *, for_update: bool = False):
        query = select(subscribers).where(subscribers.c.email_key == email_key(email))
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).first()

    def add(self, sub: Subscriber) -> None:
        self.session.execute(insert(subscribers).values(
            id=sub.id, email=sub.email, email_key=email_key(sub.email), topics=list(sub.topics), pending_topics=[],
            status=sub.status, created_at=sub.created_at))

    def save(self, sub: Subscriber, pending_topics: list[str]) -> None:
        self.session.execute(update(subscribers).where(subscribers.c.id == sub.id).values(
            topics=list(sub.topics), pending_topics=list(pending_topics), status=sub.status,
            confirmed_at=sub.confirmed_at, unsubscribed_at=sub.unsubscribed_at))

    def confirmed(self) -> list[Subscriber]:
        return [subscriber_from_row(row) for row in self.session.execute(
            select(subscribers).where(subscribers.c.status == "confirmed"))]

    def list(self, *, status: str | None, offset: int, limit: int):
        query = select(subscribers)
        if status:
            query = query.where(subscribers.c.status == status)
        rows, total = _page(self.session, query, (subscribers.c.created_at.desc(), subscribers.c.id), offset, limit)
        return rows, total


class SuppressionRepository:
    def __init__(self, session):
        self.session = session

    def add(self, email: str, now: datetime) -> None:
        if not self.contains(email):
            self.session.execute(insert(suppressions).values(email_key=email_key(email), created_at=now))

    def remove(self, email: str) -> None:
        self.session.execute(delete(suppressions).where(suppressions.c.email_key == email_key(email)))

    def contains(self, email: str) -> bool:
        return self.session.execute(select(suppressions.c.email_key).where(
            suppressions.c.email_key == email_key(email))).first() is not None

    def keys(self) -> set[str]:
        return set(self.session.scalars(select(suppressions.c.email_key)))


class AudienceRepository:
    """What the consumers learned about calls, decisions and workshops: the inputs of segments and letters."""

    def __init__(self, session):
        self.session = session

    def record_call(self, call_id: str, title: str, topic: str, selected_names: list[str], decided_at) -> None:
        values = {"title": title, "topic": topic, "selected_names": selected_names, "decided_at": decided_at}
        if self.session.execute(select(calls.c.id).where(calls.c.id == call_id)).first() is None:
            self.session.execute(insert(calls).values(id=call_id, **values))
        else:
            self.session.execute(update(calls).where(calls.c.id == call_id).values(**values))

    def call(self, call_id: str):
        return self.session.execute(select(calls).where(calls.c.id == call_id)).first()

    def record_decision(self, call_id: str, application_id: str, ags: str, name: str, selected: bool,
                        decided_at) -> None:
        where = and_(decisions.c.call_id == call_id, decisions.c.application_id == application_id)
        values = {"ags": ags, "municipality_name": name, "selected": selected, "decided_at": decided_at}
        existing = self.session.execute(select(decisions.c.decided_at).where(where)).first()
        if existing is None:
            self.session.execute(insert(decisions).values(call_id=call_id, application_id=application_id, **values))
        elif existing.decided_at <= decided_at:  # a later decision wins; a late replay of an older one not
            self.session.execute(update(decisions).where(where).values(**values))

    def selected_ags_by_call(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for row in self.session.execute(select(decisions.c.call_id, decisions.c.ags).where(decisions.c.selected)):
            result.setdefault(row.call_id, []).append(row.ags)
        return result

    def record_workshop(self, workshop_id: str, call_id: str, organisations: list[str], completed_at) -> None:
        values = {"call_id": call_id, "organisations": organisations, "completed_at": completed_at}
        if self.session.execute(select(workshop_participants.c.workshop_id).where(
                workshop_participants.c.workshop_id == workshop_id)).first() is None:
            self.session.execute(insert(workshop_participants).values(workshop_id=workshop_id, **values))
        else:
            self.session.execute(update(workshop_participants).where(
                workshop_participants.c.workshop_id == workshop_id).values(**values))

    def participants_by_workshop(self) -> dict[str, list[str]]:
        return {row.workshop_id: list(row.organisations) for row in self.session.execute(
            select(workshop_participants.c.workshop_id, workshop_participants.c.organisations))}


class NewsletterRepository:
    def __init__(self, session):
        self.session = session

    def add(self, newsletter: Newsletter, created_by: str) -> None:
        self.session.execute(insert(newsletters).values(
            id=newsletter.id, subject=newsletter.subject, intro=newsletter.intro,
            publication_ids=list(newsletter.publication_ids), segment=dict(newsletter.segment),
            status=newsletter.status, send_at=newsletter.send_at, created_at=newsletter.created_at,
            created_by=created_by))

    def get(self, newsletter_id: str, *, for_update: bool = False) -> Newsletter | None:
        row = self.row(newsletter_id, for_update=for_update)
        return newsletter_from_row(row) if row else None

    def row(self, newsletter_id: str, *, for_update: bool = False):
        query = select(newsletters).where(newsletters.c.id == newsletter_id)
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).first()

    def save(self, newsletter: Newsletter, **extra) -> None:
        self.session.execute(update(newsletters).where(newsletters.c.id == newsletter.id).values(
            status=newsletter.status, send_at=newsletter.send_at, sent_at=newsletter.sent_at, **extra))

    def list(self, *, status: str | None, offset: int, limit: int):
        query = select(newsletters)
        if status:
            query = query.where(newsletters.c.status == status)
        return _page(self.session, query, (newsletters.c.created_at.desc(), newsletters.c.id), offset, limit)

    def due(self, now: datetime) -> builtins.list[str]:
        return list(self.session.scalars(select(newsletters.c.id).where(
            newsletters.c.status == "scheduled", newsletters.c.send_at <= now).order_by(newsletters.c.send_at)))

    def in_progress(self) -> builtins.list[str]:
        return list(self.session.scalars(select(newsletters.c.id).where(newsletters.c.status == "sending")
                                          .order_by(newsletters.c.started_at, newsletters.c.id)))

    # --- deliveries ----------------------------------------------------------------------------------
    def materialise(self, newsletter_id: str, recipients: builtins.list[tuple[str, str]], now: datetime) -> None:
        if recipients:
            self.session.execute(insert(deliveries), [
                {"newsletter_id": newsletter_id, "email": email, "email_key": email_key(email), "name": name or "",
                 "status": "pending", "attempts": 0, "next_attempt_at": now}
                for email, name in recipients])

    def progress(self, newsletter_id: str) -> dict[str, int]:
        counts = dict.fromkeys(("pending", "sending", "sent", "failed", "skipped"), 0)
        for status, number in self.session.execute(
                select(deliveries.c.status, func.count()).where(deliveries.c.newsletter_id == newsletter_id)
                .group_by(deliveries.c.status)):
            counts[status] = number
        counts["total"] = sum(counts.values())
        return counts

    def deliveries(self, newsletter_id: str):
        return self.session.execute(select(deliveries).where(deliveries.c.newsletter_id == newsletter_id)
                                    .order_by(deliveries.c.email_key)).all()


class MailRepository:
    def __init__(self, session):
        self.session = session

    def add(self, *, kind: str, recipient: str, subject: str, message: str, now: datetime,
            notice_id: str | None = None) -> int:
        return self.session.execute(insert(mails).values(
            kind=kind, recipient=recipient, subject=subject, message=message, notice_id=notice_id, created_at=now,
            status="pending", attempts=0, next_attempt_at=now).returning(mails.c.id)).scalar_one()

    def for_recipient(self, email: str):
        return self.session.execute(select(mails).where(func.lower(mails.c.recipient) == email_key(email))
                                    .order_by(mails.c.id)).all()


class NoticeRepository:
    def __init__(self, session):
        self.session = session

    def get(self, notice_id: str, *, for_update: bool = False):
        query = select(notices).where(notices.c.id == notice_id)
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).first()

    def add_if_new(self, **values) -> bool:
        if self.get(values["id"]) is not None:
            return False
        self.session.execute(insert(notices).values(lookup_attempts=0, **values))
        return True

    def update(self, notice_id: str, **values) -> None:
        self.session.execute(update(notices).where(notices.c.id == notice_id).values(**values))

    def sent_for_application(self, application_id: str):
        """The decision letter last sent for an application (a successor has two: not selected, then
        selected). Notices to a cancelled workshop's registrants are not the municipality's letters."""
        return self.session.execute(select(notices).where(
            notices.c.application_id == application_id, notices.c.status == "sent",
            notices.c.kind.in_(("selected", "not_selected"))).order_by(notices.c.sent_at.desc())).first()

    def list(self, *, status: str | None, call_id: str | None, offset: int, limit: int):
        query = select(notices)
        if status:
            query = query.where(notices.c.status == status)
        if call_id:
            query = query.where(notices.c.call_id == call_id)
        return _page(self.session, query, (notices.c.created_at.desc(), notices.c.municipality_name, notices.c.id),
                     offset, limit)

    def due_for_lookup(self, now: datetime, limit: int = 20) -> builtins.list[str]:
        return list(self.session.scalars(select(notices.c.id).where(
            notices.c.status == "approved",
            or_(notices.c.next_lookup_at.is_(None), notices.c.next_lookup_at <= now))
            .order_by(notices.c.reviewed_at, notices.c.id).limit(limit)))


class TemplateRepository:
    def __init__(self, session):
        self.session = session

    def get(self, kind: str):
        return self.session.execute(select(notice_templates).where(notice_templates.c.kind == kind)).first()

    def put(self, kind: str, subject: str, body: str, now: datetime, by: str) -> None:
        values = {"subject": subject, "body": body, "updated_at": now, "updated_by": by}
        if self.get(kind) is None:
            self.session.execute(insert(notice_templates).values(kind=kind, **values))
        else:
            self.session.execute(update(notice_templates).where(notice_templates.c.kind == kind).values(**values))


class EnquiryRepository:
    def __init__(self, session):
        self.session = session

    def add(self, enquiry: Enquiry) -> None:
        self.session.execute(insert(enquiries).values(
            id=enquiry.id, name=enquiry.name, email=enquiry.email, organisation=enquiry.organisation,
            message=enquiry.message, created_at=enquiry.created_at))

    def list(self, *, offset: int, limit: int) -> tuple[list[Enquiry], int]:
        rows, total = _page(self.session, select(enquiries), (enquiries.c.created_at.desc(), enquiries.c.id),
                            offset, limit)
        return [enquiry_from_row(row) for row in rows], total


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


class PrivacyRepository:
    """Everything this service holds about one address (GDPR), found by the SHA-256 of the address.

    The erasure request carries only the hash, so rows are matched by hashing their addresses; the tables
    involved are small (deliveries are the largest: one row per recipient and newsletter).
    """

    def __init__(self, session):
        self.session = session

    def _ids(self, table, column, digest: str) -> list:
        return [row.id for row in self.session.execute(select(table.c.id, column))
                if row[1] and email_digest(row[1]) == digest]

    def export(self, digest: str) -> list[dict]:
        """For `GET /v1/personal-data` (shared.privacy.privacy_blueprint)."""
        records = []
        for row in self._rows(members, members.c.email, digest):
            records.append({"kind": "member_contact", "member_id": row.id, "organisation": row.name,
                            "contact_name": row.contact_name, "email": row.email})
        for row in self._rows(subscribers, subscribers.c.email, digest):
            records.append({"kind": "subscription", "email": row.email, "topics": row.topics, "status": row.status,
                            "created_at": _iso(row.created_at), "confirmed_at": _iso(row.confirmed_at),
                            "unsubscribed_at": _iso(row.unsubscribed_at)})
        for row in self.session.execute(select(suppressions)):
            if email_digest(row.email_key) == digest:
                records.append({"kind": "unsubscribed_address", "created_at": _iso(row.created_at)})
        for row in self._rows(enquiries, enquiries.c.email, digest):
            records.append({"kind": "enquiry", "enquiry_id": row.id, "name": row.name, "email": row.email,
                            "organisation": row.organisation, "message": row.message,
                            "created_at": _iso(row.created_at)})
        for row in self._rows(deliveries, deliveries.c.email, digest):
            records.append({"kind": "newsletter_delivery", "newsletter_id": row.newsletter_id, "email": row.email,
                            "name": row.name, "status": row.status, "sent_at": _iso(row.sent_at)})
        for row in self._rows(mails, mails.c.recipient, digest):
            records.append({"kind": "mail", "mail_kind": row.kind, "recipient": row.recipient,
                            "subject": row.subject, "status": row.status, "created_at": _iso(row.created_at),
                            "sent_at": _iso(row.sent_at)})
        for row in self._rows(notices, notices.c.recipient_email, digest):
            records.append({"kind": "decision_notice", "notice_id": row.id, "municipality": row.municipality_name,
                            "recipient_name": row.recipient_name, "recipient_email": row.recipient_email,
                            "status": row.status, "sent_at": _iso(row.sent_at)})
        return records

    def _rows(self, table, column, digest: str):
        ids = self._ids(table, column, digest)
        return self.session.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id)).all() if ids else []

    def erase(self, digest: str) -> int:
        """Anonymise what must stay countable (deliveries, mails, letters, enquiries, the member organisation),
        delete what exists only for this person (the subscription, the unsubscribe record). Returns the count."""
        erased = 0
        for member_id in self._ids(members, members.c.email, digest):
            self.session.execute(update(members).where(members.c.id == member_id).values(
                email=erased_email(member_id), contact_name=None))
            erased += 1
        for subscriber_id in self._ids(subscribers, subscribers.c.email, digest):
            self.session.execute(delete(subscribers).where(subscribers.c.id == subscriber_id))
            erased += 1
        for row in list(self.session.execute(select(suppressions.c.email_key))):
            if email_digest(row.email_key) == digest:
                self.session.execute(delete(suppressions).where(suppressions.c.email_key == row.email_key))
                erased += 1
        for enquiry_id in self._ids(enquiries, enquiries.c.email, digest):
            self.session.execute(update(enquiries).where(enquiries.c.id == enquiry_id).values(
                name=ERASED_NAME, email=erased_email(enquiry_id), organisation="", message=ERASED_NAME))
            erased += 1
        for delivery_id in self._ids(deliveries, deliveries.c.email, digest):
            placeholder = erased_email(f"{delivery_id:012d}")
            self.session.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(
                email=placeholder, email_key=placeholder, name=ERASED_NAME))
            self.session.execute(update(deliveries).where(deliveries.c.id == delivery_id,
                                                          deliveries.c.status == "pending").values(
                status="skipped", last_error="personal data erased before sending"))
            erased += 1
        for mail_id in self._ids(mails, mails.c.recipient, digest):
            self.session.execute(update(mails).where(mails.c.id == mail_id).values(
                recipient=erased_email(f"{mail_id:012d}"), message=""))
            self.session.execute(update(mails).where(mails.c.id == mail_id, mails.c.status == "pending").values(
                status="skipped", last_error="personal data erased before sending"))
            erased += 1
        for notice_id in self._ids(notices, notices.c.recipient_email, digest):
            self.session.execute(update(notices).where(notices.c.id == notice_id).values(
                recipient_email=erased_email(notice_id), recipient_name=ERASED_NAME))
            erased += 1
        return erased


class PublishingUnitOfWork(UnitOfWork):
    def __init__(self, session_factory):
        super().__init__(session_factory, metadata)

    def start(self) -> None:
        self.publications = PublicationRepository(self.session)
        self.members = MemberRepository(self.session)
        self.subscribers = SubscriberRepository(self.session)
        self.suppressions = SuppressionRepository(self.session)
        self.audience = AudienceRepository(self.session)
        self.newsletters = NewsletterRepository(self.session)
        self.mails = MailRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.templates = TemplateRepository(self.session)
        self.enquiries = EnquiryRepository(self.session)
        self.privacy = PrivacyRepository(self.session)
