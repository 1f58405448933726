"""The idempotent consumer loop with retries and a dead-letter topic.

For each message:
1. decode the CloudEvent and look it up in the catalogue; a message this consumer has no handler for is
   skipped; one it cannot read (not JSON, not an envelope, unknown version, invalid data) goes straight
   to the dead-letter topic;
2. in one database transaction: skip if `(group, event id)` was processed, else run the handler and record
   the event as processed;
3. transient failures are retried with exponential backoff; after `max_attempts` the message goes to the
   dead-letter topic, with its original topic, partition, offset and error in headers.
For speed, the messages of one poll are first applied together in one transaction (one query for the
processed records, one insert for the new ones); consecutive events whose handler has a set-based form
(`handler.batch`) are applied by it in one go (one INSERT ... ON CONFLICT for a projection, say). If
anything in that batch fails, the batch is rolled back and its messages are applied one by one as above,
with the plain handlers, so one bad message never takes others with it.
Offsets are committed only after the database commits (and after a dead letter is acknowledged), so a
crash redelivers and the processed record turns the redelivery into a no-op. The partition keeps flowing.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata
from sqlalchemy.exc import IntegrityError

from shared import config
from shared.events.catalogue import InvalidEventError, UnknownEventError, dead_letter_topic, validate_data
from shared.events.envelope import EnvelopeError, Event
from shared.logs import correlation_id
from shared.uow import is_duplicate_key

log = logging.getLogger(__name__)

Handler = Callable[[Event, dict[str, Any], Any], None]  # (event, validated data, unit of work)
# A handler's set-based form, `handler.batch(items, uow)` with items = [(event, data)].
BatchForm = Callable[[list[tuple[Event, dict[str, Any]]], Any], None]

DLQ_ORIGINAL_TOPIC = "dlq_original_topic"
DLQ_ORIGINAL_PARTITION = "dlq_original_partition"
DLQ_ORIGINAL_OFFSET = "dlq_original_offset"
DLQ_ERROR = "dlq_error"
DLQ_CONSUMER_GROUP = "dlq_consumer_group"


class PermanentError(Exception):
    """A handler error that retrying cannot fix: dead-letter at once."""


@dataclass
class Outcome:
    status: str  # applied | duplicate | skipped | dead_lettered
    error: str | None = None


def _apply_run(run: list[tuple[Event, dict[str, Any], BatchForm]], uow: Any) -> None:
    """Apply consecutive events whose handlers have the same set-based form (`handler.batch(items, uow)`,
    items = [(event, data)]), in one call, and empty the run. A set-based form must leave the state that
    applying the events one by one, in order, would leave."""
    if run:
        run[0][2]([(event, data) for event, data, _ in run], uow)
        run.clear()


class EventConsumer:
    def __init__(self, *, group_id: str, topics: list[str], handlers: dict[str, Handler],
                 uow_factory: Callable[[], Any], consumer: Any, producer: Any, max_attempts: int = 5,
                 base_backoff_s: float = 0.2, max_backoff_s: float = 5.0) -> None:
        self.group_id = group_id
        self.topics = topics
        self.handlers = handlers
        self.uow_factory = uow_factory
        self.consumer = consumer
        self.producer = producer
        self.max_attempts = max_attempts
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.counts = {"applied": 0, "duplicate": 0, "skipped": 0, "dead_lettered": 0}
        # Fault injection for the chaos suite only: die like a SIGKILL right after the Nth database commit
        # of this process, before its offset commit. Deterministic, so that a test can count the crashes it
        # asked for. Never set in production.
        self._crash_after_commits = config.chaos_crash_after_db_commits()
        self._commits = 0

    # --- one message ----------------------------------------------------------------------------
    def _decode(self, message: ConsumerRecord) -> tuple[Event, dict[str, Any], Handler] | Outcome:
        """(event, data, handler) for a message to apply, or an Outcome when there is nothing to apply."""
        try:
            event = Event.from_value(message.value)
        except EnvelopeError as error:
            return self._dead_letter(message, f"undecodable: {error}")
        handler = self.handlers.get(event.type)
        if handler is None:
            return Outcome("skipped")
        try:
            data = validate_data(event.type, event.data, event.version)
        except (UnknownEventError, InvalidEventError) as error:
            return self._dead_letter(message, f"invalid: {error}")
        return event, data, handler

    def process(self, message: ConsumerRecord) -> Outcome:
        decoded = self._decode(message)
        if isinstance(decoded, Outcome):
            return decoded
        event, data, handler = decoded
        token = correlation_id.set(event.correlation_id or event.id)
        try:
            return self._apply_with_retries(message, event, data, handler)
        finally:
            correlation_id.reset(token)

    def process_batch(self, messages: list[ConsumerRecord]) -> list[Outcome]:
        """Apply a poll's messages in one transaction; fall back to one by one if any of them fails."""
        decoded = [self._decode(message) for message in messages]
        todo = [(m, d) for m, d in zip(messages, decoded) if not isinstance(d, Outcome)]
        outcomes = {id(m): d for m, d in zip(messages, decoded) if isinstance(d, Outcome)}
        if len(todo) > 1:
            try:
                with self.uow_factory() as uow:
                    seen = uow.processed_among(self.group_id, [event.id for _, (event, _, _) in todo])
                    applied: list[Event] = []
                    run: list[tuple[Event, dict[str, Any], BatchForm]] = []  # run: consecutive events whose handlers share a set-based form
                    for message, (event, data, handler) in todo:
                        if event.id in seen:
                            outcomes[id(message)] = Outcome("duplicate")
                            continue
                        together = getattr(handler, "batch", None)
                        if run and run[0][2] is not together:
                            _apply_run(run, uow)
                        if together is not None:
                            run.append((event, data, together))
                        else:
                            token = correlation_id.set(event.correlation_id or event.id)
                            try:
                                handler(event, data, uow)
                            finally:
                                correlation_id.reset(token)
                        seen.add(event.id)
                        applied.append(event)
                        outcomes[id(message)] = Outcome("applied")
                    _apply_run(run, uow)
                    uow.mark_processed_many(self.group_id, applied)
                    uow.commit()
                self._maybe_crash()
                return [outcomes[id(m)] for m in messages]
            except Exception as error:  # noqa: BLE001 - isolate the culprit one by one
                log.info("batch failed, applying one by one", extra={"error": repr(error), "size": len(todo)})
                outcomes = {id(m): d for m, d in zip(messages, decoded) if isinstance(d, Outcome)}
        for message, (event, data, handler) in todo:
            token = correlation_id.set(event.correlation_id or event.id)
            try:
                outcomes[id(message)] = self._apply_with_retries(message, event, data, handler)
            finally:
                correlation_id.reset(token)
        return [outcomes[id(m)] for m in messages]

    def _maybe_crash(self) -> None:
        self._commits += 1
        if self._crash_after_commits and self._commits >= self._crash_after_commits:
            os._exit(137)

    def _apply_with_retries(self, message: ConsumerRecord, event: Event, data: dict[str, Any], handler: Handler) -> Outcome:
        last_error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self.uow_factory() as uow:
                    if uow.already_processed(self.group_id, event.id):
                        return Outcome("duplicate")
                    handler(event, data, uow)
                    uow.mark_processed(self.group_id, event)
                    uow.commit()
                self._maybe_crash()
                return Outcome("applied")
            except IntegrityError as error:
                if is_duplicate_key(error) and self._processed_meanwhile(event):
                    return Outcome("duplicate")
                last_error = error
            except PermanentError as error:
                return self._dead_letter(message, f"handler refused: {error}")
            except Exception as error:  # noqa: BLE001 - transient until proven otherwise
                last_error = error
            log.warning("handler failed", extra={"event_type": event.type, "event_id": event.id,
                                                  "attempt": attempt, "error": repr(last_error)})
            if attempt < self.max_attempts:
                time.sleep(min(self.base_backoff_s * 2 ** (attempt - 1), self.max_backoff_s))
        return self._dead_letter(message, f"failed {self.max_attempts} times: {last_error!r}")

    def _processed_meanwhile(self, event: Event) -> bool:
        with self.uow_factory() as uow:
            processed: bool = uow.already_processed(self.group_id, event.id)
            return processed

    def _dead_letter(self, message: ConsumerRecord, error: str) -> Outcome:
        headers = list(message.headers or []) + [
            (DLQ_ORIGINAL_TOPIC, message.topic.encode()),
            (DLQ_ORIGINAL_PARTITION, str(message.partition).encode()),
            (DLQ_ORIGINAL_OFFSET, str(message.offset).encode()),
            (DLQ_CONSUMER_GROUP, self.group_id.encode()),
            (DLQ_ERROR, error[:4000].encode()),
        ]
        future = self.producer.send(dead_letter_topic(self.group_id), key=message.key, value=message.value,
                                    headers=headers)
        self.producer.flush(timeout=30)
        future.get(timeout=30)
        log.error("message dead-lettered", extra={"topic": message.topic, "partition": message.partition,
                                                   "offset": message.offset, "error": error})
        return Outcome("dead_lettered", error)

    # --- the loop -------------------------------------------------------------------------------
    def poll_once(self, timeout_ms: int = 500) -> int:
        batches = self.consumer.poll(timeout_ms=timeout_ms)
        offsets = {}
        handled = 0
        for messages in batches.values():
            for outcome in self.process_batch(messages):
                self.counts[outcome.status] += 1
            last = messages[-1]
            offsets[TopicPartition(last.topic, last.partition)] = OffsetAndMetadata(last.offset + 1, "", -1)
            handled += len(messages)
        if offsets:
            # Every message of the poll is committed to the database (or dead-lettered) by now.
            self.consumer.commit(offsets)
        return handled

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - keep the worker alive; Kafka may be restarting
                log.exception("consumer loop error", extra={"group": self.group_id})
                stop.wait(1.0)
                self.rewind()
        try:
            self.consumer.close()
        except Exception:  # noqa: BLE001
            pass

    def rewind(self) -> None:
        """After a failed poll, go back to the committed offsets: the consumer's position already passed the
        messages of that poll, and without this they would wait for the next restart or rebalance. What was
        applied meanwhile is recognised as a duplicate."""
        try:
            for partition in self.consumer.assignment():
                committed = self.consumer.committed(partition)
                if committed is None:
                    self.consumer.seek_to_beginning(partition)
                else:
                    self.consumer.seek(partition, committed)
        except Exception:  # noqa: BLE001 - the next poll fails again and rewinds again
            log.exception("consumer rewind failed", extra={"group": self.group_id})
