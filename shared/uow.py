"""The unit of work: one database transaction, with the events it produced written to the outbox.

Handlers change state through repositories on the unit of work and call `uow.emit(event)`; `commit()`
writes the outbox rows in the same transaction, so the state change and its events land together or
not at all. Services subclass it to attach their repositories.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

from sqlalchemy import MetaData, Row, Table, TextClause, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shared.events.catalogue import topic_for
from shared.events.envelope import Event, utcnow


OUTBOX_CHANNEL = "vorort_outbox"
OUTBOX_COLUMNS = ("event_id", "event_type", "topic", "message_key", "payload", "headers", "created_at", "attempts")
_COMBINED: dict[tuple[object, ...], TextClause] = {}


def _combined_insert(writes: tuple[tuple[Table, tuple[str, ...]], ...], outbox: Table, events: int) -> TextClause:
    """PostgreSQL: the rows of `writes` and `events` outbox rows in one statement, as data-modifying CTEs
    (which run whether or not the main statement reads them) and an INSERT that returns pg_notify (delivered
    at commit, and only if the commit succeeds: it wakes the relay at once). Built once per shape and kept:
    a text statement with typed parameters is compiled once, where a DML CTE of literal rows would be
    compiled at every commit (SQLAlchemy cannot cache it)."""
    key = (writes, outbox, events)
    statement = _COMBINED.get(key)
    if statement is None:
        parts, binds = [], []
        for w, (table, columns) in enumerate(writes):
            names = ", ".join(_quoted(column) for column in columns)
            places = ", ".join(f":w{w}_{i}" for i in range(len(columns)))
            parts.append(f"write_{w} AS (INSERT INTO {_quoted(table.name)} ({names}) VALUES ({places}))")
            binds += [bindparam(f"w{w}_{i}", type_=table.c[column].type) for i, column in enumerate(columns)]
        values = ", ".join("(" + ", ".join(f":e{e}_{i}" for i in range(len(OUTBOX_COLUMNS))) + ")"
                           for e in range(events))
        binds += [bindparam(f"e{e}_{i}", type_=outbox.c[column].type)
                  for e in range(events) for i, column in enumerate(OUTBOX_COLUMNS)]
        sql = (("WITH " + ", ".join(parts) + " ") if parts else "") + (
            f"INSERT INTO {_quoted(outbox.name)} ({', '.join(OUTBOX_COLUMNS)}) VALUES {values} "
            f"RETURNING pg_notify('{OUTBOX_CHANNEL}', '')")
        statement = _COMBINED.setdefault(key, text(sql).bindparams(*binds))
    return statement


def _quoted(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain SQL name: {name!r}")
    return f'"{name}"'


class UnitOfWork:
    session: Session  # opened by __enter__; a unit of work is used only inside its `with` block

    def __init__(self, session_factory: sessionmaker[Session], metadata: MetaData) -> None:
        self._session_factory = session_factory
        self.metadata = metadata
        self._outbox = metadata.tables["outbox"]
        self._processed = metadata.tables["processed_messages"]
        self.events: list[Event] = []
        self._writes: list[tuple[Table, dict[str, Any]]] = []

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self.events = []
        self._writes = []
        self.start()
        return self

    def start(self) -> None:
        """Hook for subclasses: attach repositories to `self.session`."""

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Closing ends any uncommitted transaction (a rollback) but, unlike rollback(), leaves the
        # loaded objects readable, so that read-only callers can use what they fetched.
        self.session.close()
        self.events = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def write_with_events(self, table: Table, row: dict[str, Any]) -> None:
        """A row to insert with the outbox rows at commit: on PostgreSQL the state, the outbox rows and the
        relay's wake-up go in one statement (one round trip); elsewhere one after the other."""
        self._writes.append((table, row))

    def commit(self) -> None:
        writes, self._writes = self._writes, []
        postgres = self.session.get_bind().dialect.name == "postgresql"
        if self.events:
            now = utcnow()
            rows = [{"event_id": event.id, "event_type": event.type, "topic": topic_for(event.type),
                     "message_key": event.subject, "payload": event.value().decode(),
                     "headers": [[name, value.decode()] for name, value in event.headers()],
                     "created_at": now, "attempts": 0} for event in self.events]
            if postgres:
                statement = _combined_insert(tuple((table, tuple(row)) for table, row in writes), self._outbox,
                                             len(rows))
                parameters = {f"w{w}_{i}": value for w, (_, row) in enumerate(writes)
                              for i, value in enumerate(row.values())}
                parameters.update({f"e{e}_{i}": row[column] for e, row in enumerate(rows)
                                   for i, column in enumerate(OUTBOX_COLUMNS)})
                self.session.execute(statement, parameters).all()
            else:
                for table, row in writes:
                    self.session.execute(insert(table), row)
                self.session.execute(insert(self._outbox), rows)
        else:
            for table, row in writes:
                self.session.execute(insert(table), row)
        self.session.commit()
        self.events = []

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: if the block raises, its writes and the events emitted in it are undone."""
        events, writes = len(self.events), len(self._writes)
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            del self.events[events:]
            del self._writes[writes:]
            raise
        nested.commit()

    def rollback(self) -> None:
        self.session.rollback()
        self.events = []
        self._writes = []

    # --- idempotent consumers -------------------------------------------------------------------
    def already_processed(self, consumer_group: str, event_id: str) -> bool:
        row = self.session.execute(
            select(self._processed.c.event_id).where(
                self._processed.c.consumer_group == consumer_group, self._processed.c.event_id == event_id)
        ).first()
        return row is not None

    def processed_among(self, consumer_group: str, event_ids: list[str]) -> set[str]:
        """Which of these events this group has applied already (one query for a whole batch)."""
        if not event_ids:
            return set()
        return set(self.session.scalars(select(self._processed.c.event_id).where(
            self._processed.c.consumer_group == consumer_group, self._processed.c.event_id.in_(event_ids))))

    def mark_processed(self, consumer_group: str, event: Event) -> None:
        self.mark_processed_many(consumer_group, [event])

    def mark_processed_many(self, consumer_group: str, events: list[Event]) -> None:
        if events:
            now = utcnow()
            self.session.execute(insert(self._processed), [
                {"consumer_group": consumer_group, "event_id": e.id, "event_type": e.type, "processed_at": now}
                for e in events])


def is_duplicate_key(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "unique" in text or "duplicate" in text or "primary key" in text


def outbox_payload(row: Row[Any]) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(row.payload)
    return payload
