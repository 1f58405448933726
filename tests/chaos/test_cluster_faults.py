"""Fault scenarios 7-10 on the three-node KRaft cluster (vorort/cluster.py: RF 3, min.insync.replicas 2,
SASL/SCRAM with one principal per service and ACLs):

7. the leader of the applications topic's partitions SIGKILLed five times while applications are submitted;
8. a whole node stopped for 60 seconds while applications are submitted;
9. consumers scaled out: two, then three processes in one group, one SIGKILLed mid-stream;
10. a service's principal refused writing another service's topic.

Each prints its figures: accepted, consumed, duplicates, lost, time to recover. "Consumed" and "duplicates"
are counted by a consumer whose side effect is NOT idempotent on its own (tests/chaos/counting_consumer.py,
the platform's consumer loop): any event applied twice shows as a duplicate, any accepted event never
applied as lost. Kafka's own log may carry an event twice (the relay republishes after a lost
acknowledgement); that is reported as "redelivered" and must not become a duplicate effect.
"""
from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import TopicAuthorizationFailedError

from shared.config import REPO_ROOT
from shared.events.catalogue import TOPIC_APPLICATIONS, TOPIC_SELECTION, dead_letter_topic, make_event, spec_for
from shared.kafka import make_producer
from support import eventually, start_platform, stop_platform
from vorort import cluster as launcher

sys.path.insert(0, str(REPO_ROOT / "tests" / "chaos"))
from chaos_support import CountingConsumers, applied, figures, report  # noqa: E402
from test_platform_faults import Submitter, assert_every_submission_reached_the_consumer, open_call  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


@pytest.fixture(scope="module")
def kafka_cluster():
    home = Path(tempfile.mkdtemp(prefix="vorort-cluster-"))
    started = time.monotonic()
    cluster = launcher.start_cluster(home)
    print(f"\nthree-node cluster up in {time.monotonic() - started:.1f} s: {cluster.bootstrap_servers}")
    yield cluster
    cluster.stop()


def cluster_env(cluster, service: str) -> dict:
    # One deployment on this cluster: the consumer groups keep their real names, which the ACLs name.
    return {**cluster.client_env(service), "VORORT_CONSUMER_GROUP_SUFFIX": ""}


@pytest.fixture
def intake(postgres, kafka_cluster, tmp_path):
    """applications (web + relay) and selection (web + candidates consumer), each as its own principal."""
    running = start_platform(postgres, kafka_cluster.bootstrap_servers, tmp_path, ["applications", "selection"],
                             service_env={s: cluster_env(kafka_cluster, s) for s in ("applications", "selection")})
    yield running
    stop_platform(running)


def counting(cluster, db_url: str, topic: str, log_dir) -> CountingConsumers:
    """Counting consumers as the cluster's super user, from the topic's current end on. The cluster creates
    no topic by itself: their group's dead-letter topic is provisioned like the services' ones."""
    consumers = CountingConsumers(cluster.bootstrap_servers, db_url, topic, log_dir,
                                  cluster.client_env(launcher.ADMIN))
    cluster.create_topics([dead_letter_topic(consumers.group)])
    return consumers.skip_history(cluster.client_settings(launcher.ADMIN))


def read_all(cluster, topic: str) -> list:
    """Every message of the topic up to its current end, as the admin principal."""
    consumer = KafkaConsumer(bootstrap_servers=cluster.bootstrap_servers.split(","), group_id=None,
                             enable_auto_commit=False, **cluster.client_settings(launcher.ADMIN))
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    messages, deadline = [], time.monotonic() + 300
    while any(consumer.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=1000, max_records=2000).values():
            messages.extend(batch)
    consumer.close()
    return messages


def assert_one_event_per_aggregate_in_order(cluster, submitter) -> int:
    """On the topic: per accepted application exactly one ApplicationSubmitted (by event id) first, then
    its updates in the order they were accepted. Returns how many messages were redelivered copies."""
    sequences: dict[str, list[tuple[str, str]]] = {}
    seen_ids, redelivered = set(), 0
    for message in read_all(cluster, TOPIC_APPLICATIONS):
        event = json.loads(message.value)
        application_id = message.key.decode()
        if application_id not in submitter.accepted:
            continue
        if event["id"] in seen_ids:
            redelivered += 1
            continue
        seen_ids.add(event["id"])
        sequences.setdefault(application_id, []).append((event["type"], event["data"].get("statement")))
    assert set(sequences) == set(submitter.accepted)
    for application_id, sequence in sequences.items():
        updates = ["v2", "v3"][:submitter.events[application_id] - 1]
        assert sequence == [("ApplicationSubmitted", "v1")] + [("ApplicationUpdated", v) for v in updates], (
            application_id, sequence)
    return redelivered


def leader_node(cluster, topic: str, partition: int) -> int:
    return next(p["leader"] for p in cluster.partitions(topic) if p["partition"] == partition)


