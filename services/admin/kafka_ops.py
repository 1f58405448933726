"""What the operations page needs from Kafka: consumer lag per group, the dead-letter topics, replays.

Lag is the distance between a partition's end offset and the group's committed offset. A dead letter
keeps the original message (key, value, headers) plus `dlq_*` headers naming the original topic,
partition, offset, consumer group and the error. Replaying re-publishes key, value and the original
headers to the original topic; the consumers dedupe by event id, so a replay of something that did get
applied meanwhile is a no-op.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from shared.config import kafka_security
from shared.consumer import (DLQ_CONSUMER_GROUP, DLQ_ERROR, DLQ_ORIGINAL_OFFSET, DLQ_ORIGINAL_PARTITION,
                             DLQ_ORIGINAL_TOPIC)
from shared.kafka import make_producer

log = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"
DLQ_HEADERS = (DLQ_ORIGINAL_TOPIC, DLQ_ORIGINAL_PARTITION, DLQ_ORIGINAL_OFFSET, DLQ_CONSUMER_GROUP, DLQ_ERROR)
REQUEST_TIMEOUT_MS = 5000
READ_DEADLINE_S = 8.0
MAX_DEAD_LETTERS_SHOWN = 200


class KafkaUnavailable(Exception):
    def __init__(self, detail: str):
        super().__init__(detail)
        log.warning("kafka unavailable", extra={"error": detail[:500]})


class DeadLetterNotFound(Exception):
    pass


@dataclass
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        return max(self.end - (self.committed or 0), 0)


@dataclass
class GroupLag:
    group_id: str
    state: str
    partitions: list[PartitionLag] = field(default_factory=list)
    members: int = 0

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def topics(self) -> list[str]:
        return sorted({p.topic for p in self.partitions})


@dataclass
class DeadLetter:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: str | None
    headers: dict
    value_text: str

    @property
    def error(self) -> str:
        return self.headers.get(DLQ_ERROR, "")

    @property
    def original(self) -> str:
        return (f"{self.headers.get(DLQ_ORIGINAL_TOPIC, '?')} / {self.headers.get(DLQ_ORIGINAL_PARTITION, '?')}"
                f" / {self.headers.get(DLQ_ORIGINAL_OFFSET, '?')}")

    @property
    def original_topic(self) -> str | None:
        return self.headers.get(DLQ_ORIGINAL_TOPIC)

    @property
    def event_type(self) -> str:
        return self._from_value("type")

    @property
    def event_id(self) -> str:
        return self._from_value("id")

    def _from_value(self, key: str) -> str:
        try:
            return str(json.loads(self.value_text).get(key, ""))
        except (ValueError, AttributeError):
            return ""


def _decode(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="replace")


class KafkaOperations:
    def __init__(self, bootstrap_servers: str):
        self.bootstrap_servers = bootstrap_servers.split(",")

    def _admin(self) -> KafkaAdminClient:
        try:
            return KafkaAdminClient(bootstrap_servers=self.bootstrap_servers, client_id="vorort-admin-ui",
                                    request_timeout_ms=REQUEST_TIMEOUT_MS, **kafka_security())
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None

    def _consumer(self) -> KafkaConsumer:
        try:
            return KafkaConsumer(bootstrap_servers=self.bootstrap_servers, group_id=None, enable_auto_commit=False,
                                 client_id="vorort-admin-ui", request_timeout_ms=REQUEST_TIMEOUT_MS + 1000,
                                 **kafka_security())
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None

    # --- lag ------------------------------------------------------------------------------------
    def consumer_lag(self) -> list[GroupLag]:
        admin = self._admin()
        try:
            groups = []
            for entry in admin.list_groups():
                group_id = entry["group_id"] if isinstance(entry, dict) else entry[0]
                state = (entry.get("group_state") or "") if isinstance(entry, dict) else ""
                groups.append((group_id, state))
            committed, assigned, members = {}, {}, {}
            for group_id, _ in groups:
                committed[group_id] = admin.list_group_offsets({group_id: None}).get(group_id, {})
            descriptions = admin.describe_groups([g for g, _ in groups]) if groups else {}
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None
        finally:
            admin.close()
        for group_id, description in descriptions.items():
            # A group that has consumed nothing yet has no committed offsets; its lag is still what its
            # members were assigned.
            found: set = set()
            for member in description.get("members") or []:
                assignment = member.get("member_assignment") or {}
                for entry in assignment.get("assigned_partitions") or []:
                    found.update(TopicPartition(entry["topic"], p) for p in entry.get("partitions", []))
            assigned[group_id] = found
            members[group_id] = len(description.get("members") or [])
        partitions = {tp for offsets in committed.values() for tp in offsets}
        partitions |= {tp for found in assigned.values() for tp in found}
        consumer = self._consumer()
        try:
            ends = consumer.end_offsets(list(partitions)) if partitions else {}
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None
        finally:
            consumer.close()
        result = []
        for group_id, state in sorted(groups):
            group = GroupLag(group_id, state, members=members.get(group_id, 0))
            offsets = {tp: (meta.offset if meta is not None and meta.offset >= 0 else None)
                       for tp, meta in committed[group_id].items()}
            for tp in assigned.get(group_id, ()):
                offsets.setdefault(tp, None)
            for tp in sorted(offsets, key=lambda t: (t.topic, t.partition)):
                group.partitions.append(PartitionLag(tp.topic, tp.partition, offsets[tp], ends.get(tp, 0)))
            result.append(group)
        return result

    # --- dead letters ---------------------------------------------------------------------------
    def dead_letter_topics(self) -> list[str]:
        admin = self._admin()
        try:
            return sorted(t for t in admin.list_topics() if t.endswith(DLQ_SUFFIX))
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None
        finally:
            admin.close()

    def dead_letters(self, topic: str, limit: int = MAX_DEAD_LETTERS_SHOWN) -> list[DeadLetter]:
        """The newest `limit` messages of a dead-letter topic, newest first."""
        consumer = self._consumer()
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            if not tps:
                return []
            ends = consumer.end_offsets(tps)
            starts = consumer.beginning_offsets(tps)
            consumer.assign(tps)
            for tp in tps:
                consumer.seek(tp, max(starts[tp], ends[tp] - limit))
            wanted = {tp for tp in tps if ends[tp] > starts[tp]}
            found = []
            deadline = time.monotonic() + READ_DEADLINE_S
            while wanted and time.monotonic() < deadline:
                for tp, messages in consumer.poll(timeout_ms=300).items():
                    for message in messages:
                        found.append(self._letter(message))
                        if message.offset + 1 >= ends[tp]:
                            wanted.discard(tp)
            found.sort(key=lambda d: (d.timestamp_ms, d.partition, d.offset), reverse=True)
            return found[:limit]
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None
        finally:
            consumer.close()

    def dead_letter(self, topic: str, partition: int, offset: int):
        """The raw message at (topic, partition, offset)."""
        consumer = self._consumer()
        try:
            tp = TopicPartition(topic, partition)
            if partition not in (consumer.partitions_for_topic(topic) or set()):
                raise DeadLetterNotFound(f"{topic}/{partition}")
            ends = consumer.end_offsets([tp])
            if offset >= ends[tp] or offset < consumer.beginning_offsets([tp])[tp]:
                raise DeadLetterNotFound(f"{topic}/{partition}/{offset}")
            consumer.assign([tp])
            consumer.seek(tp, offset)
            deadline = time.monotonic() + READ_DEADLINE_S
            while time.monotonic() < deadline:
                for messages in consumer.poll(timeout_ms=300).values():
                    for message in messages:
                        if message.offset == offset:
                            return message
            raise DeadLetterNotFound(f"{topic}/{partition}/{offset}")
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None
        finally:
            consumer.close()

    def replay(self, topic: str, partition: int, offset: int) -> str:
        """Re-publish a dead letter to its original topic; answers that topic."""
        message = self.dead_letter(topic, partition, offset)
        headers = list(message.headers or [])
        original = {name: _decode(value) for name, value in headers}.get(DLQ_ORIGINAL_TOPIC)
        if not original:
            raise DeadLetterNotFound(f"{topic}/{partition}/{offset} names no original topic")
        original_headers = [(name, value) for name, value in headers if name not in DLQ_HEADERS]
        try:
            producer = make_producer(",".join(self.bootstrap_servers), client_id="vorort-admin-replay")
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None
        try:
            producer.send(original, key=message.key, value=message.value, headers=original_headers).get(timeout=15)
            producer.flush(timeout=15)
        except KafkaError as error:
            raise KafkaUnavailable(str(error)) from None
        finally:
            producer.close(timeout=5)
        return original

    @staticmethod
    def _letter(message) -> DeadLetter:
        headers = {name: _decode(value) for name, value in (message.headers or [])}
        return DeadLetter(topic=message.topic, partition=message.partition, offset=message.offset,
                          timestamp_ms=message.timestamp, key=_decode(message.key), headers=headers,
                          value_text=_decode(message.value) or "")
