"""Where the time of one intake request and of one consumer batch goes: pyinstrument profiles.

    python -m bench.profile intake|consumers [--html DIR]

Intake: 300 POST /v1/calls/{id}/applications through the WSGI app in process (no gunicorn, no network;
the same PostgreSQL), after 50 warm-up requests. Consumers: 20 polls of 500 ApplicationSubmitted events
applied to the selection candidates projection (the EventConsumer's batch path), read from memory
instead of Kafka, so that only our code is in the profile. Prints the call tree (functions above 2 %)
and the milliseconds per request or per batch; docs/benchmarks.md summarises a run before and after.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from shared.config import REPO_ROOT

WARMUP, REQUESTS = 50, 300
BATCHES, BATCH = 20, 500


def _postgres() -> object:
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from support import Postgres

    url = os.environ.get("VORORT_TEST_POSTGRES_URL") or subprocess.run(
        [str(REPO_ROOT / "deploy/postgres/start-local.sh")], check=True, capture_output=True, text=True).stdout.strip()
    return Postgres(url)


def _database(postgres, service: str) -> str:
    import importlib

    from shared.db import migrate

    url = postgres.create_database(f"profile_{service}")
    migrate(url, importlib.import_module(f"services.{service}.app").MIGRATIONS)
    return url


def intake(profiler) -> float:
    """Milliseconds per request (wall clock, profiler attached)."""
    from services.applications.app import create_app
    from shared.auth import issue_token, trust_test_issuer
    from shared.config import ServiceSettings

    os.environ["VORORT_RATE_LIMIT_PER_MINUTE"] = "0"
    trust_test_issuer()  # the token below comes from the test issuer, as in bench.intake
    app = create_app(ServiceSettings("applications", _database(_postgres(), "applications"), "127.0.0.1:1",
                                     "development"))
    client = app.test_client()
    headers = {"Authorization": "Bearer " + issue_token("staff", "bench"), "Content-Type": "application/json"}
    now = datetime.now(timezone.utc)
    call = client.post("/v1/calls", headers=headers, json={
        "title": "Profile", "topic": "Smart City", "places": 3, "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat()}).json
    assert client.post(f"/v1/calls/{call['id']}/open", headers=headers).status_code == 200

    def submit(i: int) -> None:
        body = json.dumps({
            "municipality": {"ags": f"{10_000_000 + i:08d}", "name": f"Gemeinde {i}", "population": 5000 + i},
            "contact": {"name": "Max Beispiel", "email": f"kontakt{i}@example.org"},
            "focus_areas": ["mobility"], "statement": "Interesse an Netzwerk vor Ort", "partners": []})
        response = client.post(f"/v1/calls/{call['id']}/applications", headers=headers, data=body)
        assert response.status_code == 201, response.data

    for i in range(WARMUP):
        submit(i)
    started = time.perf_counter()
    with profiler:
        for i in range(WARMUP, WARMUP + REQUESTS):
            submit(i)
    return 1000 * (time.perf_counter() - started) / REQUESTS


@dataclass
class _Message:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: list


class _MemoryConsumer:
    """Stands in for the KafkaConsumer: hands out prepared batches, accepts offset commits."""

    def __init__(self, batches):
        self.batches = list(batches)

    def poll(self, timeout_ms=0, max_records=None):
        from kafka import TopicPartition

        if not self.batches:
            return {}
        batch = self.batches.pop(0)
        return {TopicPartition(batch[0].topic, 0): batch}

    def commit(self, offsets=None):
        pass

    def close(self):
        pass


def consumers(profiler) -> float:
    """Milliseconds per batch of BATCH events (wall clock, profiler attached)."""
    from services.selection import consumers as selection_consumers
    from services.selection.app import build_context
    from shared.config import ServiceSettings
    from shared.consumer import EventConsumer
    from shared.events.catalogue import make_event, spec_for

    example = spec_for("ApplicationSubmitted").example
    call_id = str(uuid.uuid4())
    messages = []
    for i in range((BATCHES + 2) * BATCH):
        event = make_event("ApplicationSubmitted", dict(
            example, application_id=str(uuid.uuid4()), call_id=call_id,
            municipality=dict(example["municipality"], ags=f"{10_000_000 + i:08d}")), source="/bench")
        messages.append(_Message("bench.profile", 0, i, event.key(), event.value(), event.headers()))
    batches = [messages[i:i + BATCH] for i in range(0, len(messages), BATCH)]
    ctx = build_context(ServiceSettings("selection", _database(_postgres(), "selection"), "127.0.0.1:1",
                                        "development"))
    consumer = EventConsumer(group_id="profile", topics=["bench.profile"], handlers=selection_consumers.HANDLERS,
                             uow_factory=ctx.uow_factory, consumer=_MemoryConsumer(batches), producer=None)
    for _ in range(2):
        consumer.poll_once(0)
    started = time.perf_counter()
    with profiler:
        for _ in range(BATCHES):
            consumer.poll_once(0)
    assert consumer.counts["applied"] == len(messages), consumer.counts
    return 1000 * (time.perf_counter() - started) / BATCHES


def main(argv: list[str]) -> int:
    from pyinstrument import Profiler

    what = argv[0] if argv else "intake"
    profiler = Profiler(interval=0.0005)
    per = {"intake": intake, "consumers": consumers}[what](profiler)
    unit = "request" if what == "intake" else f"batch of {BATCH}"
    print(f"{what}: {per:.2f} ms per {unit} (profiler attached)")
    print(profiler.output_text(unicode=True, color=False, show_all=False, time="percent_of_total"))
    if "--html" in argv:
        out = Path(argv[argv.index("--html") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{what}.html").write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