def elected_without(cluster, topic: str, partition: int, dead: int) -> bool:
    try:
        return leader_node(cluster, topic, partition) not in (dead, -1)
    except Exception:  # noqa: BLE001 - metadata from a cluster in the middle of an election
        return False


def test_leader_of_the_applications_partitions_killed_five_times_loses_and_duplicates_nothing(
        intake, kafka_cluster, tally_db, tmp_path):
    """Scenario 7: 10,000 submissions; five times the leader of one of vorort.applications' partitions is
    SIGKILLed and restarted; every 201 becomes exactly one candidate and exactly its events, in order."""
    total, kills = 10_000, 5
    db_url, engine = tally_db
    consumers = counting(kafka_cluster, db_url, TOPIC_APPLICATIONS, tmp_path)
    consumers.start()
    base = intake.url("applications")
    call_id = open_call(base)
    submitter = Submitter(base, call_id, total, offset=1_000_000).start()
    recoveries = []
    try:
        for kill in range(kills):
            eventually(lambda: submitter.done >= total * (kill + 1) // (kills + 2), timeout=900, interval=0.5,
                       message=f"submissions before kill {kill + 1}")
            partition = kill % 3
            victim = leader_node(kafka_cluster, TOPIC_APPLICATIONS, partition)
            killed_at = time.monotonic()
            kafka_cluster.kill_node(victim)
            failover = kafka_cluster.wait_until(
                lambda: elected_without(kafka_cluster, TOPIC_APPLICATIONS, partition, victim), 120,
                f"a new leader for partition {partition}")
            kafka_cluster.start_node(victim)
            kafka_cluster.wait_until(lambda: kafka_cluster.fully_replicated([TOPIC_APPLICATIONS]), 300,
                                     "the killed node back in sync")
            recoveries.append((victim, partition, failover, time.monotonic() - killed_at))
            print(f"  kill {kill + 1}: node {victim} (leader of partition {partition}) SIGKILLed; new leader "
                  f"after {failover:.1f} s; back in sync {time.monotonic() - killed_at:.1f} s after the kill",
                  flush=True)
        submitter.join()
        assert set(submitter.statuses) <= {200, 201}, submitter.statuses
        seen = assert_every_submission_reached_the_consumer(intake, call_id, submitter, timeout=900)
        assert len(seen) == len(submitter.accepted)  # exactly one candidate per 201 (the key is the id)
        eventually(lambda: figures(submitter.events, applied(engine))["consumed"] == sum(submitter.events.values()),
                   timeout=600, interval=1, message="the counting consumer applied every event")
    finally:
        consumers.stop()
    result = figures(submitter.events, applied(engine))
    redelivered = assert_one_event_per_aggregate_in_order(kafka_cluster, submitter)
    report("scenario 7 (leader killed 5 times)", result, max(r[2] for r in recoveries),
           f"{len(submitter.accepted)} applications (201) -> {len(seen)} candidates; {kills} SIGKILLs of a "
           f"partition leader; time to recover = the slowest new leader election; killed node back in sync "
           f"{max(r[3] for r in recoveries):.1f} s after its kill at most; {redelivered} redelivered copies on "
           f"the topic, deduplicated; one event per aggregate event id, in order")
    assert len(submitter.accepted) == total
    assert result["duplicates"] == 0 and result["lost"] == 0


