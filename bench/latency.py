"""17. End to end: from a 201 on submission to the candidate visible in the selection API, against a raw
produce-to-consume round trip on the same broker. p50 and p99 at a steady moderate load."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from kafka import KafkaConsumer

from bench.common import Result, percentile
from shared.auth import issue_token
from shared.kafka import ensure_topics, make_producer

SAMPLES = 300
RATE_PER_S = 20


def _raw_round_trips(bootstrap: str) -> list[float]:
    topic = f"bench.rtt.{uuid.uuid4().hex[:6]}"
    ensure_topics(bootstrap, [topic], partitions=3)
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=f"rtt-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="latest", enable_auto_commit=False)
    while not consumer.assignment():
        consumer.poll(timeout_ms=200)
    sent: dict[bytes, float] = {}
    latencies: list[float] = []
    done = threading.Event()

    def receive():
        while len(latencies) < SAMPLES:
            for messages in consumer.poll(timeout_ms=500).values():
                for message in messages:
                    if message.value in sent:
                        latencies.append(time.perf_counter() - sent[message.value])
        done.set()

    thread = threading.Thread(target=receive)
    thread.start()
    producer = make_producer(bootstrap, "bench-rtt")
    for i in range(SAMPLES):
        value = f"{i}-{uuid.uuid4()}".encode()
        sent[value] = time.perf_counter()
        producer.send(topic, key=str(i).encode(), value=value)
        time.sleep(1 / RATE_PER_S)
    done.wait(120)
    producer.close()
    consumer.close()
    return sorted(latencies)


def raw_round_trips(infra) -> list[float]:
    """The baseline: raw produce-to-consume round trips on the run's broker (once per run)."""
    if "raw_rtt" not in infra.baselines:
        infra.baselines["raw_rtt"] = _raw_round_trips(infra.bootstrap)
    return infra.baselines["raw_rtt"]


def measure_latency(infra, extra_env: dict | None = None) -> list[float]:
    """Seconds from each submission's 201 to its candidate in the selection API, sorted; `extra_env` may
    put the two services on other databases."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support import start_platform, stop_platform

    import tempfile

    platform = start_platform(infra.postgres, infra.bootstrap, Path(tempfile.mkdtemp()), ["applications", "selection"],
                              extra_env=extra_env)
    staff = {"Authorization": "Bearer " + issue_token("staff", "bench")}
    try:
        base, selection = platform.url("applications"), platform.url("selection")
        now = datetime.now(timezone.utc)
        call = requests.post(f"{base}/v1/calls", headers=staff, json={
            "title": "Latency", "topic": "Smart City", "places": 3,
            "opens_at": (now - timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()}).json()
        requests.post(f"{base}/v1/calls/{call['id']}/open", headers=staff).raise_for_status()
        # Warm up: the consumer group must be assigned before timing starts.
        deadline = time.monotonic() + 120
        while requests.get(f"{selection}/v1/calls/{call['id']}", headers=staff).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("selection never saw the call")
            time.sleep(0.2)
        latencies: list[float] = []
        lock = threading.Lock()

        def sample(i: int):
            session = requests.Session()
            response = session.post(f"{base}/v1/calls/{call['id']}/applications", headers=staff, json={
                "municipality": {"ags": f"{40_000_000 + i:08d}", "name": f"G{i}", "population": 1000},
                "contact": {"name": "M", "email": "m@example.org"}, "statement": "x"})
            accepted = time.perf_counter()
            application_id = response.json()["id"]
            while True:
                seen = session.get(f"{selection}/v1/calls/{call['id']}/candidates/{application_id}", headers=staff)
                if seen.status_code == 200:
                    break
                time.sleep(0.002)
            with lock:
                latencies.append(time.perf_counter() - accepted)

        threads = []
        for i in range(SAMPLES):
            thread = threading.Thread(target=sample, args=(i,))
            thread.start()
            threads.append(thread)
            time.sleep(1 / RATE_PER_S)
        for thread in threads:
            thread.join(120)
    finally:
        stop_platform(platform)
    return sorted(latencies)


def run(infra) -> Result:
    latencies = measure_latency(infra)
    raw = raw_round_trips(infra)
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    raw50, raw99 = percentile(raw, 50) * 1000, percentile(raw, 99) * 1000
    ratio = p99 / raw99
    return Result(17, "End to end: 201 to candidate visible (p99)", f"p50 {p50:.0f} ms, p99 {p99:.0f} ms",
                  f"raw produce-to-consume p50 {raw50:.1f} ms, p99 {raw99:.1f} ms", ratio, "p99 <= 5x raw",
                  ratio <= 5,
                  note=(f"{SAMPLES} submissions at {RATE_PER_S}/s. The path: commit with NOTIFY -> relay wakes, "
                        "publishes with acks=all -> the selection worker's poll returns, applies in a transaction, "
                        "commits -> the next poll of the selection API (every 2 ms) sees the candidate. The raw "
                        "round trip is a producer and a subscribed consumer on the same broker at the same rate."),
                  details={"p50_ms": p50, "p99_ms": p99, "raw_p50_ms": raw50, "raw_p99_ms": raw99,
                           "samples": len(latencies)})
