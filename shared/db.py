"""Database plumbing every service uses the same way: engines, the shared tables, migrations.

Each service owns one database. Besides its own tables it holds three that this module defines:
- `outbox`: events written in the same transaction as the state change, published later by the relay;
- `processed_messages`: `(consumer group, event id)` of every event a consumer applied, written in the
  same transaction as the consumer's own writes, so that a redelivered message is a no-op;
- `idempotency_keys`: the first answer to a POST that carried an `Idempotency-Key` header;
- `rate_limit_hits`: request counts per caller and time window, shared by every worker process.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import (JSON, BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text,
                        TypeDecorator, create_engine, delete, event, func, insert, select, update)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session, registry, sessionmaker
from sqlalchemy.sql import Select

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT for a long-lived log.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL (timestamptz) and on SQLite (which forgets zones)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def new_metadata() -> MetaData:
    """A service's metadata, with the shared tables already in it."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    Table(
        "outbox", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("message_key", String(200), nullable=False),
        Column("payload", Text, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_unpublished", "published_at", "id"),
    )
    Table(
        "processed_messages", metadata,
        Column("consumer_group", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
    )
    Table(
        "idempotency_keys", metadata,
        Column("scope", String(300), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("body", Text, nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
    )
    Table(
        "rate_limit_hits", metadata,
        Column("bucket", String(300), primary_key=True),
        Column("window_start", BigInteger, primary_key=True),
        Column("hits", Integer, nullable=False),
    )
    return metadata


# Lists count their items for X-Pagination only up to this many (or up to the end of the requested page, if
# that is further): past it a page costs the same whatever the size of the call.
COUNT_BOUND = 10_000


class AtLeast(int):
    """A count that stopped at its bound: there are at least this many items (X-Pagination says so)."""


def bounded_count(session: Session, query: Select[Any], reach: int = 0, *, bound: int = COUNT_BOUND) -> int:
    """The number of rows `query` selects, exact up to max(bound, reach); past that an `AtLeast`."""
    bound = max(bound, reach)
    counted = session.scalar(select(func.count()).select_from(query.limit(bound + 1).subquery())) or 0
    return AtLeast(counted) if counted > bound else counted


def privacy_erasures_table(metadata: MetaData) -> Table:
    """The audit of GDPR erasures (request, count, who asked, when), without the personal data itself;
    every service that holds personal data has one, written by shared.privacy's erasure handler."""
    return Table(
        "privacy_erasures", metadata,
        Column("request_id", String(36), primary_key=True),
        Column("records", Integer, nullable=False),
        Column("requested_by", String(200), nullable=False),
        Column("erased_at", UtcDateTime(), nullable=False),
    )


def revoked_access_table(metadata: MetaData) -> Table:
    """The deny list of a service that verifies tokens: `(kind, ref)` with kind `client` (a token's
    `client_id`) or `subject` (a token's `sub`), filled from `AccessRevoked` events (shared.revocation)."""
    return Table(
        "revoked_access", metadata,
        Column("kind", String(20), primary_key=True),
        Column("ref", String(300), primary_key=True),
        Column("revoked_at", UtcDateTime(), nullable=False),
    )


class ImperativeMapping:
    """A service's domain classes mapped onto its tables (SQLAlchemy's imperative mapping): `start()` maps
    them once per process, never at import time, so the domain classes stay plain until a service runs."""

    def __init__(self, *pairs: tuple[type, Table],
                 on_load: dict[type, Callable[[Any, Any], None]] | None = None) -> None:
        self._pairs = pairs
        self._on_load = on_load or {}
        self._registry = registry()
        self._mapped = False

    def start(self) -> None:
        """Map every pair, and listen for loads where `on_load` names a hook (a loaded object skips
        `__init__`, so a hook sets what is not a column)."""
        if self._mapped:
            return
        for cls, table in self._pairs:
            self._registry.map_imperatively(cls, table)
        for cls, hook in self._on_load.items():
            event.listen(cls, "load", hook)
        self._mapped = True


T = TypeVar("T")


class Repository(Generic[T]):
    """What every repository of an imperatively mapped aggregate does the same way: `add` a new one, `get`
    one by its key (`for_update`: its row stays locked until the transaction ends). A service's repository
    names its `model`, `table` and `key` column and adds its own queries."""

    model: type[T]
    table: Table
    key = "id"

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: T) -> None:
        self.session.add(item)

    def get(self, item_id: str, *, for_update: bool = False) -> T | None:
        query = select(self.model).where(self.table.c[self.key] == item_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def page(self, query: Select[Any], *order: Any, offset: int, limit: int) -> tuple[list[T], int]:
        """One page of `query`'s items in `order`, and how many the whole query selects."""
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(query.order_by(*order).offset(offset).limit(limit))
        return list(rows), total


class RowMapping(Generic[T]):
    """An immutable domain class (a frozen dataclass: its changes return a new value, so SQLAlchemy cannot
    instrument it) read from and written to its table by name: every field that has a column of its name is
    that column. `convert` names the fields whose stored form differs, as `field: (to_column, from_column)`,
    e.g. a tuple of value objects kept as JSON. Columns the domain does not know (a lookup key, who changed a
    row) are the repository's to write; fields without a column take their defaults."""

    def __init__(self, model: type[T], table: Table,
                 convert: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] | None = None) -> None:
        self.model = model
        self.table = table
        self.convert = convert or {}
        self.fields = tuple(f.name for f in dataclasses.fields(model)  # type: ignore[arg-type]
                            if f.name in table.c)

    def to_domain(self, row: Any) -> T:
        values = row._mapping
        loaded = {name: values[name] for name in self.fields}
        for name, (_, from_column) in self.convert.items():
            if loaded.get(name) is not None:
                loaded[name] = from_column(loaded[name])
        return self.model(**loaded)

    def to_row(self, item: T) -> dict[str, Any]:
        stored = {name: getattr(item, name) for name in self.fields}
        for name, (to_column, _) in self.convert.items():
            if stored.get(name) is not None:
                stored[name] = to_column(stored[name])
        return stored


AS_TUPLE: tuple[Callable[[Any], Any], Callable[[Any], Any]] = (list, tuple)
"""The `convert` of a tuple field kept as a JSON list."""


class RowRepository(Generic[T]):
    """`Repository`'s counterpart for an immutable aggregate (`RowMapping`): the same `add`, `get` and
    `page`, plus `save` of a changed value and `remove`; every read returns domain objects, never rows.
    `extra` values are the columns the domain does not know. `key` names the key column, or a tuple of them
    for a composite key (then `get` and `remove` take a tuple of values in that order)."""

    mapping: RowMapping[T]
    key: str | tuple[str, ...] = "id"

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def table(self) -> Table:
        return self.mapping.table

    def add(self, item: T, **extra: Any) -> None:
        self.session.execute(insert(self.table).values(**self.mapping.to_row(item), **extra))

    def _is(self, item_id: Any) -> list[Any]:
        """The key columns' conditions for an id: one value, or a tuple of them for a composite key."""
        names = (self.key,) if isinstance(self.key, str) else self.key
        values = (item_id,) if isinstance(self.key, str) else tuple(item_id)
        return [self.table.c[name] == value for name, value in zip(names, values, strict=True)]

    def save(self, item: T, **extra: Any) -> None:
        values = self.mapping.to_row(item)
        names = (self.key,) if isinstance(self.key, str) else self.key
        key = tuple(values.pop(name) for name in names)
        item_id = key[0] if isinstance(self.key, str) else key
        self.session.execute(update(self.table).where(*self._is(item_id)).values(**values, **extra))

    def get(self, item_id: Any, *, for_update: bool = False) -> T | None:
        return self.first(select(self.table).where(*self._is(item_id)), for_update=for_update)

    def remove(self, item_id: Any) -> bool:
        """Delete the item; False if there was none."""
        deleted = self.session.execute(delete(self.table).where(*self._is(item_id)))
        return bool(getattr(deleted, "rowcount", 0))

    def first(self, query: Select[Any], *, for_update: bool = False) -> T | None:
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return None if row is None else self.mapping.to_domain(row)

    def all(self, query: Select[Any]) -> list[T]:
        return [self.mapping.to_domain(row) for row in self.session.execute(query)]

    def page(self, query: Select[Any], *order: Any, offset: int, limit: int) -> tuple[list[T], int]:
        """One page of `query`'s items in `order`, and how many the whole query selects."""
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        return self.all(query.order_by(*order).offset(offset).limit(limit)), total


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings this platform relies on (WAL and a busy timeout on SQLite)."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def migrate(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Bring one service's database to `revision` with its Alembic scripts."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(config, revision)


def run_migrations_from_env(metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`: online migrations against the configured URL."""
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic.ini names no sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
