"""The workshops service's tables, their mapping to the domain, repositories and unit of work.

Invitations belong to a call, not to a workshop: a municipality that was not selected may attend
every workshop of its call, including workshops planned after the invitation arrived. The
repository therefore fills `Workshop.invited_ags` from `call_invitations` whenever it loads one.
"""
from __future__ import annotations

import builtins

from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, TypeDecorator,
                        UniqueConstraint, delete, func, insert, select, text, update)

from services.workshops.domain import (Registration, ResultDocument, SolutionApproach, Workshop,
                                       WorkshopResults)
from shared.db import (ImperativeMapping, Repository, UtcDateTime, new_metadata, privacy_erasures_table,
                       revoked_access_table)
from shared.uow import UnitOfWork

metadata = new_metadata()


class ResultsJSON(TypeDecorator):
    """`WorkshopResults` as one JSON document: it is written once, at completion, and read whole."""
    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return {"summary": value.summary,
                "solution_approaches": [a.as_dict() for a in value.solution_approaches],
                "documents": [d.as_dict() for d in value.documents]}

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return WorkshopResults(
            summary=value["summary"],
            solution_approaches=[SolutionApproach(a["title"], a["field_of_action"], a.get("description", ""))
                                 for a in value["solution_approaches"]],
            documents=[ResultDocument(d["title"], d["url"]) for d in value.get("documents", [])])


calls = Table(
    "calls", metadata,  # what this service learned about a call from the selection
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
)

call_invitations = Table(
    "call_invitations", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("ags", String(8), primary_key=True),
    Column("municipality_name", String(200), nullable=False),
    Column("application_id", String(36), nullable=False),
    Column("invited_at", UtcDateTime(), nullable=False),
)

workshops = Table(
    "workshops", metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), nullable=False),
    Column("application_id", String(36), nullable=False),
    Column("municipality_ags", String(8), nullable=False),
    Column("municipality_name", String(200), nullable=False),
    Column("municipality_population", Integer, nullable=True),
    Column("municipality_size_class", String(10), nullable=True),
    Column("sequence", Integer, nullable=False),
    Column("topic", String(200), nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=True),
    Column("ends_at", UtcDateTime(), nullable=True),
    Column("venue", String(300), nullable=False, default=""),
    Column("capacity", Integer, nullable=True),
    Column("agenda", Text, nullable=False, default=""),
    Column("registration_opens_at", UtcDateTime(), nullable=True),
    Column("registration_closes_at", UtcDateTime(), nullable=True),
    Column("requires_approval", Boolean, nullable=False, default=False),
    Column("restricted_to_invitees", Boolean, nullable=False, default=True),
    Column("results", ResultsJSON, nullable=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("revision", Integer, nullable=False, default=0),
    Column("updated_at", UtcDateTime(), nullable=True),
    UniqueConstraint("application_id", "sequence", name="uq_workshops_application_sequence"),
    Index("ix_workshops_call_municipality", "call_id", "municipality_ags"),
    Index("ix_workshops_municipality", "municipality_ags"),
)

