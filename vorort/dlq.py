"""Dead-letter topics: list what a consumer group gave up on, and replay it after a fix.

A replay re-publishes the original key, value and headers to the original topic. Every consumer group
of that topic sees the message again; the groups that had applied it skip it by event id, the group
that had failed applies it now, once.
"""
from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from shared.consumer import (DLQ_CONSUMER_GROUP, DLQ_ERROR, DLQ_ORIGINAL_OFFSET, DLQ_ORIGINAL_PARTITION,
                             DLQ_ORIGINAL_TOPIC)
from shared.config import kafka_security
from shared.events.catalogue import dead_letter_topic
from shared.kafka import make_producer

DLQ_HEADERS = {DLQ_ORIGINAL_TOPIC, DLQ_ORIGINAL_PARTITION, DLQ_ORIGINAL_OFFSET, DLQ_ERROR, DLQ_CONSUMER_GROUP}


@dataclass
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list
    original_topic: str
    original_partition: int
    original_offset: int
    error: str


def list_dead_letters(bootstrap: str, group_id: str, timeout_s: float = 5.0) -> list[DeadLetter]:
    topic = dead_letter_topic(group_id)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False,
                             **kafka_security())
    partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in partitions]
    if not tps:
        consumer.close()
        return []
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    letters = []
    remaining = {tp: end for tp, end in ends.items() if end > 0}
    import time

    deadline = time.monotonic() + timeout_s
    while remaining and time.monotonic() < deadline:
        for tp, messages in consumer.poll(timeout_ms=500).items():
            for message in messages:
                headers = {name: value.decode(errors="replace") for name, value in message.headers or []}
                letters.append(DeadLetter(
                    message.partition, message.offset, message.key, message.value,
                    [(n, v) for n, v in message.headers or [] if n not in DLQ_HEADERS],
                    headers.get(DLQ_ORIGINAL_TOPIC, ""), int(headers.get(DLQ_ORIGINAL_PARTITION, -1)),
                    int(headers.get(DLQ_ORIGINAL_OFFSET, -1)), headers.get(DLQ_ERROR, "")))
                if message.offset + 1 >= ends[tp]:
                    remaining.pop(tp, None)
    consumer.close()
    return sorted(letters, key=lambda letter: (letter.partition, letter.offset))


def replay(bootstrap: str, group_id: str, offsets: set[tuple[int, int]] | None = None) -> int:
    """Re-publish dead letters (all, or those at the given (partition, offset)) to their original topics."""
    letters = [letter for letter in list_dead_letters(bootstrap, group_id)
               if offsets is None or (letter.partition, letter.offset) in offsets]
    producer = make_producer(bootstrap, "vorort-dlq-replay")
    futures = [producer.send(letter.original_topic, key=letter.key, value=letter.value,
                             headers=letter.headers + [("dlq_replayed_from", f"{letter.partition}:{letter.offset}".encode())])
               for letter in letters if letter.original_topic]
    producer.flush()
    for future in futures:
        future.get(30)
    producer.close()
    return len(futures)
