"""The admin's own small database: staff accounts, failed logins (for throttling) and DLQ replays.

Everything else the admin shows belongs to the other services and is read through their HTTP APIs.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, Column, Index, Integer, String, Table, delete, func, insert, select,
                        update)
from sqlalchemy.engine import Engine

from shared.db import BigId, UtcDateTime, new_metadata

metadata = new_metadata()

staff_accounts = Table(
    "staff_accounts", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("last_login_at", UtcDateTime(), nullable=True),
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False),
    Column("remote_addr", String(64), nullable=False),
    Column("failed_at", UtcDateTime(), nullable=False),
    Index("ix_login_failures_lookup", "username", "remote_addr", "failed_at"),
)

dlq_replays = Table(
    "dlq_replays", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("dlq_topic", String(250), nullable=False),
    Column("dlq_partition", Integer, nullable=False),
    Column("dlq_offset", BigId, nullable=False),
    Column("original_topic", String(250), nullable=False),
    Column("replayed_at", UtcDateTime(), nullable=False),
    Column("replayed_by", String(100), nullable=False),
    Index("ix_dlq_replays_message", "dlq_topic", "dlq_partition", "dlq_offset"),
)


class StaffStore:
    """Reads and writes of the admin's tables; one short transaction per call."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # --- accounts -------------------------------------------------------------------------------
    def account(self, username: str):
        with self.engine.connect() as connection:
            return connection.execute(
                select(staff_accounts).where(staff_accounts.c.username == username)).first()

    def accounts(self) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(staff_accounts).order_by(staff_accounts.c.username)))

    def add_account(self, username: str, display_name: str, password_hash: str, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(staff_accounts).values(
                username=username, display_name=display_name, password_hash=password_hash, active=True,
                created_at=now, updated_at=now))

    def set_password_hash(self, username: str, password_hash: str, now: datetime) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(update(staff_accounts).where(staff_accounts.c.username == username)
                                        .values(password_hash=password_hash, updated_at=now))
            return result.rowcount == 1

    def set_active(self, username: str, active: bool, now: datetime) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(update(staff_accounts).where(staff_accounts.c.username == username)
                                        .values(active=active, updated_at=now))
            return result.rowcount == 1

    def record_login(self, username: str, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(staff_accounts).where(staff_accounts.c.username == username)
                               .values(last_login_at=now))

    # --- login throttling -----------------------------------------------------------------------
    def failures_since(self, username: str, remote_addr: str, since: datetime) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(login_failures).where(
                login_failures.c.username == username, login_failures.c.remote_addr == remote_addr,
                login_failures.c.failed_at >= since)).scalar_one()

    def record_failure(self, username: str, remote_addr: str, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(login_failures).values(username=username, remote_addr=remote_addr,
                                                             failed_at=now))

    def forget_failures_before(self, before: datetime) -> None:
        """Failed logins hold IP addresses (personal data) and matter only inside the throttling window."""
        with self.engine.begin() as connection:
            connection.execute(delete(login_failures).where(login_failures.c.failed_at < before))

    def clear_failures(self, username: str, remote_addr: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(login_failures).where(login_failures.c.username == username,
                                                            login_failures.c.remote_addr == remote_addr))

    # --- dead-letter replays --------------------------------------------------------------------
    def record_replay(self, dlq_topic: str, partition: int, offset: int, original_topic: str, by: str,
                      now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(dlq_replays).values(
                dlq_topic=dlq_topic, dlq_partition=partition, dlq_offset=offset, original_topic=original_topic,
                replayed_at=now, replayed_by=by))

    def replays(self, dlq_topics: list[str]) -> dict:
        """{(topic, partition, offset): (replayed_at, replayed_by) of the latest replay}."""
        if not dlq_topics:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(select(dlq_replays).where(dlq_replays.c.dlq_topic.in_(dlq_topics))
                                      .order_by(dlq_replays.c.id))
            return {(r.dlq_topic, r.dlq_partition, r.dlq_offset): (r.replayed_at, r.replayed_by) for r in rows}
