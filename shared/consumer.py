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

A consumer writes in one of two ways: it turns each event into a command for the service's bus
(`command_handlers`), or it keeps a read model of another service's events, a `Projection`: handlers that
are upserts whose outcome does not depend on the order of events (optionally `SetBased`), and the tables
they own. A projection can be thrown away and rebuilt from its topics (`rebuild_projection`), through the
same decoding, duplicate check and set-based application as the live loop, in one transaction.
"""
from __future__ import annotations

import inspect
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata
from sqlalchemy import Table, delete, text
from sqlalchemy.exc import IntegrityError

from shared import config
from shared.errors import DomainError
from shared.events.catalogue import InvalidEventError, UnknownEventError, dead_letter_topic, validate_data
from shared.events.envelope import EnvelopeError, Event
from shared.kafka import make_consumer
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
    status: str  # applied | duplicate | skipped | dead_lettered (live) | refused (read_message, rebuild)
    error: str | None = None


class CommandBus(Protocol):
    def handle(self, command: object, uow: Any = None) -> Any: ...


Decoded = tuple[Event, dict[str, Any], Handler]


CommandMaker = Callable[[dict[str, Any]], object] | Callable[[Event, dict[str, Any]], object]


def _takes_event(make_command: CommandMaker) -> bool:
    """Whether a command maker takes `(event, data)` rather than `data` alone (two positional parameters)."""
    positional = [p for p in inspect.signature(make_command).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(positional) == 2


def command_handlers(bus: CommandBus, commands: Mapping[str, CommandMaker]) -> dict[str, Handler]:
    """Consumer handlers that turn each event into a command for the bus (`commands`: event type -> a maker
    of the command). A maker of one parameter gets the event's validated data (`data -> command`); one of
    two gets the envelope too (`(event, data) -> command`), for a command that needs the event's id, type or
    CloudEvent form (webhooks' fan-out). The command's handler runs in the consumer loop's unit of work, so
    its writes commit with the processed record. An event that breaks a domain rule cannot succeed on a
    retry: it goes to the dead-letter topic at once."""
    return {event_type: EventCommand(bus, make_command) for event_type, make_command in commands.items()}


@dataclass(frozen=True)
class EventCommand:
    """A consumer handler made by `command_handlers`: the event becomes `make_command`'s command, which the
    bus runs in the consumer loop's unit of work; a DomainError becomes a PermanentError (dead letter)."""
    bus: CommandBus
    make_command: CommandMaker
    with_event: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "with_event", _takes_event(self.make_command))

    def __call__(self, event: Event, data: dict[str, Any], uow: Any) -> None:
        try:
            make: Callable[..., object] = self.make_command
            command = make(event, data) if self.with_event else make(data)
            self.bus.handle(command, uow=uow)
        except DomainError as error:
            raise PermanentError(f"{error.field or 'event'}: {error.message}") from error


@dataclass(frozen=True)
class SetBased:
    """A handler with a set-based form: the loop applies a poll's consecutive events that share `batch` in one
    call (`batch(items, uow)`, items = [(event, data)]), e.g. one INSERT ... ON CONFLICT for a projection.
    A set-based form must leave the state that applying the events one by one, in order, would leave."""
    one: Handler
    batch: BatchForm

    def __call__(self, event: Event, data: dict[str, Any], uow: Any) -> None:
        self.one(event, data, uow)


def _apply_run(run: list[tuple[Event, dict[str, Any], BatchForm]], uow: Any) -> None:
    """Apply a run of consecutive events whose handlers share a set-based form in one call; empty the run."""
    if run:
        run[0][2]([(event, data) for event, data, _ in run], uow)
        run.clear()


def read_message(message: ConsumerRecord, handlers: Mapping[str, Handler]) -> Decoded | Outcome:
    """(event, data, handler) for a message to apply, else an Outcome: `skipped` (no handler for its type) or
    `refused` with the reason (not an envelope, unknown version, invalid data: the live loop dead-letters it)."""
    try:
        event = Event.from_value(message.value)
    except EnvelopeError as error:
        return Outcome("refused", f"undecodable: {error}")
    handler = handlers.get(event.type)
    if handler is None:
        return Outcome("skipped")
    try:
        data = validate_data(event.type, event.data, event.version)
    except (UnknownEventError, InvalidEventError) as error:
        return Outcome("refused", f"invalid: {error}")
    return event, data, handler


def _call(handler: Handler, event: Event, data: dict[str, Any], uow: Any) -> None:
    token = correlation_id.set(event.correlation_id or event.id)
    try:
        handler(event, data, uow)
    finally:
        correlation_id.reset(token)


def apply_together(uow: Any, group_id: str, todo: list[tuple[ConsumerRecord, Decoded]]) -> dict[int, Outcome]:
    """Apply decoded messages `[(message, (event, data, handler))]` in `uow`, which the caller commits: one
    query for the processed records, one insert for the new ones, set-based forms for runs that share one.
    Returns the outcome per `id(message)`; raises if any handler fails (the caller then goes one by one)."""
    outcomes: dict[int, Outcome] = {}
    seen = uow.processed_among(group_id, [event.id for _, (event, _, _) in todo])
    applied: list[Event] = []
    run: list[tuple[Event, dict[str, Any], BatchForm]] = []  # consecutive events sharing a set-based form
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
            _call(handler, event, data, uow)
        seen.add(event.id)
        applied.append(event)
        outcomes[id(message)] = Outcome("applied")
    _apply_run(run, uow)
    uow.mark_processed_many(group_id, applied)
    return outcomes


