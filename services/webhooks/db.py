"""The webhooks service's tables, their mapping to the domain, repositories and unit of work.

`deliveries` has one row per (endpoint, event): the unique index is what makes the fan-out exactly once
in effect, also when a crashed consumer applies an event a second time. `delivery_attempts` is the log of
every HTTP attempt; `endpoint_notices` are mails to an endpoint's contact, sent by the worker.
"""
from __future__ import annotations

import builtins

from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, func, select,
                        update)

from services.webhooks.domain import Delivery, DeliveryState, Endpoint
from shared.db import (BigId, ImperativeMapping, Repository, UtcDateTime, new_metadata, privacy_erasures_table,
                       revoked_access_table)
from shared.uow import UnitOfWork

metadata = new_metadata()

endpoints = Table(
    "endpoints", metadata,
    Column("id", String(36), primary_key=True),
    Column("owner_role", String(20), nullable=False),
    Column("owner_organisation", String(200), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("description", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("contact_email", String(254), nullable=False),
    Column("status", String(20), nullable=False),
    Column("disabled_reason", Text, nullable=True),
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),
    Column("previous_secret_expires_at", UtcDateTime(), nullable=True),
    Column("signing_key", String(100), nullable=True),
    Column("public_key", String(100), nullable=True),
    Column("failing_since", UtcDateTime(), nullable=True),
    Column("last_success_at", UtcDateTime(), nullable=True),
    Column("created_by", String(300), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_endpoints_owner", "owner_role", "owner_organisation"),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", String(40), primary_key=True),
    Column("endpoint_id", String(36), ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("round_attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("response_code", Integer, nullable=True),
    Column("response_body", Text, nullable=True),
    Column("latency_ms", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("uq_deliveries_endpoint_event", "endpoint_id", "event_id", unique=True),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
    Index("ix_deliveries_endpoint_created", "endpoint_id", "created_at"),
)

delivery_attempts = Table(
    "delivery_attempts", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", String(40), ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempted_at", UtcDateTime(), nullable=False),
    Column("response_code", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("response_body", Text, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_delivery_attempts_delivery", "delivery_id", "id"),
)

endpoint_notices = Table(
    "endpoint_notices", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("endpoint_id", String(36), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("gone", Boolean, nullable=False, default=False),
)

privacy_erasures = privacy_erasures_table(metadata)
revoked_access = revoked_access_table(metadata)

MAPPING = ImperativeMapping((Endpoint, endpoints), (Delivery, deliveries))


def start_mappers() -> None:
    MAPPING.start()


class EndpointRepository(Repository[Endpoint]):
    model, table = Endpoint, endpoints

    def delete(self, endpoint: Endpoint) -> None:
        ids = select(deliveries.c.id).where(deliveries.c.endpoint_id == endpoint.id)
        self.session.execute(delivery_attempts.delete().where(delivery_attempts.c.delivery_id.in_(ids)))
        self.session.execute(deliveries.delete().where(deliveries.c.endpoint_id == endpoint.id))
        self.session.delete(endpoint)

    def list(self, *, role: str | None, organisation: str | None, status: str | None, offset: int,
             limit: int) -> tuple[list[Endpoint], int]:
        query = select(Endpoint)
        if role is not None:
            query = query.where(endpoints.c.owner_role == role, endpoints.c.owner_organisation == organisation)
        if status:
            query = query.where(endpoints.c.status == status)
        return self.page(query, endpoints.c.created_at, endpoints.c.id, offset=offset, limit=limit)

    def subscribed(self) -> builtins.list[Endpoint]:
        """Every endpoint that takes new deliveries (active or paused; a paused one holds them)."""
        return list(self.session.scalars(select(Endpoint).where(endpoints.c.status != "disabled")))

    def every(self) -> builtins.list[Endpoint]:
        return list(self.session.scalars(select(Endpoint)))


class DeliveryRepository:
    def __init__(self, session):
        self.session = session

    def add(self, delivery: Delivery) -> None:
        self.session.add(delivery)

    def get(self, endpoint_id: str, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        query = select(Delivery).where(deliveries.c.id == delivery_id, deliveries.c.endpoint_id == endpoint_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def list(self, endpoint_id: str, *, status: str | None, event_type: str | None, offset: int,
             limit: int) -> tuple[list[Delivery], int]:
        query = select(Delivery).where(deliveries.c.endpoint_id == endpoint_id)
        if status:
            query = query.where(deliveries.c.status == status)
        if event_type:
            query = query.where(deliveries.c.event_type == event_type)
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = self.session.scalars(query.order_by(deliveries.c.created_at.desc(), deliveries.c.id)
                                    .offset(offset).limit(limit))
        return list(rows), total

    def failed_since(self, endpoint_id: str, since) -> builtins.list[Delivery]:
        return list(self.session.scalars(select(Delivery).where(
            deliveries.c.endpoint_id == endpoint_id, deliveries.c.status == "failed",
            deliveries.c.created_at >= since).with_for_update()))

    def attempts_of(self, delivery_id: str) -> builtins.list:
        return list(self.session.execute(select(delivery_attempts).where(
            delivery_attempts.c.delivery_id == delivery_id).order_by(delivery_attempts.c.id)).mappings())

    def claim_due(self, now, lease_until, limit: int) -> builtins.list[str]:
        """Take up to `limit` due deliveries of active endpoints for this worker until `lease_until`:
        another worker skips them meanwhile, and takes them over if this one dies."""
        query = (select(deliveries.c.id).join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
                 .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now,
                        endpoints.c.status == "active")
                 .order_by(deliveries.c.next_attempt_at).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=deliveries, skip_locked=True)
        ids = list(self.session.scalars(query))
        if ids:
            self.session.execute(update(deliveries).where(deliveries.c.id.in_(ids))
                                 .values(next_attempt_at=lease_until))
        return ids

    # The dispatcher's hot path: plain rows and one statement per batch instead of one ORM object each.
    _STATE = ("id", "endpoint_id", "event_id", "event_type", "status", "attempts", "round_attempts",
              "next_attempt_at", "last_attempt_at", "delivered_at", "response_code", "response_body",
              "latency_ms", "last_error", "created_at")

    def payloads(self, ids: builtins.list[str]) -> builtins.list:
        return list(self.session.execute(select(deliveries.c.id, deliveries.c.endpoint_id, deliveries.c.payload)
                                         .where(deliveries.c.id.in_(ids))))

    def states_for_update(self, ids: builtins.list[str]) -> builtins.list[DeliveryState]:
        """Where these deliveries stand (without their bodies), their rows locked."""
        rows = self.session.execute(select(*(deliveries.c[name] for name in self._STATE))
                                    .where(deliveries.c.id.in_(ids)).with_for_update()).mappings()
        return [DeliveryState(**row) for row in rows]

    def save_states(self, found: builtins.list[DeliveryState]) -> None:
        from sqlalchemy import bindparam

        if not found:
            return
        changed = [name for name in self._STATE if name not in ("id", "endpoint_id", "event_id", "event_type",
                                                               "created_at")]
        statement = (update(deliveries).where(deliveries.c.id == bindparam("b_id"))
                     .values({name: bindparam(f"b_{name}") for name in changed}))
        self.session.connection().execute(statement, [
            {"b_id": d.id, **{f"b_{name}": getattr(d, name) for name in changed}} for d in found])

    def log_attempts(self, rows: builtins.list[dict]) -> None:
        if rows:
            self.session.connection().execute(delivery_attempts.insert(), rows)

    def counts_by_status(self, endpoint_id: str | None = None) -> dict:
        query = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
        if endpoint_id:
            query = query.where(deliveries.c.endpoint_id == endpoint_id)
        return dict(self.session.execute(query).all())


class NoticeRepository:
    def __init__(self, session):
        self.session = session

    def add(self, **values) -> None:
        self.session.execute(endpoint_notices.insert().values(attempts=0, gone=False, **values))

    def unsent(self, limit: int = 20) -> list:
        return list(self.session.execute(select(endpoint_notices).where(
            endpoint_notices.c.sent_at.is_(None), endpoint_notices.c.gone.is_(False),
            endpoint_notices.c.attempts < 10).order_by(endpoint_notices.c.id).limit(limit)).mappings())

    def erase_recipient(self, digest: str) -> None:
        from shared.privacy import email_digest, erased_email

        for row in self.session.execute(select(endpoint_notices.c.id, endpoint_notices.c.recipient)).all():
            if email_digest(row.recipient) == digest:
                self.mark(row.id, recipient=erased_email(str(row.id)), body="[gelöscht]", gone=True)

    def mark(self, notice_id: int, **values) -> None:
        self.session.execute(update(endpoint_notices).where(endpoint_notices.c.id == notice_id).values(**values))


class WebhooksUnitOfWork(UnitOfWork):
    def __init__(self, session_factory):
        super().__init__(session_factory, metadata)

    def start(self) -> None:
        self.endpoints = EndpointRepository(self.session)
        self.deliveries = DeliveryRepository(self.session)
        self.notices = NoticeRepository(self.session)
