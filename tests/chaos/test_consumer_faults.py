"""Fault scenarios 2 and 6: consumers killed between database and offset commit; poison messages."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import func, insert, select

from shared.config import REPO_ROOT
from shared.events.catalogue import dead_letter_topic, make_event, spec_for
from shared.kafka import ensure_topics, make_producer
from support import eventually
from vorort.dlq import list_dead_letters, replay

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

sys.path.insert(0, str(REPO_ROOT / "tests" / "chaos"))
from chaos_support import report  # noqa: E402
from counting_consumer import broken, tally  # noqa: E402


def start_consumer(db_url, topic, group, bootstrap, log_path, crash_after_commits=0):
    import os

    env = dict(os.environ, VORORT_CHAOS_CRASH_AFTER_DB_COMMITS=str(crash_after_commits),
               VORORT_KAFKA_SESSION_TIMEOUT_MS="2000", VORORT_KAFKA_MAX_POLL_RECORDS="20")
    return subprocess.Popen([sys.executable, str(REPO_ROOT / "tests/chaos/counting_consumer.py"), db_url, topic,
                             group, bootstrap], cwd=REPO_ROOT, env=env, stdout=open(log_path, "ab"),
                            stderr=subprocess.STDOUT)


def submitted(application_id, statement="Interesse"):
    example = dict(spec_for("ApplicationSubmitted").example, application_id=application_id, statement=statement)
    return make_event("ApplicationSubmitted", example, source="/chaos")


def test_consumer_killed_between_database_and_offset_commit_applies_each_event_once(
        tally_db, kafka_bootstrap, tmp_path, chaos_scale):
    """Scenario 2: the process dies right after a database commit, before the offset commit, 20 times."""
    db_url, engine = tally_db
    events_count = 1200 if chaos_scale == "short" else 4000
    topic, group = f"chaos.crash.{uuid.uuid4().hex[:8]}", f"chaos-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [topic, dead_letter_topic(group)], partitions=3)
    producer = make_producer(kafka_bootstrap, "chaos")
    events = [submitted(str(uuid.uuid4())) for _ in range(events_count)]
    for event in events:
        producer.send(topic, key=event.key(), value=event.value(), headers=event.headers())
    for event in events[:50]:  # and a few redeliveries, as a relay retry would send them
        producer.send(topic, key=event.key(), value=event.value(), headers=event.headers())
    producer.flush()

    def applied():
        with engine.connect() as connection:
            return connection.execute(select(func.count(), func.sum(tally.c.applied)).select_from(tally)).one()

    # Each process dies right after its second database commit (a batch is at most 20 messages), so 20
    # crashes apply at most 800 of the events: every crash happens with events still left to apply, and the
    # count of crashes is what the test asked for, not a matter of luck.
    crashes, commits_per_life = 0, 2
    assert 20 * commits_per_life * 20 < events_count
    while crashes < 20:
        process = start_consumer(db_url, topic, group, kafka_bootstrap, tmp_path / "consumer.log", commits_per_life)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
            break
        assert process.returncode == 137, "the consumer should die by the injected crash"
        crashes += 1
        assert applied()[0] < events_count, "a crash left nothing to apply: the scenario proves less than it says"
    process = start_consumer(db_url, topic, group, kafka_bootstrap, tmp_path / "consumer.log")
    last_start = time.monotonic()
    try:
        eventually(lambda: applied()[0] == events_count, timeout=180, message="every event applied")
        recovered = time.monotonic() - last_start
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    distinct, side_effects = applied()
    report("scenario 2 (consumer killed between its commits)",
           {"accepted": events_count, "consumed": distinct, "duplicates": side_effects - distinct,
            "lost": events_count - distinct}, recovered,
           f"{crashes} crashes right after a database commit, 50 events redelivered on top; time to recover = the "
           f"last consumer's start to every event applied")
    assert crashes == 20
    assert side_effects == distinct == events_count


POISONS = ["not json", "wrong schema", "unknown version", "handler error"]


def test_poison_messages_reach_the_dead_letter_topic_and_a_replay_after_the_fix_applies_once(
        tally_db, kafka_bootstrap, tmp_path):
    """Scenario 6: one poison message of each kind; the partition keeps flowing; replay after the fix."""
    db_url, engine = tally_db
    topic, group = f"chaos.poison.{uuid.uuid4().hex[:8]}", f"chaos-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_bootstrap, [topic, dead_letter_topic(group)], partitions=1)
    buggy_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(insert(broken).values(application_id=buggy_id))
    producer = make_producer(kafka_bootstrap, "chaos")
    good = [submitted(str(uuid.uuid4())) for _ in range(5)]
    wrong = submitted(str(uuid.uuid4())).to_cloudevent()
    wrong["data"]["municipality"] = "not an object"
    future = submitted(str(uuid.uuid4())).to_cloudevent()
    future["dataversion"] = 2
    poison_values = {"not json": b"\xff not json", "wrong schema": json.dumps(wrong).encode(),
                     "unknown version": json.dumps(future).encode(), "handler error": submitted(buggy_id).value()}
    for kind in POISONS:
        producer.send(topic, key=b"poison", value=poison_values[kind])
        producer.send(topic, key=good[POISONS.index(kind)].key(), value=good[POISONS.index(kind)].value())
    producer.send(topic, key=good[4].key(), value=good[4].value())
    producer.flush()

    process = start_consumer(db_url, topic, group, kafka_bootstrap, tmp_path / "consumer.log")
    try:
        def count(application_id):
            with engine.connect() as connection:
                return connection.execute(select(tally.c.applied).where(
                    tally.c.application_id == application_id)).scalar()

        eventually(lambda: all(count(e.subject) == 1 for e in good), timeout=120,
                   message="the messages after each poison were applied")
        letters = eventually(lambda: len(list_dead_letters(kafka_bootstrap, group)) == 4
                             and list_dead_letters(kafka_bootstrap, group), timeout=60, message="four dead letters")
        for letter in letters:
            assert letter.original_topic == topic and letter.original_partition == 0
            assert letter.original_offset in {0, 2, 4, 6} and letter.error
        errors = " ".join(letter.error for letter in letters)
        assert "undecodable" in errors and "invalid" in errors and "failed 3 times" in errors

        # The fix: the handler bug is gone. Replay everything: the fixed one applies once, the unfixable
        # ones go back to the dead-letter topic, nothing else changes.
        with engine.begin() as connection:
            connection.execute(broken.delete())
        replayed = replay(kafka_bootstrap, group)
        assert replayed == 4
        eventually(lambda: count(buggy_id) == 1, timeout=60, message="replayed message applied")
        eventually(lambda: len(list_dead_letters(kafka_bootstrap, group)) == 4 + 3, timeout=60,
                   message="unfixable messages dead-lettered again")
        replay(kafka_bootstrap, group, {(0, letters[-1].offset)})  # the fixed one, a second time
        eventually(lambda: len(list_dead_letters(kafka_bootstrap, group)) >= 7, timeout=30, message="settled")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    assert count(buggy_id) == 1
    assert all(count(e.subject) == 1 for e in good)
    effects = [count(e.subject) for e in good] + [count(buggy_id)]
    report("scenario 6 (poison messages)", {"accepted": len(effects), "consumed": sum(1 for n in effects if n),
                                            "duplicates": sum(max(0, n - 1) for n in effects),
                                            "lost": sum(1 for n in effects if not n)}, None,
           "5 good events and 1 fixable of 9 messages applied once; 4 poison kinds dead-lettered with their origin; "
           "the partition kept flowing; the fixable one applied once after the fix and replays")