def test_a_node_stopped_for_a_minute_keeps_the_cluster_writable_and_loses_nothing(
        intake, kafka_cluster, tally_db, tmp_path, chaos_scale):
    """Scenario 8: one node (the leader of partition 0) stopped for 60 s while applications are submitted;
    with min.insync.replicas 2 the other two keep acknowledging; then it comes back and catches up."""
    total = 1500 if chaos_scale == "short" else 4000
    db_url, engine = tally_db
    consumers = counting(kafka_cluster, db_url, TOPIC_APPLICATIONS, tmp_path)
    consumers.start()
    base = intake.url("applications")
    call_id = open_call(base)
    submitter = Submitter(base, call_id, total, threads=4, offset=2_000_000).start()
    try:
        eventually(lambda: submitter.done >= total // 10, timeout=300, message="a tenth submitted")
        victim = leader_node(kafka_cluster, TOPIC_APPLICATIONS, 0)
        kafka_cluster.stop_node(victim)
        stopped_at = time.monotonic()
        during_before = submitter.done
        time.sleep(60)  # the outage itself: one node down for a minute, nothing to poll for
        during = submitter.done - during_before
        kafka_cluster.start_node(victim)
        restarted = time.monotonic()
        in_sync = kafka_cluster.wait_until(lambda: kafka_cluster.fully_replicated([TOPIC_APPLICATIONS]), 300,
                                           "the stopped node back in sync")
        submitter.join()
        assert set(submitter.statuses) <= {200, 201}, submitter.statuses
        assert_every_submission_reached_the_consumer(intake, call_id, submitter, timeout=600)
        eventually(lambda: figures(submitter.events, applied(engine))["consumed"] == sum(submitter.events.values()),
                   timeout=600, interval=1, message="the counting consumer applied every event")
    finally:
        consumers.stop()
    result = figures(submitter.events, applied(engine))
    report("scenario 8 (a node stopped 60 s)", result, in_sync,
           f"node {victim} stopped {restarted - stopped_at:.0f} s; {during} submissions accepted meanwhile; "
           f"{len(submitter.accepted)} applications in all; time to recover = node back in sync after its restart")
    assert during > 0, "the cluster kept accepting writes with one node down"
    assert result["duplicates"] == 0 and result["lost"] == 0


def test_consumers_scaled_to_three_with_one_killed_apply_every_event_once(kafka_cluster, tally_db, tmp_path,
                                                                         chaos_scale):
    """Scenario 9: one group, two processes, then three; one SIGKILLed mid-stream; the group rebalances."""
    total = 6000 if chaos_scale == "short" else 20_000
    db_url, engine = tally_db
    topic = f"chaos.scale.{uuid.uuid4().hex[:8]}"
    kafka_cluster.create_topics([topic], partitions=6)
    producer = make_producer(kafka_cluster.bootstrap_servers, "chaos-scale",
                             **kafka_cluster.client_settings(launcher.ADMIN))
    expected: dict[str, int] = {}
    produced = threading.Event()

    def produce():
        for n in range(total):
            application_id = str(uuid.uuid4())
            data = dict(spec_for("ApplicationSubmitted").example, application_id=application_id, statement="x")
            event = make_event("ApplicationSubmitted", data, source="/chaos")
            producer.send(topic, key=event.key(), value=event.value(), headers=event.headers())
            expected[application_id] = 1
            if n % 200 == 0:
                producer.flush()
                time.sleep(0.05)  # a stream, not one burst
        producer.flush()
        produced.set()

    consumers = counting(kafka_cluster, db_url, topic, tmp_path)
    feeder = threading.Thread(target=produce)
    try:
        consumers.start()
        consumers.start()
        feeder.start()
        eventually(lambda: len(applied(engine)) >= total // 4, timeout=600, message="a quarter applied by two")
        consumers.start()
        eventually(lambda: len(applied(engine)) >= total // 2, timeout=600, message="half applied by three")
        killed_at = time.monotonic()
        consumers.processes[1].kill()  # SIGKILL: no leave-group, its partitions wait for the session timeout
        at_kill = len(applied(engine))
        eventually(lambda: len(applied(engine)) > at_kill + 100, timeout=300, interval=0.2,
                   message="progress after the kill")
        resumed = time.monotonic() - killed_at
        feeder.join()
        eventually(lambda: len(applied(engine)) >= total, timeout=600, interval=0.5, message="every event applied")
        time.sleep(2)  # let a late duplicate, if any, land before counting (nothing to poll for)
    finally:
        consumers.stop()
        producer.close()
    result = figures(expected, applied(engine))
    report("scenario 9 (consumers 2 -> 3, one killed)", result, resumed,
           f"{total} events over 6 partitions; one of three SIGKILLed after {at_kill} applied; time to recover = "
           f"until the group applied 100 more")
    assert result["duplicates"] == 0 and result["lost"] == 0 and result["consumed"] == total


def test_a_service_principal_cannot_write_another_services_topic(kafka_cluster):
    """Scenario 10: selection may write vorort.selection, but the broker refuses it vorort.applications."""
    selection = kafka_cluster.client_settings("selection")
    event = make_event("ApplicationSubmitted", dict(spec_for("ApplicationSubmitted").example), source="/chaos")
    own_topic = make_producer(kafka_cluster.bootstrap_servers, "chaos-acl-own", max_block_ms=30000, **selection)
    other_topic = make_producer(kafka_cluster.bootstrap_servers, "chaos-acl-other", max_block_ms=30000, **selection)
    try:
        assert own_topic.send(TOPIC_SELECTION, key=event.key(), value=event.value()).get(timeout=60).topic == \
            TOPIC_SELECTION
        with pytest.raises(TopicAuthorizationFailedError):
            other_topic.send(TOPIC_APPLICATIONS, key=event.key(), value=event.value()).get(timeout=60)
    finally:
        own_topic.close()
        other_topic.close()
    # nor read a topic that none of its consumer groups reads
    consumer = KafkaConsumer(bootstrap_servers=kafka_cluster.bootstrap_servers.split(","),
                             group_id="selection.candidates", enable_auto_commit=False, **selection)
    try:
        consumer.assign([TopicPartition("vorort.workshops", 0)])
        with pytest.raises(TopicAuthorizationFailedError):
            consumer.poll(timeout_ms=15000)
            consumer.position(TopicPartition("vorort.workshops", 0), timeout_ms=15000)
    finally:
        consumer.close()
    report("scenario 10 (ACLs)", {"accepted": 1, "consumed": 0, "duplicates": 0, "lost": 0}, None,
           "principal 'selection': its own topic took the write; the broker refused writing vorort.applications "
           "and reading vorort.workshops (TopicAuthorizationFailed)")

