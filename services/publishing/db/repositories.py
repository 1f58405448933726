"""Publishing's repositories: publications, members, subscribers, audiences, newsletters, mails, notices, templates, enquiries."""
from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update

from services.publishing.db.mapping import (
    CALLS,
    DELIVERIES,
    ENQUIRIES,
    MAILS,
    MEMBERS,
    NEWSLETTERS,
    NOTICE_TEMPLATES,
    NOTICES,
    PUBLICATIONS,
    SUBSCRIBERS,
    email_key,
)
from services.publishing.db.tables import (
    calls,
    decisions,
    deliveries,
    enquiries,
    mails,
    members,
    newsletters,
    notices,
    publications,
    subscribers,
    suppressions,
    workshop_participants,
)
from services.publishing.domain import DecidedCall, Delivery, Enquiry, Mail, Member, Newsletter, Notice, NoticeTemplate, Publication, Subscriber
from shared.db import RowRepository


# --- repositories ----------------------------------------------------------------------------------
class PublicationRepository(RowRepository[Publication]):
    """Publications; `add` and `save` take the time of the change as `updated_at=` (and who published as
    `published_by=`), the columns the domain does not know."""
    mapping = PUBLICATIONS

    def by_ids(self, ids) -> dict[str, Publication]:
        if not ids:
            return {}
        return {pub.id: pub for pub in self.all(select(publications).where(publications.c.id.in_(list(ids))))}

    def list(self, *, include_drafts: bool, status: str | None, kind: str | None, offset: int,
             limit: int) -> tuple[list[Publication], int]:
        query = select(publications)
        if not include_drafts:
            query = query.where(publications.c.status == "published")
        if status:
            query = query.where(publications.c.status == status)
        if kind:
            query = query.where(publications.c.kind == kind)
        return self.page(query, publications.c.published_at.desc().nulls_first(), publications.c.created_at.desc(),
                         publications.c.id, offset=offset, limit=limit)

    def published(self, limit: int = 200) -> builtins.list[Publication]:
        return self.all(select(publications).where(publications.c.status == "published")
                        .order_by(publications.c.published_at.desc(), publications.c.id.desc()).limit(limit))


class MemberRepository(RowRepository[Member]):
    """Members; `add` takes `created_at=`."""
    mapping = MEMBERS

    def name_taken(self, name: str) -> bool:
        return self.session.execute(select(members.c.id).where(
            func.lower(members.c.name) == name.strip().lower())).first() is not None

    def ags_taken(self, ags: str) -> bool:
        return self.session.execute(select(members.c.id).where(members.c.ags == ags)).first() is not None

    def list(self, *, kind: str | None, offset: int, limit: int) -> tuple[list[Member], int]:
        query = select(members)
        if kind:
            query = query.where(members.c.kind == kind)
        return self.page(query, members.c.kind, func.lower(members.c.name), members.c.id, offset=offset, limit=limit)

    def everyone(self) -> builtins.list[Member]:
        return self.all(select(members).order_by(members.c.id))


class SubscriberRepository(RowRepository[Subscriber]):
    """Subscribers, found by their address's comparison form (`email_key`, which `add` writes)."""
    mapping = SUBSCRIBERS

    def add(self, item: Subscriber, **extra: Any) -> None:
        super().add(item, email_key=email_key(item.email), **extra)

    def by_email(self, email: str, *, for_update: bool = False) -> Subscriber | None:
        return self.first(select(subscribers).where(subscribers.c.email_key == email_key(email)), for_update=for_update)

    def confirmed(self) -> builtins.list[Subscriber]:
        return self.all(select(subscribers).where(subscribers.c.status == "confirmed"))

    def languages(self) -> dict[str, str]:
        """The mail language of every confirmed address that does not read German, by `email_key`."""
        rows = self.session.execute(select(subscribers.c.email_key, subscribers.c.language).where(
            subscribers.c.status == "confirmed", subscribers.c.language != "de"))
        return dict(rows.all())

    def list(self, *, status: str | None, offset: int, limit: int) -> tuple[list[Subscriber], int]:
        query = select(subscribers)
        if status:
            query = query.where(subscribers.c.status == status)
        return self.page(query, subscribers.c.created_at.desc(), subscribers.c.id, offset=offset, limit=limit)


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

    def call(self, call_id: str) -> DecidedCall | None:
        row = self.session.execute(select(calls).where(calls.c.id == call_id)).first()
        return None if row is None else CALLS.to_domain(row)

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


