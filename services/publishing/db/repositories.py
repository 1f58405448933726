"""Publishing's repositories: publications, members, subscribers, audiences, newsletters, mails, notices, templates, enquiries."""
from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, or_, select, update

from services.publishing.db.mapping import _page, email_key, enquiry_from_row, member_from_row, newsletter_from_row, publication_from_row, publication_values, subscriber_from_row
from services.publishing.db.tables import (
    calls,
    decisions,
    deliveries,
    enquiries,
    mails,
    members,
    newsletters,
    notice_templates,
    notices,
    publications,
    subscribers,
    suppressions,
    workshop_participants,
)
from services.publishing.domain import Enquiry, Member, Newsletter, Publication, Subscriber


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