registrations = Table(
    "registrations", metadata,
    Column("id", String(36), primary_key=True),
    Column("workshop_id", String(36), ForeignKey("workshops.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(200), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("participant_type", String(30), nullable=False),
    Column("consent", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("manage_code", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("waitlist_position", Integer, nullable=True),
    Column("checked_in_at", UtcDateTime(), nullable=True),
    Column("registrant_subject", Text, nullable=True),  # "role:subject" of the token, any length
    Column("registrant_ags", String(8), nullable=True),
    Index("ix_registrations_workshop_status", "workshop_id", "status", "created_at"),
    Index("ix_registrations_registrant", "registrant_subject"),
)
# One live registration per e-mail address and workshop (the domain checks it too; this index
# catches what slips past, e.g. a registration written without the workshop lock).
Index("uq_registrations_workshop_email_live", registrations.c.workshop_id, func.lower(registrations.c.email),
      unique=True, postgresql_where=text("status <> 'cancelled'"), sqlite_where=text("status <> 'cancelled'"))

# GDPR erasures: an audit of what was done, without the personal data itself (written by shared.privacy).
privacy_erasures = privacy_erasures_table(metadata)
revoked_access = revoked_access_table(metadata)

def _fresh_invitations(target, _context) -> None:
    # A loaded Workshop skips __init__; the repository fills the set from call_invitations.
    target.__dict__.setdefault("invited_ags", set())


MAPPING = ImperativeMapping((Workshop, workshops), (Registration, registrations),
                            on_load={Workshop: _fresh_invitations})


def start_mappers() -> None:
    """Map the domain classes onto the tables, once per process (never at import time)."""
    MAPPING.start()


class WorkshopRepository(Repository[Workshop]):
    model, table = Workshop, workshops

    def get(self, item_id: str, *, for_update: bool = False) -> Workshop | None:
        """One workshop; `for_update` locks its row, which serializes everything that counts places."""
        workshop = super().get(item_id, for_update=for_update)
        if workshop is not None:
            self._attach_invitations([workshop])
        return workshop

    def list(self, *, call_id: str | None, ags: str | None, status: str | None, offset: int,
             limit: int) -> tuple[list[Workshop], int]:
        query = select(Workshop)
        if call_id:
            query = query.where(workshops.c.call_id == call_id)
        if ags:
            query = query.where(workshops.c.municipality_ags == ags)
        if status:
            query = query.where(workshops.c.status == status)
        rows, total = self.page(query, workshops.c.call_id, workshops.c.municipality_name, workshops.c.sequence,
                                workshops.c.id, offset=offset, limit=limit)
        self._attach_invitations(rows)
        return rows, total

    def for_call(self, call_id: str) -> builtins.list[Workshop]:
        rows = list(self.session.scalars(select(Workshop).where(workshops.c.call_id == call_id)))
        self._attach_invitations(rows)
        return rows

    def ended_before(self, cutoff) -> builtins.list[Workshop]:
        """Workshops whose end lies before `cutoff` (retention of participants' data)."""
        return list(self.session.scalars(select(Workshop).where(workshops.c.ends_at < cutoff)
                                         .order_by(workshops.c.id)))

    def dated(self) -> builtins.list[Workshop]:
        """Every workshop with a date, for the calendar feed."""
        return list(self.session.scalars(select(Workshop).where(workshops.c.starts_at.is_not(None))))

    def _attach_invitations(self, rows: builtins.list[Workshop]) -> None:
        call_ids = {w.call_id for w in rows}
        if not call_ids:
            return
        invited: dict[str, set[str]] = {}
        for call_id, ags in self.session.execute(select(call_invitations.c.call_id, call_invitations.c.ags)
                                                 .where(call_invitations.c.call_id.in_(call_ids))):
            invited.setdefault(call_id, set()).add(ags)
        for workshop in rows:
            workshop.invited_ags = invited.get(workshop.call_id, set()) - {workshop.municipality_ags}


class RegistrationRepository(Repository[Registration]):
    model, table = Registration, registrations

    def for_workshop(self, workshop_id: str) -> list[Registration]:
        return list(self.session.scalars(select(Registration).where(registrations.c.workshop_id == workshop_id)
                                         .order_by(registrations.c.created_at, registrations.c.id)))

    def in_workshop(self, workshop_id: str, registration_id: str) -> Registration | None:
        return self.session.scalars(select(Registration).where(
            registrations.c.workshop_id == workshop_id, registrations.c.id == registration_id)).first()

    def list(self, workshop_id: str, *, status: str | None, offset: int, limit: int):
        query = select(Registration).where(registrations.c.workshop_id == workshop_id)
        if status:
            query = query.where(registrations.c.status == status)
        return self.page(query, registrations.c.created_at, registrations.c.id, offset=offset, limit=limit)

    def by_email_digest(self, digest: str) -> builtins.list[Registration]:
        """Registrations with this address (compared as SHA-256 of the lower-cased, trimmed address)."""
        from shared.privacy import email_digest

        rows = self.session.execute(select(registrations.c.id, registrations.c.email)).all()
        ids = [row.id for row in rows if email_digest(row.email) == digest]
        if not ids:
            return []
        return list(self.session.scalars(select(Registration).where(registrations.c.id.in_(ids))
                                         .order_by(registrations.c.created_at, registrations.c.id)))

    def status_counts(self, workshop_ids: builtins.list[str]) -> dict[str, dict[str, int]]:
        """{workshop id: {status: count}} for a page of workshops, in one query."""
        counts: dict[str, dict[str, int]] = {}
        if not workshop_ids:
            return counts
        for workshop_id, status, number in self.session.execute(
                select(registrations.c.workshop_id, registrations.c.status, func.count())
                .where(registrations.c.workshop_id.in_(workshop_ids))
                .group_by(registrations.c.workshop_id, registrations.c.status)):
            counts.setdefault(workshop_id, {})[status] = number
        return counts


class CallRepository:
    """What the selection told this service about calls: topics and invitations."""

    def __init__(self, session):
        self.session = session

    def topic(self, call_id: str) -> str:
        return self.session.scalar(select(calls.c.topic).where(calls.c.id == call_id)) or ""

    def record(self, call_id: str, *, title: str, topic: str, decided_at) -> None:
        exists = self.session.scalar(select(calls.c.id).where(calls.c.id == call_id))
        values = {"title": title, "topic": topic, "decided_at": decided_at}
        if exists:
            self.session.execute(update(calls).where(calls.c.id == call_id).values(**values))
        else:
            self.session.execute(insert(calls).values(id=call_id, **values))

    def invite(self, call_id: str, ags: str, *, name: str, application_id: str, now) -> bool:
        """Record an invitation; False if it was there already (a redelivery)."""
        exists = self.session.scalar(select(call_invitations.c.ags).where(
            call_invitations.c.call_id == call_id, call_invitations.c.ags == ags))
        if exists:
            return False
        self.session.execute(insert(call_invitations).values(
            call_id=call_id, ags=ags, municipality_name=name, application_id=application_id, invited_at=now))
        return True

    def uninvite(self, call_id: str, ags: str) -> None:
        self.session.execute(delete(call_invitations).where(
            call_invitations.c.call_id == call_id, call_invitations.c.ags == ags))

    def invited(self, call_id: str) -> set[str]:
        return set(self.session.scalars(select(call_invitations.c.ags).where(call_invitations.c.call_id == call_id)))


class WorkshopsUnitOfWork(UnitOfWork):
    def __init__(self, session_factory):
        super().__init__(session_factory, metadata)

    def start(self) -> None:
        self.workshops = WorkshopRepository(self.session)
        self.registrations = RegistrationRepository(self.session)
        self.calls = CallRepository(self.session)
