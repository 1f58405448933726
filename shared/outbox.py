"""The outbox relay: publishes outbox rows to Kafka in order, then marks them published.

Guarantees:
- at least once: a row is marked published only after Kafka acknowledged it (`acks=all`); a crash in
  between republishes the row, and consumers drop the duplicate by event id;
- per-aggregate order: rows are read in id order and sent through one idempotent producer; the key is the
  aggregate id, so one aggregate's events share a partition;
- several relays at once (PostgreSQL): the batch is read `FOR UPDATE`, so a second relay waits for the
  first one's batch instead of overtaking it with later rows of the same aggregate.
Failures are retried with exponential backoff; the row records its attempts and last error.
Latency: on PostgreSQL the unit of work sends `NOTIFY vorort_outbox` with its commit and the relay
LISTENs, so it publishes as soon as an event is committed; elsewhere it polls every `idle_interval_s`.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, select, update
from sqlalchemy.engine import Engine

from shared.events.envelope import utcnow
from shared.uow import OUTBOX_CHANNEL

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, engine: Engine, metadata: MetaData, producer: Any, *, batch_size: int = 500,
                 idle_interval_s: float = 0.1, max_backoff_s: float = 10.0, send_timeout_s: float = 30.0) -> None:
        self.engine = engine
        self.outbox = metadata.tables["outbox"]
        self.producer = producer
        self.batch_size = batch_size
        self.idle_interval_s = idle_interval_s
        self.max_backoff_s = max_backoff_s
        self.send_timeout_s = send_timeout_s

    def publish_batch(self) -> int:
        """Publish the oldest unpublished rows; returns how many were published."""
        outbox = self.outbox
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.message_key, outbox.c.payload, outbox.c.headers)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
                .with_for_update()
            ).all()
            if not rows:
                return 0
            futures = [
                self.producer.send(
                    row.topic,
                    key=row.message_key.encode(),
                    value=row.payload.encode(),
                    headers=[(name, value.encode()) for name, value in _headers(row.headers)],
                )
                for row in rows
            ]
            self.producer.flush(timeout=self.send_timeout_s)
            for future in futures:
                future.get(timeout=self.send_timeout_s)  # raises if Kafka did not acknowledge
            connection.execute(
                update(outbox).where(outbox.c.id.in_([row.id for row in rows])).values(published_at=utcnow())
            )
        return len(rows)

    def record_failure(self, error: Exception) -> None:
        outbox = self.outbox
        try:
            with self.engine.begin() as connection:
                first = connection.execute(
                    select(outbox.c.id).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(1)
                ).scalar()
                if first is not None:
                    connection.execute(update(outbox).where(outbox.c.id == first).values(
                        attempts=outbox.c.attempts + 1, last_error=str(error)[:2000]))
        except Exception:  # the database may be the thing that failed
            log.exception("could not record relay failure")

    def run(self, stop: threading.Event) -> None:
        backoff = 0.2
        waiter = _NotificationWaiter(self.engine)
        while not stop.is_set():
            try:
                published = self.publish_batch()
                backoff = 0.2
                if not published:
                    waiter.wait(self.idle_interval_s, stop)
            except Exception as error:  # noqa: BLE001 - any failure is retried with backoff
                log.warning("relay failed, retrying", extra={"error": repr(error), "backoff_s": backoff})
                self.record_failure(error)
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
        waiter.close()

    def pending(self) -> int:
        from sqlalchemy import func

        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(self.outbox).where(self.outbox.c.published_at.is_(None))
            ).scalar_one()


class _NotificationWaiter:
    """Waits for `NOTIFY vorort_outbox` on PostgreSQL (or just sleeps elsewhere, or when listening fails)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: psycopg.Connection[Any] | None = None

    def _listen(self) -> psycopg.Connection[Any] | None:
        if self.connection is None and self.engine.dialect.name == "postgresql":
            import psycopg

            url = self.engine.url.set(drivername="postgresql")
            self.connection = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            self.connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
        return self.connection

    def wait(self, timeout_s: float, stop: threading.Event) -> None:
        try:
            connection = self._listen()
        except Exception:  # noqa: BLE001 - fall back to polling
            log.warning("cannot LISTEN for outbox notifications; polling", exc_info=True)
            connection = None
        if connection is None:
            stop.wait(timeout_s)
            return
        try:
            for _ in connection.notifies(timeout=timeout_s, stop_after=1):
                break
        except Exception:  # noqa: BLE001 - the database went away: reconnect next time
            self.close()
            stop.wait(timeout_s)

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001
                pass
            self.connection = None


def _headers(stored: str | list[list[str]]) -> list[tuple[str, str]]:
    pairs: list[list[str]] = json.loads(stored) if isinstance(stored, str) else stored
    return [(str(name), str(value)) for name, value in pairs]