class NewsletterRepository(RowRepository[Newsletter]):
    """Newsletters (`add` takes who drafted it as `created_by=`) and their deliveries."""
    mapping = NEWSLETTERS

    def list(self, *, status: str | None, offset: int, limit: int) -> tuple[list[Newsletter], int]:
        query = select(newsletters)
        if status:
            query = query.where(newsletters.c.status == status)
        return self.page(query, newsletters.c.created_at.desc(), newsletters.c.id, offset=offset, limit=limit)

    def due(self, now: datetime) -> builtins.list[str]:
        return list(self.session.scalars(select(newsletters.c.id).where(
            newsletters.c.status == "scheduled", newsletters.c.send_at <= now).order_by(newsletters.c.send_at)))

    def in_progress(self) -> builtins.list[str]:
        return list(self.session.scalars(select(newsletters.c.id).where(newsletters.c.status == "sending")
                                          .order_by(newsletters.c.started_at, newsletters.c.id)))

    # --- deliveries ----------------------------------------------------------------------------------
    def materialise(self, newsletter_id: str, recipients: builtins.list[tuple[str, str]], now: datetime,
                    languages: Mapping[str, str] | None = None) -> None:
        """One pending delivery per recipient, in the language `languages` names for its `email_key`
        (German for everyone it does not name)."""
        languages = languages or {}
        if recipients:
            self.session.execute(insert(deliveries), [
                {"newsletter_id": newsletter_id, "email": email, "email_key": email_key(email), "name": name or "",
                 "language": languages.get(email_key(email), "de"), "status": "pending", "attempts": 0,
                 "next_attempt_at": now}
                for email, name in recipients])

    def progress(self, newsletter_id: str) -> dict[str, int]:
        counts = dict.fromkeys(("pending", "sending", "sent", "failed", "skipped"), 0)
        for status, number in self.session.execute(
                select(deliveries.c.status, func.count()).where(deliveries.c.newsletter_id == newsletter_id)
                .group_by(deliveries.c.status)):
            counts[status] = number
        counts["total"] = sum(counts.values())
        return counts

    def deliveries(self, newsletter_id: str) -> builtins.list[Delivery]:
        return [DELIVERIES.to_domain(row) for row in self.session.execute(
            select(deliveries).where(deliveries.c.newsletter_id == newsletter_id).order_by(deliveries.c.email_key))]


class MailRepository:
    """The queue of single mails (delivery.SendingQueue sends them); read back without their message."""

    def __init__(self, session):
        self.session = session

    def add(self, *, kind: str, recipient: str, subject: str, message: str, now: datetime,
            notice_id: str | None = None) -> int:
        return self.session.execute(insert(mails).values(
            kind=kind, recipient=recipient, subject=subject, message=message, notice_id=notice_id, created_at=now,
            status="pending", attempts=0, next_attempt_at=now).returning(mails.c.id)).scalar_one()

    def for_recipient(self, email: str) -> list[Mail]:
        columns = [mails.c[name] for name in MAILS.fields]  # not the message: the whole MIME text
        return [MAILS.to_domain(row) for row in self.session.execute(
            select(*columns).where(func.lower(mails.c.recipient) == email_key(email)).order_by(mails.c.id))]


class NoticeRepository(RowRepository[Notice]):
    """Letters. A change of state is written column by column (`update`): the worker's lookup bookkeeping
    and the office's review of one letter must not overwrite each other."""
    mapping = NOTICES

    def add_if_new(self, notice: Notice) -> bool:
        if self.get(notice.id) is not None:
            return False
        self.add(notice)
        return True

    def update(self, notice_id: str, **values: Any) -> None:
        self.session.execute(update(notices).where(notices.c.id == notice_id).values(**values))

    def sent_for_application(self, application_id: str) -> Notice | None:
        """The decision letter last sent for an application (a successor has two: not selected, then
        selected). Notices to a cancelled workshop's registrants are not the municipality's letters."""
        return self.first(select(notices).where(
            notices.c.application_id == application_id, notices.c.status == "sent",
            notices.c.kind.in_(("selected", "not_selected"))).order_by(notices.c.sent_at.desc()))

    def list(self, *, status: str | None, call_id: str | None, offset: int, limit: int) -> tuple[list[Notice], int]:
        query = select(notices)
        if status:
            query = query.where(notices.c.status == status)
        if call_id:
            query = query.where(notices.c.call_id == call_id)
        return self.page(query, notices.c.created_at.desc(), notices.c.municipality_name, notices.c.id,
                         offset=offset, limit=limit)

    def due_for_lookup(self, now: datetime, limit: int = 20) -> builtins.list[str]:
        return list(self.session.scalars(select(notices.c.id).where(
            notices.c.status == "approved",
            or_(notices.c.next_lookup_at.is_(None), notices.c.next_lookup_at <= now))
            .order_by(notices.c.reviewed_at, notices.c.id).limit(limit)))


class TemplateRepository(RowRepository[NoticeTemplate]):
    """The office's letter templates, one per kind."""
    mapping = NOTICE_TEMPLATES
    key = "kind"

    def put(self, template: NoticeTemplate) -> None:
        if self.get(template.kind) is None:
            self.add(template)
        else:
            self.save(template)


class EnquiryRepository(RowRepository[Enquiry]):
    mapping = ENQUIRIES

    def list(self, *, offset: int, limit: int) -> tuple[list[Enquiry], int]:
        return self.page(select(enquiries), enquiries.c.created_at.desc(), enquiries.c.id, offset=offset, limit=limit)
