"""The deny list: tokens of revoked clients and people are refused by every service within seconds.

Identity emits `AccessRevoked` (topic vorort.identity) when the office revokes a client or a person. Every
service that verifies tokens consumes it in its worker (`revocation_consumer(service)`) into its own
`revoked_access` table (shared.db.revoked_access_table), and its web process checks each caller against
that table, read again at most every `VORORT_DENY_LIST_REFRESH_SECONDS` (default 1). A token is denied when
its `client_id` or its `sub` is on the list, whoever issued it. Access tokens live 10 minutes; the list
keeps its entries, because identity never issues tokens to a revoked client or person again.
"""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine

from shared import config
from shared.events.catalogue import TOPIC_IDENTITY

if TYPE_CHECKING:
    from shared.events.envelope import Event
    from shared.worker import ConsumerSpec

CLIENT = "client"
SUBJECT = "subject"


def denials(data: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if data.get("client_id"):
        found.append((CLIENT, data["client_id"]))
    if data.get("subject"):
        found.append((SUBJECT, data["subject"]))
    return found


def apply_revocation(event: Event, data: dict[str, Any], uow: Any) -> None:
    """Consumer handler of AccessRevoked: idempotent (an entry that exists stays as it is)."""
    table = uow.metadata.tables["revoked_access"]
    for kind, ref in denials(data):
        exists = uow.session.execute(select(table.c.ref).where(table.c.kind == kind, table.c.ref == ref)).first()
        if not exists:
            uow.session.execute(table.insert().values(kind=kind, ref=ref, revoked_at=data["revoked_at"]))


def revocation_consumer(service: str, purpose: str = "access") -> ConsumerSpec:
    from shared.worker import ConsumerSpec

    return ConsumerSpec(service, purpose, topics=[TOPIC_IDENTITY],
                        handlers={"AccessRevoked": apply_revocation})


class DenyList:
    """One process's view of its service's `revoked_access` table, refreshed every `refresh_s`."""

    def __init__(self, refresh_s: float | None = None) -> None:
        self.refresh_s = refresh_s if refresh_s is not None else config.deny_list_refresh_seconds()
        self._entries: dict[int, tuple[float, frozenset[tuple[str, str]]]] = {}
        self._lock = threading.Lock()

    def entries(self, engine: Engine, table: Table) -> frozenset[tuple[str, str]]:
        key = id(engine)
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and now - cached[0] < self.refresh_s:
                return cached[1]
        with engine.connect() as connection:
            rows = frozenset((row.kind, row.ref) for row in connection.execute(select(table.c.kind, table.c.ref)))
        with self._lock:
            self._entries[key] = (now, rows)
        return rows


DENY_LIST = DenyList()


class Caller(Protocol):
    """What the deny list needs of a caller (shared.auth.Principal has it; auth imports this module)."""
    @property
    def subject(self) -> str: ...
    @property
    def client_id(self) -> str | None: ...


def is_revoked(principal: Caller, context: Any = None) -> bool:
    """True when the principal's client or subject is on the deny list of this service (`context`: its
    engine and metadata; by default the API service's, `current_app.extensions["vorort"]`)."""
    from flask import current_app

    ctx = context if context is not None else current_app.extensions.get("vorort")
    metadata = getattr(ctx, "metadata", None)
    table = metadata.tables.get("revoked_access") if metadata is not None else None
    if ctx is None or table is None:
        return False
    entries = DENY_LIST.entries(ctx.engine, table)
    return ((CLIENT, principal.client_id) in entries if principal.client_id else False) or \
        (SUBJECT, principal.subject) in entries