def apply_one(uow: Any, group_id: str, event: Event, data: dict[str, Any], handler: Handler) -> Outcome:
    """Apply one event in `uow` (the caller commits), unless this group has processed it."""
    if uow.already_processed(group_id, event.id):
        return Outcome("duplicate")
    _call(handler, event, data, uow)
    uow.mark_processed(group_id, event)
    return Outcome("applied")


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
    def _decode(self, message: ConsumerRecord) -> Decoded | Outcome:
        """(event, data, handler) for a message to apply, or an Outcome when there is nothing to apply."""
        decoded = read_message(message, self.handlers)
        if isinstance(decoded, Outcome) and decoded.status == "refused":
            return self._dead_letter(message, decoded.error or "refused")
        return decoded

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
                    outcomes.update(apply_together(uow, self.group_id, todo))
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
                    outcome = apply_one(uow, self.group_id, event, data, handler)
                    if outcome.status == "duplicate":
                        return outcome
                    uow.commit()
                self._maybe_crash()
                return outcome
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


# --- projections ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Projection:
    """A read model a service keeps from other services' events: the one shared way for a consumer to write
    state without a command. `handlers` (event type -> handler, `SetBased` where a set-based form exists)
    are upserts whose outcome does not depend on the order of events; `tables` are the tables the projection
    owns, exactly what a rebuild empties (the service's own records stay)."""
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler]
    tables: tuple[Table, ...]

    def clear(self, uow: Any, group_id: str) -> None:
        """Forget the projection's rows and which events the group applied (the start of a rebuild)."""
        if uow.session.get_bind().dialect.name == "postgresql":
            # Hold off the live consumer's writes until the rebuilt projection commits.
            names = ", ".join(table.name for table in self.tables)
            uow.session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
        processed = uow.metadata.tables["processed_messages"]
        uow.session.execute(delete(processed).where(processed.c.consumer_group == group_id))
        for table in self.tables:
            uow.session.execute(delete(table))


def rebuild_projection(projection: Projection, uow_factory: Callable[[], Any], bootstrap_servers: str, *,
                       group_id: str, topics: tuple[str, ...] | list[str] | None = None, client_id: str = "rebuild",
                       deadline_s: float = 600.0) -> dict[str, int]:
    """Throw the projection away and build it again from the beginning of its topics (or `topics`).

    A fresh consumer without a group reads every partition from the beginning up to the end offsets it found
    when it started, and applies each poll as the live loop does (the same decoding, duplicate check and
    set-based forms; a poll that fails is applied one by one), recording the events as processed by
    `group_id`. What the live loop dead-letters is `refused` here and changes nothing. All of it happens in
    one transaction: readers see the old projection until the new one commits, and on PostgreSQL the live
    consumer waits meanwhile. Returns the counts of what was read."""
    topics = tuple(topics or projection.topics)
    consumer = make_consumer(bootstrap_servers, None, (), client_id=client_id)
    counts = {"applied": 0, "duplicate": 0, "skipped": 0, "refused": 0}
    try:
        partitions = _partitions(consumer, topics, deadline_s)
        if not partitions:  # never wipe the projection because the broker does not know the topics
            raise LookupError(f"topics {', '.join(topics)} not found on {bootstrap_servers}")
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for partition in partitions:
            consumer.seek_to_beginning(partition)
        with uow_factory() as uow:
            projection.clear(uow, group_id)
            deadline = time.monotonic() + deadline_s
            while any(consumer.position(p) < ends[p] for p in partitions):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"rebuild did not reach the end of {', '.join(topics)} within {deadline_s}s")
                for batch in consumer.poll(timeout_ms=500).values():
                    wanted = [m for m in batch if m.offset < ends[TopicPartition(m.topic, m.partition)]]
                    for outcome in _rebuild_batch(uow, group_id, projection.handlers, wanted):
                        counts[outcome.status] += 1
            uow.commit()
    finally:
        consumer.close()
    log.info("projection rebuilt", extra={"topics": list(topics), **counts})
    return counts


def _partitions(consumer: Any, topics: tuple[str, ...], deadline_s: float) -> list[TopicPartition]:
    deadline = time.monotonic() + min(deadline_s, 30.0)
    found: dict[str, set[int]] = {}
    while True:
        for topic in topics:
            found[topic] = set(consumer.partitions_for_topic(topic) or ())
        if all(found.values()) or time.monotonic() > deadline:
            return [TopicPartition(topic, p) for topic in topics for p in sorted(found[topic])]
        time.sleep(0.2)


def _rebuild_batch(uow: Any, group_id: str, handlers: Mapping[str, Handler],
                   messages: list[ConsumerRecord]) -> list[Outcome]:
    """One poll of the rebuild inside its transaction: together under a savepoint, else one by one, each under
    its own savepoint, where a handler's refusal (PermanentError) rolls back only that event."""
    decoded = [read_message(message, handlers) for message in messages]
    todo = [(m, d) for m, d in zip(messages, decoded) if not isinstance(d, Outcome)]
    outcomes = {id(m): d for m, d in zip(messages, decoded) if isinstance(d, Outcome)}
    try:
        with uow.savepoint():
            outcomes.update(apply_together(uow, group_id, todo))
        return [outcomes[id(m)] for m in messages]
    except Exception:  # noqa: BLE001 - isolate the culprit one by one
        pass
    for message, (event, data, handler) in todo:
        try:
            with uow.savepoint():
                outcomes[id(message)] = apply_one(uow, group_id, event, data, handler)
        except PermanentError:
            outcomes[id(message)] = Outcome("refused")
    return [outcomes[id(m)] for m in messages]
