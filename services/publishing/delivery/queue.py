"""A sending queue: claims under a lease, marks sent or failed with backoff."""
from __future__ import annotations

import secrets
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, bindparam, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from services.publishing.db import mails, notices
from services.publishing.delivery.pacing import ADVISORY_NAMESPACE, MARK_SENT_PATIENCE_S, MAX_BACKOFF, log
from services.publishing.settings import PublishingSettings

if TYPE_CHECKING:
    from services.publishing.delivery.smtp import SendFailure


# --- who is alive --------------------------------------------------------------------------------
class ClaimLease:
    """This worker's key for claims, and the test whether another key's worker is still alive."""

    def __init__(self, engine, lease_s: float = 300.0):
        self.engine = engine
        self.lease_s = lease_s
        self.postgres = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self.key = 0  # acquired on the first `ensure()`, so that building a worker opens no connection

    def _acquire(self) -> None:
        if not self.postgres:
            self.key = secrets.randbelow(2**31 - 2) + 1
            return
        while True:
            key = secrets.randbelow(2**31 - 2) + 1
            connection = self.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                                     {"ns": ADVISORY_NAMESPACE, "key": key}).scalar()
            connection.commit()  # the lock is the session's, not the transaction's: no transaction stays open
            if got:
                self._connection, self.key = connection, key
                return
            connection.close()

    def ensure(self) -> None:
        """Before a run: hold a key, and on PostgreSQL make sure its lock is still held (a restart drops it)."""
        with self._lock:
            if not self.key:
                self._acquire()
                return
            if not self.postgres:
                return
            connection = self._connection
            assert connection is not None  # on PostgreSQL a key comes with the connection that holds its lock
            try:
                connection.execute(text("SELECT 1"))
                connection.commit()
            except Exception:  # noqa: BLE001 - whatever broke, a fresh session and key fix it
                log.warning("claim lease lost; acquiring a new one")
                try:
                    connection.invalidate()
                except Exception:  # noqa: BLE001
                    pass
                self._acquire()

    def abandoned(self, table, now: datetime):
        """SQL condition: the row's claim belongs to a worker that is gone."""
        if self.postgres:
            return text(
                f"{table.name}.claimed_by NOT IN (SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = :lease_ns AND objsubid = 2 AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
            ).bindparams(lease_ns=ADVISORY_NAMESPACE)
        return and_(table.c.claimed_by != self.key, table.c.claimed_at < now - timedelta(seconds=self.lease_s))

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# --- one queue -----------------------------------------------------------------------------------
class SendingQueue:
    """Claim, mark and recover rows of one queue table; every step is its own short transaction.

    Inside `connected()` the steps share one connection (a sender makes two commits per message; taking
    a pooled connection, with its liveness ping, for each would cost as much as the commits themselves).
    """

    def __init__(self, engine, table, lease: ClaimLease, settings: PublishingSettings):
        self.engine = engine
        self.table = table
        self.lease = lease
        self.settings = settings
        self._local = threading.local()
        # PostgreSQL, and a queue whose outcome touches no other table: the mark of a sent row and the claim
        # of the next one in one statement (one round trip; built once, where a Core DML CTE is compiled at
        # every use). The same two updates as the ordinary path below; elsewhere that path runs.
        self._mark_and_claim = None if engine.dialect.name != "postgresql" or table is mails else text(
            f"WITH sent AS (UPDATE {table.name} SET status = 'sent', sent_at = :now, message_id = :message_id "
            "WHERE id = :row_id RETURNING id) "
            f"UPDATE {table.name} SET status = 'sending', attempts = attempts + 1, claimed_by = :key, "
            "claimed_at = :now WHERE id = :next_id AND (status = 'pending' OR (status = 'sending' AND "
            "claimed_by = :key)) RETURNING id").bindparams(
            bindparam("now", type_=table.c.sent_at.type), bindparam("message_id", type_=table.c.message_id.type),
            bindparam("row_id", type_=table.c.id.type), bindparam("next_id", type_=table.c.id.type),
            bindparam("key", type_=table.c.claimed_by.type))

    @contextmanager
    def connected(self):
        with self.engine.connect() as connection:
            if self._mark_and_claim is not None:
                # Every step of this queue is then one statement (recover, due, claim, mark and claim, mark a
                # failure, skip), atomic by itself: autocommit spares a BEGIN and a COMMIT round trip each.
                connection.execution_options(isolation_level="AUTOCOMMIT")
            self._local.connection = connection
            try:
                yield
            finally:
                self._local.connection = None

    @contextmanager
    def _transaction(self, fresh: bool = False):
        connection = getattr(self._local, "connection", None)
        if connection is None or fresh:
            with self.engine.begin() as fresh:
                yield fresh
        else:
            with connection.begin():
                yield connection

    def recover(self, scope, now: datetime) -> int:
        table = self.table
        with self._transaction() as connection:
            result = connection.execute(update(table).where(
                scope, table.c.status == "sending", self.lease.abandoned(table, now)).values(
                status="pending", claimed_by=None, next_attempt_at=now,
                last_error="claimed by a worker that stopped before recording the outcome; sent again"))
        if result.rowcount:
            log.warning("resending abandoned claims", extra={"queue": table.name, "rows": result.rowcount})
        return result.rowcount

    def due(self, scope, now: datetime, limit: int, *columns):
        table = self.table
        with self._transaction() as connection:
            return connection.execute(select(table.c.id, table.c.attempts, *columns).where(
                scope, table.c.status == "pending", table.c.next_attempt_at <= now)
                .order_by(table.c.id).limit(limit)).all()

    def claim(self, row_id: int, now: datetime) -> bool:
        with self._transaction() as connection:
            return self._claim(connection, row_id, now)

    def _claim(self, connection, row_id: int, now: datetime) -> bool:
        table = self.table
        # A row this worker claimed already counts too: a retried commit may have committed the first time.
        return connection.execute(update(table).where(
            table.c.id == row_id, or_(table.c.status == "pending",
                                      and_(table.c.status == "sending", table.c.claimed_by == self.lease.key)))
            .values(status="sending", attempts=table.c.attempts + 1, claimed_by=self.lease.key,
                    claimed_at=now)).rowcount == 1

    def mark_sent(self, row_id: int, now: datetime, message_id: str | None, *, claim_next: int | None = None) -> bool:
        """Record an accepted message, and claim the next row in the same commit (one commit per message
        instead of two; the claimed row is the next to go out, so `sending` still means "in flight or about
        to be"). Returns whether the next row was claimed. The server has this message already, so a
        database hiccup here must not leave the row claimed (a restart would send it again): the commit is
        retried on fresh connections."""
        table = self.table
        retrying = Retrying(stop=stop_after_delay(MARK_SENT_PATIENCE_S), reraise=True,
                            wait=wait_exponential(multiplier=0.2, max=5), retry=retry_if_exception_type(DBAPIError))
        for attempt in retrying:
            with attempt, self._transaction(fresh=attempt.retry_state.attempt_number > 1) as connection:
                if self._mark_and_claim is not None:  # both in one statement
                    claimed = connection.execute(self._mark_and_claim, {
                        "row_id": row_id, "now": now, "message_id": message_id, "next_id": claim_next,
                        "key": self.lease.key}).first() is not None
                else:
                    # last_error stays: "sent after a 451" or "sent again after a crash" is worth seeing.
                    connection.execute(update(table).where(table.c.id == row_id).values(
                        status="sent", sent_at=now, message_id=message_id))
                    self.after_outcome(connection, row_id, "sent", now, None)
                    claimed = claim_next is not None and self._claim(connection, claim_next, now)
        return claimed

    def mark_failure(self, row_id: int, attempts: int, failure: SendFailure, now: datetime) -> None:
        table = self.table
        final = not failure.temporary or attempts >= self.settings.smtp_max_attempts
        values: dict[str, object] = {"last_error": str(failure)[:2000], "claimed_by": None}
        if final:
            values["status"] = "failed"
        else:
            delay = timedelta(seconds=self.settings.smtp_retry_base_s * 2 ** (attempts - 1))
            values.update(status="pending", next_attempt_at=now + min(delay, MAX_BACKOFF))
        with self._transaction() as connection:
            connection.execute(update(table).where(table.c.id == row_id).values(**values))
            if final:
                self.after_outcome(connection, row_id, "failed", now, str(failure))
        log.warning("send failed", extra={"queue": table.name, "row": row_id, "attempt": attempts,
                                           "final": final, "error": str(failure)[:500]})

    def skip(self, row_id: int, reason: str) -> None:
        table = self.table
        with self._transaction() as connection:
            connection.execute(update(table).where(table.c.id == row_id, table.c.status == "pending").values(
                status="skipped", last_error=reason))

    def after_outcome(self, connection, row_id: int, status: str, now: datetime, error: str | None) -> None:
        """Hook: a decision notice follows the state of its mail."""
        if self.table is not mails:
            return
        notice_id = connection.execute(select(mails.c.notice_id).where(mails.c.id == row_id)).scalar()
        if notice_id:
            connection.execute(update(notices).where(notices.c.id == notice_id).values(
                status=status, sent_at=now if status == "sent" else None, last_error=error))
