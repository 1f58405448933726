"""The applications service's tables, their mapping to the domain, repositories and unit of work."""
from __future__ import annotations

import builtins

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, func, select, text

from services.applications.domain import Application, Call
from shared import keyset
from shared.db import (ImperativeMapping, Repository, UtcDateTime, bounded_count, new_metadata, privacy_erasures_table,
                       revoked_access_table)
from shared.uow import UnitOfWork

metadata = new_metadata()

calls = Table(
    "calls", metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("opens_at", UtcDateTime(), nullable=False),
    Column("closes_at", UtcDateTime(), nullable=False),
    Column("places", Integer, nullable=False),
    Column("workshops_per_place", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
)

applications = Table(
    "applications", metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), ForeignKey("calls.id"), nullable=False),
    Column("ags", String(8), nullable=False),
    Column("municipality_name", String(200), nullable=False),
    Column("population", Integer, nullable=False),
    Column("size_class", String(10), nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("contact_email", String(254), nullable=False),
    Column("contact_phone", String(50), nullable=True),
    Column("focus_areas", JSON, nullable=False),
    Column("statement", Text, nullable=False),
    Column("partners", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("withdrawn_at", UtcDateTime(), nullable=True),
    Column("submitted_by", String(200), nullable=False),
    # One live application per municipality and call; a withdrawn one does not block a new one.
    Index("uq_applications_call_ags_live", "call_id", "ags", unique=True,
          postgresql_where=text("status = 'submitted'"), sqlite_where=text("status = 'submitted'")),
    Index("ix_applications_call_status", "call_id", "status", "size_class"),
    Index("ix_applications_call_order", "call_id", "submitted_at", "id"),  # the list's order
)

# GDPR erasures: an audit of what was done, without the personal data itself (used by shared.privacy).
privacy_erasures = privacy_erasures_table(metadata)
revoked_access = revoked_access_table(metadata)

MAPPING = ImperativeMapping((Call, calls), (Application, applications))


def start_mappers() -> None:
    """Map the domain classes onto the tables, once per process (never at import time)."""
    MAPPING.start()


class CallRepository(Repository[Call]):
    model, table = Call, calls

    def list(self, *, status: str | None, offset: int, limit: int) -> tuple[list[Call], int]:
        query = select(Call)
        if status:
            query = query.where(calls.c.status == status)
        return self.page(query, calls.c.opens_at.desc(), calls.c.id, offset=offset, limit=limit)

    def overdue(self, now) -> builtins.list[Call]:
        return list(self.session.scalars(
            select(Call).where(calls.c.status == "open", calls.c.closes_at <= now).with_for_update()))


class ApplicationRepository:
    def __init__(self, session, uow=None):
        self.session = session
        self.uow = uow

    def add(self, application: Application) -> None:
        """A new application: written with its events' outbox rows in one statement (no ORM flush)."""
        self.uow.write_with_events(applications, {column.name: getattr(application, column.name)
                                                  for column in applications.columns})

    def get(self, application_id: str, *, for_update: bool = False) -> Application | None:
        query = select(Application).where(applications.c.id == application_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def list_for_call(self, call_id: str, *, status: str | None, size_class: str | None, offset: int,
                      limit: int, after: keyset.Position | None = None) -> keyset.Page:
        """One page of a call's applications in the order they came in, by page or by position (`after`)."""
        query = select(Application).where(applications.c.call_id == call_id)
        if status:
            query = query.where(applications.c.status == status)
        if size_class:
            query = query.where(applications.c.size_class == size_class)
        return keyset.read_page(self.session.scalars, query, (applications.c.submitted_at, applications.c.id),
                                lambda a: (a.submitted_at, a.id), after=after, offset=offset, limit=limit,
                                count=lambda q, reach: bounded_count(self.session, q, reach))

    def count_for_call(self, call_id: str) -> int:
        return self.session.scalar(select(func.count()).select_from(applications).where(
            applications.c.call_id == call_id, applications.c.status == "submitted"))

    def by_contact_digest(self, digest: str) -> list[Application]:
        """Applications whose contact has this address (compared as SHA-256 of the lower-cased address)."""
        from shared.privacy import email_digest

        rows = self.session.execute(select(applications.c.id, applications.c.contact_email)).all()
        ids = [row.id for row in rows if email_digest(row.contact_email) == digest]
        if not ids:
            return []
        return list(self.session.scalars(select(Application).where(applications.c.id.in_(ids))))


class ApplicationsUnitOfWork(UnitOfWork):
    def __init__(self, session_factory):
        super().__init__(session_factory, metadata)

    def start(self) -> None:
        self.calls = CallRepository(self.session)
        self.applications = ApplicationRepository(self.session, self)
